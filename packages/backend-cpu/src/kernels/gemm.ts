import type { TypedArray } from '@tsdl/tensor';
import type { Conv2dParams } from '@tsdl/tensor/backend';
import { type Alloc, jsAlloc } from '../data';

/**
 * C[M×N] += A[M×K] · B[K×N] on dense row-major arrays with offsets. Four rows
 * of A share each loaded row of B, and blocks of K keep B's rows in cache; no
 * allocation or calls happen inside the loops.
 */
export function gemm(
  A: Float32Array | ArrayLike<number>,
  aOff: number,
  B: Float32Array | ArrayLike<number>,
  bOff: number,
  C: Float32Array,
  cOff: number,
  M: number,
  K: number,
  N: number,
): void {
  const KB = 256;
  // Skipping zero entries of A is exact only when B is finite: 0 · Infinity and 0 · NaN are NaN.
  const skipZeros = allFinite(B, bOff, K * N);
  for (let k0 = 0; k0 < K; k0 += KB) {
    const k1 = Math.min(K, k0 + KB);
    let i = 0;
    for (; i + 4 <= M; i += 4) {
      const c0 = cOff + i * N;
      const c1 = c0 + N;
      const c2 = c1 + N;
      const c3 = c2 + N;
      const a0 = aOff + i * K;
      for (let k = k0; k < k1; k++) {
        const x0 = A[a0 + k];
        const x1 = A[a0 + K + k];
        const x2 = A[a0 + 2 * K + k];
        const x3 = A[a0 + 3 * K + k];
        if (skipZeros && x0 === 0 && x1 === 0 && x2 === 0 && x3 === 0) continue;
        const b = bOff + k * N;
        for (let j = 0; j < N; j++) {
          const y = B[b + j];
          C[c0 + j] += x0 * y;
          C[c1 + j] += x1 * y;
          C[c2 + j] += x2 * y;
          C[c3 + j] += x3 * y;
        }
      }
    }
    for (; i < M; i++) {
      const c0 = cOff + i * N;
      const a0 = aOff + i * K;
      for (let k = k0; k < k1; k++) {
        const x0 = A[a0 + k];
        if (skipZeros && x0 === 0) continue;
        const b = bOff + k * N;
        for (let j = 0; j < N; j++) C[c0 + j] += x0 * B[b + j];
      }
    }
  }
}

/** True when the n values from `off` are all finite (v - v is NaN for NaN and ±Infinity). */
function allFinite(a: ArrayLike<number>, off: number, n: number): boolean {
  for (let i = off; i < off + n; i++) if (a[i] - a[i] !== 0) return false;
  return true;
}

/** Dense row-major [rows×cols] copy of a strided 2-D block (used to pack transposed operands). */
export function pack2d(
  src: ArrayLike<number>,
  off: number,
  rows: number,
  cols: number,
  rowStride: number,
  colStride: number,
  out: Float32Array,
): Float32Array {
  let p = 0;
  // Read along the contiguous direction when the source is column-major, so the copy streams.
  if (colStride !== 1 && rowStride === 1) {
    for (let j = 0; j < cols; j++) {
      const base = off + j * colStride;
      for (let i = 0; i < rows; i++) out[i * cols + j] = src[base + i];
    }
    return out;
  }
  for (let i = 0; i < rows; i++) {
    const base = off + i * rowStride;
    for (let j = 0; j < cols; j++) out[p++] = src[base + j * colStride];
  }
  return out;
}

/**
 * C[cOff…] (+)= A·B for M×K times K×N operands read with element offsets and
 * (row, column) strides; C is dense [M, N]. Overwrites C unless `accumulate`.
 */
export type StridedGemm = (
  A: Float32Array,
  aOff: number,
  ars: number,
  acs: number,
  B: Float32Array,
  bOff: number,
  brs: number,
  bcs: number,
  C: Float32Array,
  cOff: number,
  M: number,
  K: number,
  N: number,
  accumulate: boolean,
) => void;

/** What kernels built on products need: output and scratch allocation, and a gemm. */
export interface GemmContext {
  alloc: Alloc;
  /** Returns scratch from `alloc` (a no-op for plain arrays). */
  release(a: TypedArray): void;
  gemm: StridedGemm;
  /**
   * Fast im2col of images [n0, n0 + count) of x into cols (from element 0),
   * and col2im adding such columns back into dx; each returns false when it
   * cannot serve the arrays (the caller then runs the JS loops).
   */
  im2col?(x: Float32Array, n0: number, count: number, p: Conv2dParams, cols: Float32Array): boolean;
  col2im?(cols: Float32Array, n0: number, count: number, p: Conv2dParams, dx: Float32Array): boolean;
  /** The same for the transposed, tap-major columns [kH·kW·inC, count·outH·outW] (kernels/conv.ts). */
  im2colTaps?(x: Float32Array, n0: number, count: number, p: Conv2dParams, cols: Float32Array): boolean;
}

/** The plain-JS strided gemm: packs non-row-major operands into dense scratch, then {@link gemm}. */
export const jsGemm: StridedGemm = (A, aOff, ars, acs, B, bOff, brs, bcs, C, cOff, M, K, N, accumulate) => {
  if (!accumulate) C.fill(0, cOff, cOff + M * N);
  let Ad: Float32Array = A;
  let ao = aOff;
  if (!(acs === 1 && (ars === K || M === 1))) {
    Ad = pack2d(A, aOff, M, K, ars, acs, new Float32Array(M * K));
    ao = 0;
  }
  let Bd: Float32Array = B;
  let bo = bOff;
  if (!(bcs === 1 && (brs === N || K === 1))) {
    Bd = pack2d(B, bOff, K, N, brs, bcs, new Float32Array(K * N));
    bo = 0;
  }
  gemm(Ad, ao, Bd, bo, C, cOff, M, K, N);
};

export const jsGemmContext: GemmContext = { alloc: jsAlloc, release: () => {}, gemm: jsGemm };
