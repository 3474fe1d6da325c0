import type { View } from '@tsdl/tensor/backend';
import { type Alloc, dense, jsAlloc } from '../data';
import { rowExp } from './row-exp';
import type { SoftmaxRowsAccel } from './softmax';

/**
 * Fused softmax cross-entropy over the rows of logits [N, C], and its
 * gradient with respect to the logits. Per row: one pass for the max, one
 * that computes each exp(x − max) once (kept in float64 scratch) and sums
 * them, one to write; a −Infinity row uses 0 as its max, as the softmax
 * kernel. An index label outside [0, C) gives NaN.
 */

/** loss[n] = logSumExp(x[n]) − x[n, y[n]] (sparse) or Σ_c t[n, c]·(logSumExp(x[n]) − x[n, c]). */
export function softmaxCrossEntropy(
  logits: View,
  labels: View,
  sparse: boolean,
  alloc: Alloc = jsAlloc,
  accel?: SoftmaxRowsAccel,
): Float32Array {
  const [n, c] = logits.shape;
  const x = dense(logits);
  const t = dense(labels);
  const out = alloc('float32', n, false) as Float32Array;
  if (accel?.accepts(x as Float32Array) && n > 0) {
    // The SIMD log-softmax rows, then the loss from them: −Σ t·logp, or −logp at the label.
    const lp = accel.scratch(n * c);
    try {
      if (accel.run(x as Float32Array, lp, n, c, true)) {
        for (let r = 0, base = 0; r < n; r++, base += c) {
          if (sparse) {
            const y = t[r];
            out[r] = y >= 0 && y < c ? -lp[base + y] : NaN;
          } else {
            let acc = 0;
            for (let j = 0; j < c; j++) acc -= t[base + j] * lp[base + j];
            out[r] = acc;
          }
        }
        return out;
      }
    } finally {
      accel.release(lp);
    }
  }
  const row = rowExp(c);
  for (let r = 0, base = 0; r < n; r++, base += c) {
    const m = row.fill(x, base);
    const ls = Math.log(row.sum);
    if (sparse) {
      const y = t[r];
      // (lse − x) as (ls − (x − m)), so the subtraction happens at the scale of the differences, not of the logits.
      out[r] = y >= 0 && y < c ? ls - (x[base + y] - m) : NaN;
    } else {
      let acc = 0;
      for (let j = 0; j < c; j++) acc += t[base + j] * (ls - (x[base + j] - m));
      out[r] = acc;
    }
  }
  return out;
}

/** dx[n, c] = (softmax(x[n])_c · Σt − t[n, c]) · dy[n]; Σt is 1 for index labels. */
export function softmaxCrossEntropyGrad(
  logits: View,
  labels: View,
  dy: View,
  sparse: boolean,
  alloc: Alloc = jsAlloc,
  accel?: SoftmaxRowsAccel,
): Float32Array {
  const [n, c] = logits.shape;
  const x = dense(logits);
  const t = dense(labels);
  const g = dense(dy);
  const out = alloc('float32', n * c, false) as Float32Array;
  if (n > 0 && accel?.run(x as Float32Array, out, n, c, false)) {
    // out holds softmax(x) by rows: turned into the gradient in place.
    for (let r = 0, base = 0; r < n; r++, base += c) {
      const d = g[r];
      if (sparse) {
        const y = t[r];
        const ok = y >= 0 && y < c;
        for (let j = 0; j < c; j++) out[base + j] = ok ? (out[base + j] - (j === y ? 1 : 0)) * d : NaN;
      } else {
        let st = 0;
        for (let j = 0; j < c; j++) st += t[base + j];
        for (let j = 0; j < c; j++) out[base + j] = (out[base + j] * st - t[base + j]) * d;
      }
    }
    return out;
  }
  const row = rowExp(c);
  const e = row.values;
  for (let r = 0, base = 0; r < n; r++, base += c) {
    row.fill(x, base);
    const inv = 1 / row.sum;
    const d = g[r];
    if (sparse) {
      const y = t[r];
      const ok = y >= 0 && y < c;
      for (let j = 0; j < c; j++) out[base + j] = ok ? (e[j] * inv - (j === y ? 1 : 0)) * d : NaN;
    } else {
      let st = 0;
      for (let j = 0; j < c; j++) st += t[base + j];
      for (let j = 0; j < c; j++) out[base + j] = (e[j] * inv * st - t[base + j]) * d;
    }
  }
  return out;
}
