import type { View } from '@tsdl/tensor/backend';
import { type Alloc, arr, jsAlloc, sizeOfShape } from '../data';
import type { SimdGemm } from '../wasm/simd-gemm';
import { gemm, pack2d } from './gemm';

/** Element offsets of each batch item's 2-D block in a and b (batch dims broadcast with stride 0). */
function batchOffsets(a: View, b: View): { aOffs: number[]; bOffs: number[] } {
  const r = a.shape.length;
  const batchShape = a.shape.slice(0, r - 2);
  const batch = sizeOfShape(batchShape);
  const aOffs = new Array<number>(batch);
  const bOffs = new Array<number>(batch);
  const idx = new Array<number>(batchShape.length).fill(0);
  for (let t = 0; t < batch; t++) {
    let aOff = a.offset;
    let bOff = b.offset;
    for (let d = 0; d < batchShape.length; d++) {
      aOff += idx[d] * a.strides[d];
      bOff += idx[d] * b.strides[d];
    }
    aOffs[t] = aOff;
    bOffs[t] = bOff;
    for (let d = batchShape.length - 1; d >= 0; d--) {
      if (++idx[d] < batchShape[d]) break;
      idx[d] = 0;
    }
  }
  return { aOffs, bOffs };
}

/**
 * Batched matmul over strided views. With a SIMD gemm the strides go straight
 * to its packing routines (every transpose combination costs the same);
 * otherwise the plain-JS path uses each operand's 2-D block in place when it
 * is row-major and packs it into a dense scratch block when not.
 */
export function matmul(
  a: View,
  b: View,
  alloc: Alloc = jsAlloc,
  simd: SimdGemm | null = null,
  threads = 1,
): Float32Array {
  const r = a.shape.length;
  const M = a.shape[r - 2];
  const K = a.shape[r - 1];
  const N = b.shape[r - 1];
  const batch = sizeOfShape(a.shape.slice(0, r - 2));
  const out = alloc('float32', batch * M * N, simd === null || K === 0) as Float32Array;
  if (M === 0 || N === 0 || K === 0 || batch === 0) return out;
  const { aOffs, bOffs } = batchOffsets(a, b);
  const A = arr(a.data);
  const B = arr(b.data);
  const aRow = a.strides[r - 2];
  const aCol = a.strides[r - 1];
  const bRow = b.strides[r - 2];
  const bCol = b.strides[r - 1];
  if (simd) {
    simd.gemm(
      { data: A, rs: aRow, cs: aCol },
      { data: B, rs: bRow, cs: bCol },
      out,
      0,
      M,
      K,
      N,
      aOffs,
      bOffs,
      false,
      threads,
    );
    return out;
  }
  const aDense = aCol === 1 && (aRow === K || M === 1);
  const bDense = bCol === 1 && (bRow === N || K === 1);
  const aScratch = aDense ? null : new Float32Array(M * K);
  const bScratch = bDense ? null : new Float32Array(K * N);
  let lastA = -1;
  let lastB = -1;
  for (let t = 0; t < batch; t++) {
    let Ablk: ArrayLike<number> = A;
    let ao = aOffs[t];
    if (aScratch) {
      // A broadcast operand (stride 0 over the batch) is packed once.
      if (ao !== lastA) pack2d(A, ao, M, K, aRow, aCol, aScratch);
      lastA = ao;
      Ablk = aScratch;
      ao = 0;
    }
    let Bblk: ArrayLike<number> = B;
    let bo = bOffs[t];
    if (bScratch) {
      if (bo !== lastB) pack2d(B, bo, K, N, bRow, bCol, bScratch);
      lastB = bo;
      Bblk = bScratch;
      bo = 0;
    }
    gemm(Ablk, ao, Bblk, bo, out, t * M * N, M, K, N);
  }
  return out;
}
