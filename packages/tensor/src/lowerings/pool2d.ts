import type { Pool2dParams } from '../backend';
import type { Tensor } from '../tensor';
import { arange, tensor, zeros } from '../ops/creation';
import { div, eq, gt, logicalAnd, logicalOr, ne, where } from '../ops/elementwise';
import { any, argmax, max, sum } from '../ops/reduce';
import { broadcastTo, reshape } from '../ops/shape';
import type { WindowGeometry } from '../ops/window-taps';
import { col2im, im2col } from './windows';

/**
 * The reference lowerings of Backend.pool2d and pool2dGrad (NHWC): the windows laid out
 * by im2col ([N, outH·outW, kH·kW, C]) and reduced over their taps. Padding cells never
 * win a max (they read −Infinity) and are not counted by an average (its divisor is the
 * window's cells inside the input). A max window's gradient goes to the cell a scan in
 * window order keeps (see maxCell).
 */

function geometry(p: Pool2dParams): WindowGeometry {
  return { ...p, dilationH: 1, dilationW: 1 };
}

/** [N, outH·outW, kH·kW, C]: every window's cells, padding read as `padValue`. */
function windows(x: Tensor, p: Pool2dParams, padValue: number): Tensor {
  return reshape(im2col(x, geometry(p), padValue), [p.batch, p.outH * p.outW, p.kH * p.kW, p.channels]);
}

/** Per window, its cells inside the input: [outH·outW, 1, 1] float32, on `like`'s backend. */
function counts(p: Pool2dParams, like: Tensor): Tensor {
  const c = new Float32Array(p.outH * p.outW);
  const inside = (o: number, stride: number, pad: number, k: number, size: number): number => {
    const start = o * stride - pad;
    return Math.max(0, Math.min(start + k, size) - Math.max(start, 0));
  };
  for (let oy = 0; oy < p.outH; oy++) {
    for (let ox = 0; ox < p.outW; ox++)
      c[oy * p.outW + ox] =
        inside(oy, p.strideH, p.padTop, p.kH, p.inH) * inside(ox, p.strideW, p.padLeft, p.kW, p.inW);
  }
  return tensor(c, [c.length, 1, 1], 'float32', { backend: like.backend });
}

/**
 * Per window of `cells` [N, L, k, C], the one cell (bool, true there) that takes the max
 * gradient: what a scan in window order keeps, starting from −Infinity, taking a cell
 * above the kept value, or a NaN while nothing is kept. So the first maximum ignoring
 * NaN, unless a NaN comes before every cell above −Infinity (then that NaN), and no cell
 * in a window of −Infinity only.
 */
function maxCell(cells: Tensor): Tensor {
  const k = cells.shape[2];
  const tap = reshape(arange(0, k, 1, 'int32', { backend: cells.backend }), [k, 1]);
  const isNaN = ne(cells, cells);
  const live = logicalOr(isNaN, gt(cells, -Infinity));
  const first = argmax(live, 2, true);
  const firstIsNaN = any(logicalAnd(eq(tap, first), isNaN), 2, true);
  const best = argmax(where(isNaN, -Infinity, cells), 2, true);
  return logicalAnd(eq(tap, where(firstIsNaN, first, best)), any(live, 2, true));
}

export function pool2d(x: Tensor, p: Pool2dParams): Tensor {
  const shape = [p.batch, p.outH, p.outW, p.channels];
  if (shape.includes(0)) return zeros(shape, 'float32', { backend: x.backend });
  const cells = windows(x, p, p.kind === 'max' ? -Infinity : 0);
  const pooled = p.kind === 'max' ? max(cells, 2, true) : div(sum(cells, 2, true), counts(p, x));
  return reshape(pooled, shape);
}

export function pool2dGrad(x: Tensor, dy: Tensor, p: Pool2dParams): Tensor {
  const shape = [p.batch, p.inH, p.inW, p.channels];
  if (shape.includes(0) || p.outH * p.outW === 0) return zeros(shape, 'float32', { backend: x.backend });
  const k = p.kH * p.kW;
  const cellsShape = [p.batch, p.outH * p.outW, k, p.channels];
  const dyCells = broadcastTo(reshape(dy, [p.batch, p.outH * p.outW, 1, p.channels]), cellsShape);
  let dcols: Tensor;
  if (p.kind === 'avg') {
    dcols = div(dyCells, counts(p, x));
  } else {
    dcols = where(maxCell(windows(x, p, -Infinity)), dyCells, 0);
  }
  return col2im(reshape(dcols, [p.batch, p.outH * p.outW * k, p.channels]), geometry(p), p.inH, p.inW);
}
