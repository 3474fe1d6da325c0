import type { Tensor } from '../tensor';
import { tensor } from '../ops/creation';
import { trailingReach } from '../ops/conv-geometry';
import { dense } from '../ops/internal';
import { gather, pad, reshape, scatterAdd, slice } from '../ops/shape';
import type { WindowGeometry } from '../ops/window-taps';

/**
 * im2col and its adjoint col2im on core kernels, shared by the convolution and pooling
 * lowerings. The input [N,H,W,C] is padded as far as the windows reach and viewed as
 * [N, Hp·Wp, C]; one gather with host-computed positions then lays every window out as
 * rows: [N, outH·outW·kH·kW, C], window (oy, ox) tap (ky, kx) at row
 * ((oy·outW + ox)·kH + ky)·kW + kx, the order of an HWIO filter's rows. col2im is the
 * same positions through scatterAdd (the gather's adjoint), then a crop of the padding.
 */

/** The padded plane the windows read: [padTop, bottom] and [padLeft, right] cells around H×W. */
interface Plane {
  readonly h: number;
  readonly w: number;
  readonly bottom: number;
  readonly right: number;
}

function plane(inH: number, inW: number, g: WindowGeometry): Plane {
  const bottom = Math.max(0, trailingReach(inH, g.outH, g.padTop, g.kH, g.strideH, g.dilationH));
  const right = Math.max(0, trailingReach(inW, g.outW, g.padLeft, g.kW, g.strideW, g.dilationW));
  return { h: g.padTop + inH + bottom, w: g.padLeft + inW + right, bottom, right };
}

/** Row r of the window layout reads plane cell positions[r] (int32, on x's backend). */
function positions(g: WindowGeometry, p: Plane, like: Tensor): Tensor {
  const idx = new Int32Array(g.outH * g.outW * g.kH * g.kW);
  let r = 0;
  for (let oy = 0; oy < g.outH; oy++) {
    for (let ox = 0; ox < g.outW; ox++) {
      for (let ky = 0; ky < g.kH; ky++) {
        const y = oy * g.strideH + ky * g.dilationH;
        for (let kx = 0; kx < g.kW; kx++) idx[r++] = y * p.w + ox * g.strideW + kx * g.dilationW;
      }
    }
  }
  return tensor(idx, [idx.length], 'int32', { backend: like.backend });
}

/** x [N,H,W,C] → windows [N, outH·outW·kH·kW, C]; cells outside the input read `padValue`. */
export function im2col(x: Tensor, g: WindowGeometry, padValue: number): Tensor {
  const [n, inH, inW, c] = x.shape;
  const p = plane(inH, inW, g);
  const padded =
    g.padTop || p.bottom || g.padLeft || p.right
      ? pad(
          x,
          [
            [0, 0],
            [g.padTop, p.bottom],
            [g.padLeft, p.right],
            [0, 0],
          ],
          padValue,
        )
      : x;
  return gather(reshape(padded, [n, p.h * p.w, c]), positions(g, p, x), 1);
}

/** The adjoint of im2col: windows [N, outH·outW·kH·kW, C] summed back into [N,H,W,C] (dense). */
export function col2im(cols: Tensor, g: WindowGeometry, inH: number, inW: number): Tensor {
  const [n, , c] = cols.shape;
  const p = plane(inH, inW, g);
  const summed = reshape(scatterAdd(cols, positions(g, p, cols), 1, [n, p.h * p.w, c]), [n, p.h, p.w, c]);
  if (p.h === inH && p.w === inW) return summed;
  return dense(slice(summed, [0, g.padTop, g.padLeft, 0], [n, g.padTop + inH, g.padLeft + inW, c]));
}
