import type { Pool2dParams, View } from '@tsdl/tensor/backend';
import { type Alloc, dense, jsAlloc } from '../data';

/**
 * A faster implementation of one pooling call (the wasm SIMD kernels): given
 * dense input arrays and the output array, returns false when it cannot serve
 * them (the JS loops below then run). A gradient's output arrives uninitialized:
 * the accelerator writes every cell (zeroing those its kernel does not store).
 */
export type PoolAccel = (
  kind: 'forward' | 'grad',
  p: Pool2dParams,
  x: Float32Array | null,
  dy: Float32Array | null,
  out: Float32Array,
) => boolean;

/**
 * Max and average pooling over NHWC windows. Cells in the padding never win a
 * max and are not counted by the average (TensorFlow's 'same', PyTorch's
 * count_include_pad=False). The max gradient goes to the first maximum.
 */

// Loops stream over channels (NHWC keeps them adjacent) with per-channel state in reused arrays, and
// compute window bounds inline: no allocation or builtin call (fill) per output cell.

export function pool2d(xv: View, p: Pool2dParams, alloc: Alloc = jsAlloc, accel?: PoolAccel): Float32Array {
  const x = dense(xv) as Float32Array;
  const C = p.channels;
  const out = alloc('float32', p.batch * p.outH * p.outW * C, false) as Float32Array;
  if (accel?.('forward', p, x, null, out)) return out;
  const isMax = p.kind === 'max';
  const acc = new Float64Array(C);
  let q = 0;
  for (let n = 0; n < p.batch; n++) {
    const img = n * p.inH * p.inW * C;
    for (let oy = 0; oy < p.outH; oy++) {
      const y0 = oy * p.strideH - p.padTop;
      const ya = Math.max(y0, 0);
      const yb = Math.min(y0 + p.kH, p.inH);
      for (let ox = 0; ox < p.outW; ox++) {
        const x0 = ox * p.strideW - p.padLeft;
        const xa = Math.max(x0, 0);
        const xb = Math.min(x0 + p.kW, p.inW);
        if (isMax) {
          // The running max lives in the float32 output itself: a max of float32 values is exact.
          for (let c = 0; c < C; c++) out[q + c] = -Infinity;
          for (let y = ya; y < yb; y++) {
            for (let xx = xa; xx < xb; xx++) {
              const base = img + (y * p.inW + xx) * C;
              for (let c = 0; c < C; c++) {
                const v = x[base + c];
                if (v > out[q + c] || v !== v) out[q + c] = v;
              }
            }
          }
        } else {
          for (let c = 0; c < C; c++) acc[c] = 0;
          for (let y = ya; y < yb; y++) {
            for (let xx = xa; xx < xb; xx++) {
              const base = img + (y * p.inW + xx) * C;
              for (let c = 0; c < C; c++) acc[c] += x[base + c];
            }
          }
          const count = (yb - ya) * (xb - xa);
          for (let c = 0; c < C; c++) out[q + c] = acc[c] / count;
        }
        q += C;
      }
    }
  }
  return out;
}

export function pool2dGrad(
  xv: View,
  dyv: View,
  p: Pool2dParams,
  alloc: Alloc = jsAlloc,
  accel?: PoolAccel,
): Float32Array {
  const dy = dense(dyv) as Float32Array;
  const C = p.channels;
  // Not zeroed here: windows that tile the input exactly write every cell (a fifth of the pass).
  const dx = alloc('float32', p.batch * p.inH * p.inW * C, false) as Float32Array;
  const x = p.kind === 'max' ? (dense(xv) as Float32Array) : null;
  if (accel?.('grad', p, x, dy, dx)) return dx;
  dx.fill(0);
  const best = new Float64Array(C);
  const at = new Int32Array(C);
  let q = 0;
  for (let n = 0; n < p.batch; n++) {
    const img = n * p.inH * p.inW * C;
    for (let oy = 0; oy < p.outH; oy++) {
      const y0 = oy * p.strideH - p.padTop;
      const ya = Math.max(y0, 0);
      const yb = Math.min(y0 + p.kH, p.inH);
      for (let ox = 0; ox < p.outW; ox++) {
        const x0 = ox * p.strideW - p.padLeft;
        const xa = Math.max(x0, 0);
        const xb = Math.min(x0 + p.kW, p.inW);
        if (x) {
          // Per channel, the first maximum in window order (a NaN only when it comes first) takes the gradient.
          for (let c = 0; c < C; c++) {
            best[c] = -Infinity;
            at[c] = -1;
          }
          for (let y = ya; y < yb; y++) {
            for (let xx = xa; xx < xb; xx++) {
              const base = img + (y * p.inW + xx) * C;
              for (let c = 0; c < C; c++) {
                const v = x[base + c];
                if (v > best[c] || (at[c] < 0 && v !== v)) {
                  best[c] = v;
                  at[c] = base + c;
                }
              }
            }
          }
          for (let c = 0; c < C; c++) if (at[c] >= 0) dx[at[c]] += dy[q + c];
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
