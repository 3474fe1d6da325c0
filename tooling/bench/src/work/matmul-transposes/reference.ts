import { type MatmulProbe, matmulProbe } from '../matmul/reference';
import type { Transposes } from './runner';

/** The row-major transpose of an n×n matrix: an exact copy, so the float64 probe of op(A)·op(B) sees the same numbers. */
export function transposeSquare(m: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[j * n + i] = m[i * n + j];
  return out;
}

/** Sampled float64 entries of op(A)·op(B), op being the transpose where `t` says so. */
export function transposedProbe(a: Float32Array, b: Float32Array, n: number, t: Transposes): MatmulProbe {
  return matmulProbe(t.a ? transposeSquare(a, n) : a, t.b ? transposeSquare(b, n) : b, n);
}
