import type { View } from '@tsdl/tensor/backend';
import type { GpuStorage } from '../buffers';
import { storageOf } from '../buffers';
import type { Device } from '../context';
import { GEMM_WORDS, runGemm } from './gemm';

/**
 * Batched matmul over strided views: a [...B, M, K] @ b [...B, K, N]. Both
 * operands are read in place through their strides (a transposed operand is
 * just a view with swapped strides; a broadcast batch has stride 0), so no
 * copy is made. Batch offsets are decomposed once per workgroup.
 */
export function matmul(dev: Device, a: View, b: View): GpuStorage {
  const r = a.shape.length;
  const M = a.shape[r - 2];
  const K = a.shape[r - 1];
  const N = b.shape[r - 1];
  const batchShape = a.shape.slice(0, r - 2);
  const batch = batchShape.reduce((x, y) => x * y, 1);
  const out = dev.alloc('float32', batch * M * N);
  if (batch * M * N === 0) return out;
  if (K === 0) {
    dev.fill(out, 0);
    return out;
  }
  const R = batchShape.length;
  // Words from GEMM_WORDS (W): aOff, bOff, aRow, aCol, bRow, bCol, batch shape, a's batch strides, b's batch strides.
  const params = [a.offset, b.offset, a.strides[r - 2], a.strides[r - 1], b.strides[r - 2], b.strides[r - 1]];
  params.push(...batchShape, ...a.strides.slice(0, R), ...b.strides.slice(0, R));
  const W = GEMM_WORDS;
  const decompose: string[] = [];
  for (let d = R - 1; d >= 0; d--) {
    decompose.push(
      `{ let size = P(${W + 6 + d}u); let c = i32(rem % size); rem = rem / size; ` +
        `o = o + vec2<i32>(c * bitcast<i32>(P(${W + 6 + R + d}u)), c * bitcast<i32>(P(${W + 6 + 2 * R + d}u))); }`,
    );
  }
  const code = /* wgsl */ `
fn bases(b: u32) -> vec2<i32> {
  var rem = b;
  var o = vec2<i32>(bitcast<i32>(P(${W + 0}u)), bitcast<i32>(P(${W + 1}u)));
  ${decompose.join('\n  ')}
  return o;
}
fn loadA(base: vec2<i32>, m: u32, k: u32) -> f32 {
  return A[base.x + i32(m) * bitcast<i32>(P(${W + 2}u)) + i32(k) * bitcast<i32>(P(${W + 3}u))];
}
fn loadB(base: vec2<i32>, k: u32, n: u32) -> f32 {
  return B[base.y + i32(k) * bitcast<i32>(P(${W + 4}u)) + i32(n) * bitcast<i32>(P(${W + 5}u))];
}
`;
  // Which index walks memory (a transposed operand is m- or k-contiguous), so loads stay coalesced.
  const aContiguous = a.strides[r - 1] !== 1 && a.strides[r - 2] === 1 ? 'm' : 'k';
  const bContiguous = b.strides[r - 1] !== 1 && b.strides[r - 2] === 1 ? 'k' : 'n';
  runGemm(
    dev,
    { key: `matmul|${R}`, inputs: ['A', 'B'], code, aContiguous, bContiguous },
    out,
    [storageOf(a.data), storageOf(b.data)],
    { M, K, N, batch },
    params,
  );
  return out;
}
