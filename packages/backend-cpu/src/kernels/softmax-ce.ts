import type { View } from '@tsdl/tensor';
import { type Alloc, dense, jsAlloc } from '../data';

/**
 * Fused softmax cross-entropy over the rows of logits [N, C], and its
 * gradient with respect to the logits. One pass per row for the max, one for
 * Σ exp(x − max) (float64), one to write; a −Infinity row uses 0 as its max,
 * as the softmax kernel. An index label outside [0, C) gives NaN.
 */

/** max and log Σ exp(x − max) of row `base`: logSumExp = m + ls. */
function rowStats(x: ArrayLike<number>, base: number, c: number): [number, number] {
  let m = -Infinity;
  for (let j = 0; j < c; j++) if (x[base + j] > m) m = x[base + j];
  if (m === -Infinity) m = 0;
  let s = 0;
  for (let j = 0; j < c; j++) s += Math.exp(x[base + j] - m);
  return [m, Math.log(s)];
}

/** loss[n] = logSumExp(x[n]) − x[n, y[n]] (sparse) or Σ_c t[n, c]·(logSumExp(x[n]) − x[n, c]). */
export function softmaxCrossEntropy(logits: View, labels: View, sparse: boolean, alloc: Alloc = jsAlloc): Float32Array {
  const [n, c] = logits.shape;
  const x = dense(logits);
  const t = dense(labels);
  const out = alloc('float32', n, false) as Float32Array;
  for (let r = 0, base = 0; r < n; r++, base += c) {
    const [m, ls] = rowStats(x, base, c);
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
export function softmaxCrossEntropyGrad(logits: View, labels: View, dy: View, sparse: boolean, alloc: Alloc = jsAlloc): Float32Array {
  const [n, c] = logits.shape;
  const x = dense(logits);
  const t = dense(labels);
  const g = dense(dy);
  const out = alloc('float32', n * c, false) as Float32Array;
  for (let r = 0, base = 0; r < n; r++, base += c) {
    const [m, ls] = rowStats(x, base, c);
    const d = g[r];
    if (sparse) {
      const y = t[r];
      const ok = y >= 0 && y < c;
      for (let j = 0; j < c; j++) out[base + j] = ok ? (Math.exp(x[base + j] - m - ls) - (j === y ? 1 : 0)) * d : NaN;
    } else {
      let st = 0;
      for (let j = 0; j < c; j++) st += t[base + j];
      for (let j = 0; j < c; j++) out[base + j] = (Math.exp(x[base + j] - m - ls) * st - t[base + j]) * d;
    }
  }
  return out;
}
