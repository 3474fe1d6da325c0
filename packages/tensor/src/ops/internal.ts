import type { Backend, View } from '../backend';
import type { DType, TypedArray } from '../dtype';
import { scalarType } from '../dtype';
import { backendOf, dispatch, view, wrap } from '../engine';
import type { Expr } from '../expr';
import { E, exprKey } from '../expr';
import { isContiguous, shapesEqual } from '../shape';
import { noteHostValues } from './index-range';
import type { Tensor } from '../tensor';

/** A view of `t` broadcast to `shape` (leading dims added, size-1 dims given stride 0). */
export function broadcastView(t: Tensor, shape: readonly number[]): View {
  const rank = shape.length;
  // The common case, an input of the output's shape, keeps its own strides (no new array).
  if (t.shape === shape || shapesEqual(t.shape, shape)) return { data: t.storage.data, dtype: t.dtype, shape, strides: t.strides, offset: t.offset };
  const lead = rank - t.rank;
  const strides = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    if (i < lead) strides[i] = 0;
    else strides[i] = t.shape[i - lead] === 1 && shape[i] !== 1 ? 0 : t.strides[i - lead];
  }
  return { data: t.storage.data, dtype: t.dtype, shape, strides, offset: t.offset };
}

const kernelKeys = new Map<string, string>();

/** The cache key of a list of expressions (memoised: keys are built once per distinct op). */
export function keyOf(exprs: readonly Expr[], tag: string): string {
  let k = kernelKeys.get(tag);
  if (k === undefined) {
    k = exprs.map(exprKey).join(';');
    kernelKeys.set(tag, k);
  }
  return k;
}

/**
 * Runs elementwise expressions on a backend and wraps the outputs (one tensor
 * per expression, all of `shape`). `tag` names the expression list so its
 * cache key is built once: a tag must always stand for the same expressions
 * (prefix tags outside this package, e.g. '@tsdl/optim:adam'). Pass '' to
 * build the key from the expressions on every call.
 */
export function runElementwise(
  backend: Backend,
  exprs: readonly Expr[],
  inputs: readonly Tensor[],
  scalars: readonly number[],
  shape: readonly number[],
  dtypes: readonly DType[],
  tag = '',
): Tensor[] {
  const key = tag === '' ? exprs.map(exprKey).join(';') : keyOf(exprs, tag);
  const views = inputs.map((t) => broadcastView(t, shape));
  const ids = backend.elementwise({ exprs, inputs: views, scalars, shape, dtypes, key });
  return ids.map((id, k) => wrap(backend, id, shape, dtypes[k]));
}

const IDENTITY = [E.in(0)];

/** A contiguous copy of `t`, not recorded by autograd (for reads and kernels that need dense input). */
export function copyContiguous(t: Tensor, dtype: DType = t.dtype): Tensor {
  return runElementwise(t.backend, IDENTITY, [t], [], t.shape, [dtype], 'identity')[0];
}

export function isContiguousTensor(t: Tensor): boolean {
  return isContiguous(t.shape, t.strides);
}

/** `t` if it is dense row-major from offset 0, else an unrecorded contiguous copy. Caller disposes the copy. */
export function dense(t: Tensor): Tensor {
  return t.offset === 0 && isContiguousTensor(t) ? t : copyContiguous(t);
}

/** The dtype a TensorLike has (numbers take the other operand's into account via scalarType). */
export function dtypeOfLike(x: Tensor | number, other: DType): DType {
  return typeof x === 'number' ? scalarType(x, other) : x.dtype;
}

/** A tensor sharing `t`'s storage, outside the autograd graph. */
export function detach(t: Tensor): Tensor {
  backendOf('detach', [t]);
  return view(t, t.shape, t.strides, t.offset);
}

/** Copies `t` to another backend through the host (synchronous read). */
export function toBackend(t: Tensor, backend: Backend): Tensor {
  t.assertAlive('to');
  if (t.backend === backend) return detach(t);
  return dispatch('to', [t], { backend }, () => {
    return written(backend, t.dataSync(), t);
  });
}

/** Copies `t` to another backend through the host (asynchronous read). Not recorded by autograd. */
export async function toBackendAsync(t: Tensor, backend: Backend): Promise<Tensor> {
  t.assertAlive('toAsync');
  if (t.backend === backend) return detach(t);
  return written(backend, await t.data(), t);
}

/** `t`'s values, on the host, written to `backend`; their range is recorded on the way, so index checks there need no read (index-range.ts). */
function written(backend: Backend, values: TypedArray, t: Tensor): Tensor {
  const out = wrap(backend, backend.write(values, t.dtype), t.shape, t.dtype);
  noteHostValues(out, values);
  return out;
}
