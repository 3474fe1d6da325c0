import type { View } from '@tsdl/tensor';
import { arr, sizeOfShape } from '../data';
import { gemm, pack2d } from './gemm';

/**
 * Batched matmul over strided views: each operand's 2-D block is used in place
 * when it is row-major, and packed into a dense scratch block otherwise (a
 * transposed view is column-major), so the inner loop always streams.
 */
export function matmul(a: View, b: View): Float32Array {
  const r = a.shape.length;
  const M = a.shape[r - 2];
  const K = a.shape[r - 1];
  const N = b.shape[r - 1];
  const batchShape = a.shape.slice(0, r - 2);
  const batch = sizeOfShape(batchShape);
  const out = new Float32Array(batch * M * N);
  if (M === 0 || N === 0 || K === 0 || batch === 0) return out;
  const A = arr(a.data);
  const B = arr(b.data);
  const aRow = a.strides[r - 2];
  const aCol = a.strides[r - 1];
  const bRow = b.strides[r - 2];
  const bCol = b.strides[r - 1];
  const aDense = aCol === 1 && (aRow === K || M === 1);
  const bDense = bCol === 1 && (bRow === N || K === 1);
  const aScratch = aDense ? null : new Float32Array(M * K);
  const bScratch = bDense ? null : new Float32Array(K * N);
  const idx = new Array<number>(batchShape.length).fill(0);
  let lastA = -1;
  let lastB = -1;
  for (let t = 0; t < batch; t++) {
    let aOff = a.offset;
    let bOff = b.offset;
    for (let d = 0; d < batchShape.length; d++) {
      aOff += idx[d] * a.strides[d];
      bOff += idx[d] * b.strides[d];
    }
    let Ablk: ArrayLike<number> = A;
    let ao = aOff;
    if (aScratch) {
      // A broadcast operand (stride 0 over the batch) is packed once.
      if (aOff !== lastA) pack2d(A, aOff, M, K, aRow, aCol, aScratch);
      lastA = aOff;
      Ablk = aScratch;
      ao = 0;
    }
    let Bblk: ArrayLike<number> = B;
    let bo = bOff;
    if (bScratch) {
      if (bOff !== lastB) pack2d(B, bOff, K, N, bRow, bCol, bScratch);
      lastB = bOff;
      Bblk = bScratch;
      bo = 0;
    }
    gemm(Ablk, ao, Bblk, bo, out, t * M * N, M, K, N);
    for (let d = batchShape.length - 1; d >= 0; d--) {
      if (++idx[d] < batchShape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}
