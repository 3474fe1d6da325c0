import type { View } from '@tsdl/tensor/backend';
import { type Alloc, dense, jsAlloc, sizeOfShape } from '../data';
import { rowExp } from './row-exp';

/**
 * The wasm SIMD rows (wasm/softmax-module.ts) where the backend has them: `run` computes
 * softmax or log-softmax of the rows of dense x into out and returns false, doing nothing,
 * where it cannot (an array outside the wasm heap); `accepts` says whether an input can go
 * there; `scratch` and `release` lend heap room.
 */
export interface SoftmaxRowsAccel {
  run(x: Float32Array, out: Float32Array, rows: number, cols: number, log: boolean): boolean;
  accepts(x: Float32Array): boolean;
  scratch(n: number): Float32Array;
  release(a: Float32Array): void;
}

/** Softmax or log-softmax over the last axis, subtracting each row's max (sums in float64). */
export function softmax(v: View, log: boolean, alloc: Alloc = jsAlloc, accel?: SoftmaxRowsAccel): Float32Array {
  const x = dense(v);
  const n = sizeOfShape(v.shape);
  const c = v.shape[v.shape.length - 1];
  // Unfilled: both paths write every element (and an empty row leaves nothing to write).
  const out = alloc('float32', n, false) as Float32Array;
  if (c === 0) return out;
  if (accel?.run(x as Float32Array, out, n / c, c, log)) return out;
  const row = rowExp(c);
  const e = row.values;
  for (let base = 0; base < n; base += c) {
    const m = row.fill(x, base);
    if (log) {
      const ls = Math.log(row.sum);
      for (let j = 0; j < c; j++) out[base + j] = x[base + j] - m - ls;
    } else {
      const inv = 1 / row.sum;
      for (let j = 0; j < c; j++) out[base + j] = e[j] * inv;
    }
  }
  return out;
}
