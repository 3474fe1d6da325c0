import type { Pool2dParams, View } from '@tsdl/tensor';
import { type Alloc, dense, jsAlloc } from '../data';

/**
 * Max and average pooling over NHWC windows. Cells in the padding never win a
 * max and are not counted by the average (TensorFlow's 'same', PyTorch's
 * count_include_pad=False). The max gradient goes to the first maximum.
 */

function window(p: Pool2dParams, oy: number, ox: number): [number, number, number, number] {
  const y0 = oy * p.strideH - p.padTop;
  const x0 = ox * p.strideW - p.padLeft;
  return [Math.max(y0, 0), Math.min(y0 + p.kH, p.inH), Math.max(x0, 0), Math.min(x0 + p.kW, p.inW)];
}

export function pool2d(xv: View, p: Pool2dParams, alloc: Alloc = jsAlloc): Float32Array {
  const x = dense(xv);
  const C = p.channels;
  const out = alloc('float32', p.batch * p.outH * p.outW * C) as Float32Array;
  const acc = new Float64Array(C);
  let q = 0;
  for (let n = 0; n < p.batch; n++) {
    const img = n * p.inH * p.inW * C;
    for (let oy = 0; oy < p.outH; oy++) {
      for (let ox = 0; ox < p.outW; ox++) {
        const [ya, yb, xa, xb] = window(p, oy, ox);
        acc.fill(p.kind === 'max' ? -Infinity : 0);
        for (let y = ya; y < yb; y++) {
          for (let xx = xa; xx < xb; xx++) {
            const base = img + (y * p.inW + xx) * C;
            if (p.kind === 'max') {
              for (let c = 0; c < C; c++) {
                const v = x[base + c];
                if (v > acc[c] || Number.isNaN(v)) acc[c] = v;
              }
            } else {
              for (let c = 0; c < C; c++) acc[c] += x[base + c];
            }
          }
        }
        const count = (yb - ya) * (xb - xa);
        for (let c = 0; c < C; c++) out[q++] = p.kind === 'max' ? acc[c] : acc[c] / count;
      }
    }
  }
  return out;
}

export function pool2dGrad(xv: View, dyv: View, p: Pool2dParams, alloc: Alloc = jsAlloc): Float32Array {
  const dy = dense(dyv);
  const C = p.channels;
  const dx = alloc('float32', p.batch * p.inH * p.inW * C) as Float32Array;
  const x = p.kind === 'max' ? dense(xv) : null;
  let q = 0;
  for (let n = 0; n < p.batch; n++) {
    const img = n * p.inH * p.inW * C;
    for (let oy = 0; oy < p.outH; oy++) {
      for (let ox = 0; ox < p.outW; ox++) {
        const [ya, yb, xa, xb] = window(p, oy, ox);
        if (x) {
          for (let c = 0; c < C; c++) {
            let best = -Infinity;
            let at = -1;
            for (let y = ya; y < yb; y++) {
              for (let xx = xa; xx < xb; xx++) {
                const i = img + (y * p.inW + xx) * C + c;
                if (x[i] > best || (at < 0 && Number.isNaN(x[i]))) {
                  best = x[i];
                  at = i;
                }
              }
            }
            if (at >= 0) dx[at] += dy[q + c];
          }
        } else {
          const count = (yb - ya) * (xb - xa);
          for (let y = ya; y < yb; y++) {
            for (let xx = xa; xx < xb; xx++) {
              const base = img + (y * p.inW + xx) * C;
              for (let c = 0; c < C; c++) dx[base + c] += dy[q + c] / count;
            }
          }
        }
        q += C;
      }
    }
  }
  return dx;
}
