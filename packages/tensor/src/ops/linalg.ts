import type { View } from '../backend';
import { dispatch, wrap } from '../engine';
import { ShapeError, fmtShape } from '../errors';
import { tidy } from '../memory';
import { broadcastShapes } from '../shape';
import type { Tensor } from '../tensor';
import { cast, mul } from './elementwise';
import { checkSize, tensorArg } from './internal';
import { reshape, squeeze, transpose, unsqueeze } from './shape';

export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
}

/**
 * Matrix product with NumPy's rules: batched over leading dims, which
 * broadcast; a 1-D operand is a row (left) or a column (right) vector and its
 * axis is dropped from the result. Computes in float32.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  tensorArg('matmul', a, 1, 'a');
  tensorArg('matmul', b, 2, 'b');
  if (a.rank === 0 || b.rank === 0) {
    throw new ShapeError(
      `matmul: operands must be at least 1-D, got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`,
    );
  }
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    return tidy(() => matmul(cast(a, 'float32'), cast(b, 'float32'), options));
  }
  if (options.transposeA || options.transposeB) {
    return tidy(() => matmul(options.transposeA ? swapLast(a) : a, options.transposeB ? swapLast(b) : b));
  }
  if (a.rank === 1 || b.rank === 1) {
    return tidy(() => {
      const a2 = a.rank === 1 ? unsqueeze(a, 0) : a;
      const b2 = b.rank === 1 ? unsqueeze(b, -1) : b;
      let out = matmul2(a2, b2, a.shape, b.shape);
      if (b.rank === 1) out = squeeze(out, -1);
      if (a.rank === 1) out = squeeze(out, a.rank === 1 && b.rank === 1 ? -1 : -2);
      return out;
    });
  }
  return matmul2(a, b, a.shape, b.shape);
}

function swapLast(t: Tensor): Tensor {
  if (t.rank < 2) return t;
  const perm = t.shape.map((_, i) => i);
  perm[t.rank - 2] = t.rank - 1;
  perm[t.rank - 1] = t.rank - 2;
  return transpose(t, perm);
}

function matmul2(a: Tensor, b: Tensor, origA: readonly number[], origB: readonly number[]): Tensor {
  const M = a.shape[a.rank - 2];
  const K = a.shape[a.rank - 1];
  const K2 = b.shape[b.rank - 2];
  const N = b.shape[b.rank - 1];
  if (K !== K2) {
    throw new ShapeError(
      `matmul: shapes ${fmtShape(origA)} and ${fmtShape(origB)} cannot be multiplied (${K} != ${K2})`,
    );
  }
  if (a.rank === 2 && b.rank === 2) {
    // Plain matrices (every Dense layer and its gradients): no batch dims to broadcast,
    // and the operands' own views are the kernel's.
    const outShape = [M, N];
    // [1e5, 1] @ [1, 1e5]: a product's output can be far larger than its operands.
    checkSize('matmul', a.backend, outShape, 'float32');
    return dispatch('matmul', [a, b], undefined, (backend) =>
      wrap(backend, backend.matmul(a.view(), b.view()), outShape, 'float32'),
    );
  }
  let batch: number[];
  try {
    batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    // Name the operands' full shapes, not just their batch parts.
    throw new ShapeError(
      `matmul: batch dimensions of shapes ${fmtShape(origA)} and ${fmtShape(origB)} cannot be broadcast together (${fmtShape(a.shape.slice(0, -2))} vs ${fmtShape(b.shape.slice(0, -2))})`,
    );
  }
  const outShape = [...batch, M, N];
  checkSize('matmul', a.backend, outShape, 'float32');
  return dispatch('matmul', [a, b], undefined, (backend) => {
    const av = batchView(a, batch);
    const bv = batchView(b, batch);
    return wrap(backend, backend.matmul(av, bv), outShape, 'float32');
  });
}

/** A view of a [..., R, C] tensor with its batch dims broadcast to `batch` (stride 0 where repeated). */
function batchView(t: Tensor, batch: readonly number[]): View {
  const lead = batch.length - (t.rank - 2);
  const shape = [...batch, t.shape[t.rank - 2], t.shape[t.rank - 1]];
  const strides = shape.map((d, i) => {
    if (i >= batch.length) return t.strides[t.rank - 2 + (i - batch.length)];
    if (i < lead) return 0;
    return t.shape[i - lead] === 1 && d !== 1 ? 0 : t.strides[i - lead];
  });
  return { data: t.storage.data, dtype: t.dtype, shape, strides, offset: t.offset };
}

/** Inner product of 1-D tensors; matmul otherwise. */
export function dot(a: Tensor, b: Tensor): Tensor {
  return matmul(a, b);
}

/** Outer product of two 1-D tensors: [n] x [m] -> [n, m]. */
export function outer(a: Tensor, b: Tensor): Tensor {
  tensorArg('outer', a, 1, 'a');
  tensorArg('outer', b, 2, 'b');
  if (a.rank !== 1 || b.rank !== 1) {
    throw new ShapeError(`outer: expects two 1-D tensors, got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  return tidy(() => mul(reshape(a, [a.size, 1]), reshape(b, [1, b.size])));
}
