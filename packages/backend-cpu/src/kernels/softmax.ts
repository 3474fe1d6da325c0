import type { View } from '@tsdl/tensor';
import { type Alloc, dense, jsAlloc, sizeOfShape } from '../data';

/** Softmax or log-softmax over the last axis, subtracting each row's max (sums in float64). */
export function softmax(v: View, log: boolean, alloc: Alloc = jsAlloc): Float32Array {
  const x = dense(v);
  const n = sizeOfShape(v.shape);
  const c = v.shape[v.shape.length - 1];
  const out = alloc('float32', n) as Float32Array;
  if (c === 0) return out;
  for (let base = 0; base < n; base += c) {
    let m = -Infinity;
    for (let j = 0; j < c; j++) if (x[base + j] > m) m = x[base + j];
    if (m === -Infinity) m = 0;
    let s = 0;
    for (let j = 0; j < c; j++) s += Math.exp(x[base + j] - m);
    if (log) {
      const ls = Math.log(s);
      for (let j = 0; j < c; j++) out[base + j] = x[base + j] - m - ls;
    } else {
      for (let j = 0; j < c; j++) out[base + j] = Math.exp(x[base + j] - m) / s;
    }
  }
  return out;
}
