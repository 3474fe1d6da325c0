import type { Backend, View } from '../backend';
import type { DType, TypedArray } from '../dtype';
import { BYTES_PER_ELEMENT, scalarType } from '../dtype';
import { backendOf, dispatch, view, wrap } from '../engine';
import { ArgumentError, ShapeError, fmtShape } from '../errors';
import type { Expr } from '../expr';
import { E, exprKey } from '../expr';
import { describeValue, isContiguous, shapesEqual, sizeOf } from '../shape';
import { foreignTensorHint } from '../copies';
import { noteHostValues } from './index-range';
import { Tensor } from '../tensor';

/**
 * An operand of an op that takes tensors or JS scalars (add, where …): a Tensor or a number
 * as given, a boolean as 1 or 0 (a weak scalar, as PyTorch's `t + True`). Anything else is
 * an ArgumentError naming the op and the argument: a string, null or an array would
 * otherwise fail deep inside with a TypeError, or be coerced into a wrong value. Arrays are
 * refused, as PyTorch's torch.add(t, [1, 2]) refuses them.
 */
export function operand(op: string, x: unknown, position: number, name: string): Tensor | number {
  if (typeof x === 'number' || x instanceof Tensor) return x;
  if (typeof x === 'boolean') return x ? 1 : 0;
  const hint =
    Array.isArray(x) || ArrayBuffer.isView(x) ? '; make it a tensor with tensor() first' : foreignTensorHint(x);
  throw new ArgumentError(
    `${op}: argument ${position} (${name}) must be a Tensor, a number or a boolean, got ${describeValue(x)}${hint}`,
  );
}

/** A Tensor argument (ops whose input must be a tensor: neg, sum, reshape …); anything else is an ArgumentError naming the op and the argument. */
export function tensorArg(op: string, x: unknown, position: number, name: string): Tensor {
  if (x instanceof Tensor) return x;
  const hint =
    Array.isArray(x) || ArrayBuffer.isView(x) || typeof x === 'number'
      ? '; make it a tensor with tensor() first'
      : foreignTensorHint(x);
  throw new ArgumentError(`${op}: argument ${position} (${name}) must be a Tensor, got ${describeValue(x)}${hint}`);
}

/** A number argument (a scalar option such as clip's bounds or dropout's rate); NaN passes, a string does not. */
export function numberArg(op: string, x: unknown, name: string): number {
  if (typeof x === 'number') return x;
  throw new ArgumentError(`${op}: ${name} must be a number, got ${describeValue(x)}`);
}

/**
 * Up to this many elements no backend refuses a storage (WebGPU guarantees a storage
 * binding of 128 MiB, 2^25 four-byte elements), so the common small op skips the query.
 * A backend's `maxElements` must be at least this.
 */
const ALWAYS_FITS = 1 << 24;

/**
 * The limit where a backend states none: what a JavaScript engine allows one typed array
 * (V8's 2^32 bytes), since the frontend builds created tensors on the host first.
 */
function hostLimit(dtype: DType): number {
  return Math.floor(2 ** 32 / BYTES_PER_ELEMENT[dtype]);
}

/**
 * Throws a ShapeError, before anything is allocated, when a `dtype` tensor of `shape` is
 * larger than `backend` can hold in one storage (`Backend.maxElements`). Without it a huge
 * request spent seconds and gigabytes building a host array, then failed with a RangeError
 * (zeros([40000, 40000]): 28 s, 6 GB), or never failed where the size overflowed.
 */
export function checkSize(op: string, backend: Backend, shape: readonly number[], dtype: DType): void {
  const n = sizeOf(shape);
  if (n <= ALWAYS_FITS) return;
  const max = backend.maxElements?.(dtype) ?? hostLimit(dtype);
  if (n <= max) return;
  const gb = (n * BYTES_PER_ELEMENT[dtype]) / 1e9;
  throw new ShapeError(
    `${op}: shape ${fmtShape(shape)} has ${n} elements (${gb < 1e6 ? gb.toFixed(1) : gb.toExponential(1)} GB of ${dtype}), more than backend '${backend.name}' can hold in one tensor (at most ${max} ${dtype} elements)`,
  );
}

/** A view of `t` broadcast to `shape` (leading dims added, size-1 dims given stride 0). */
export function broadcastView(t: Tensor, shape: readonly number[]): View {
  const rank = shape.length;
  // The common case, an input of the output's shape, keeps its own strides (no new array).
  if (t.shape === shape || shapesEqual(t.shape, shape))
    return { data: t.storage.data, dtype: t.dtype, shape, strides: t.strides, offset: t.offset };
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
  // Ops check their own (broadcast) output sizes; this catches a composition that did not.
  if (sizeOf(shape) > ALWAYS_FITS)
    for (const dt of dtypes) checkSize(tag === '' ? 'elementwise' : tag.split(':')[0], backend, shape, dt);
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
