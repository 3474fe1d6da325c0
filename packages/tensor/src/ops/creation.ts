import type { Backend } from '../backend';
import type { DType, TypedArray } from '../dtype';
import { assertDType, dtypeOfArray, makeTypedArray, toTypedArray } from '../dtype';
import { wrap } from '../engine';
import { ArgumentError, ShapeError, fmtShape } from '../errors';
import { nextKey } from '../random';
import { getBackend } from '../registry';
import { checkShape, sizeOf } from '../shape';
import type { Tensor } from '../tensor';
import { noteHostValues } from './index-range';
import { runElementwise } from './internal';
import { E } from '../expr';
import { flattenNested, inferShape, type NestedArray } from './nested';

export interface CreateOptions {
  /** The backend to create on; the active backend by default. */
  backend?: Backend;
}

/** `owned`: `values` is a fresh array of our own, not the caller's (so it may be kept without a copy). */
function fromTyped(values: TypedArray, shape: readonly number[], dtype: DType, backend: Backend | undefined, owned: boolean): Tensor {
  const b = backend ?? getBackend();
  const t = wrap(b, b.write(values, dtype), shape, dtype);
  // Index and label checks then know int32 ranges on every backend (index-range.ts).
  noteHostValues(t, values, owned);
  return t;
}

/**
 * Creates a tensor from nested arrays, a flat array or a TypedArray, with an
 * optional shape (required to reshape flat data) and dtype. Without a dtype,
 * booleans give bool, Int32Array/Uint8Array give int32, anything else float32.
 */
export function tensor(
  values: NestedArray | ArrayLike<number> | ArrayBufferView,
  shape?: readonly number[],
  dtype?: DType,
  options: CreateOptions = {},
): Tensor {
  if (dtype !== undefined) assertDType('tensor', dtype);
  let flat: ArrayLike<number | boolean>;
  let inferred: number[];
  if (ArrayBuffer.isView(values)) {
    if (values instanceof DataView) throw new ArgumentError('tensor: a DataView is not supported; pass a TypedArray');
    flat = values as unknown as ArrayLike<number>;
    inferred = [flat.length];
    dtype ??= dtypeOfArray(values as unknown as ArrayLike<number>);
  } else if (typeof values === 'number' || typeof values === 'boolean') {
    flat = [values];
    inferred = [];
    dtype ??= typeof values === 'boolean' ? 'bool' : 'float32';
  } else {
    inferred = inferShape(values, 'tensor');
    flat = flattenNested(values as NestedArray);
    dtype ??= flat.length > 0 && typeof flat[0] === 'boolean' ? 'bool' : 'float32';
  }
  const finalShape = shape ? checkShape('tensor', shape) : inferred;
  if (sizeOf(finalShape) !== flat.length) {
    throw new ShapeError(
      `tensor: ${flat.length} values cannot fill shape ${fmtShape(finalShape)} (${sizeOf(finalShape)} elements)`,
    );
  }
  // bool storage holds exactly 0 or 1 (kernels compare bools as numbers), so a
  // Uint8Array given as bool data is normalised by toTypedArray, never shared.
  const typed =
    (dtype === 'float32' && flat instanceof Float32Array) || (dtype === 'int32' && flat instanceof Int32Array)
      ? (flat as TypedArray)
      : toTypedArray(flat, dtype);
  return fromTyped(typed, finalShape, dtype, options.backend, typed !== values);
}

/** A 0-d tensor. */
export function scalar(value: number | boolean, dtype?: DType, options: CreateOptions = {}): Tensor {
  return tensor(value, [], dtype, options);
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: readonly number[], value: number | boolean, dtype?: DType, options: CreateOptions = {}): Tensor {
  return fill('full', shape, value, dtype, options);
}

/** full() under the caller's op name, so errors from zeros/ones name zeros/ones. */
function fill(op: string, shape: readonly number[], value: number | boolean, dtype: DType | undefined, options: CreateOptions): Tensor {
  const s = checkShape(op, shape);
  const dt = dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  assertDType(op, dt);
  const a = makeTypedArray(dt, sizeOf(s));
  a.fill(dt === 'bool' ? (value ? 1 : 0) : Number(value));
  return fromTyped(a, s, dt, options.backend, true);
}

export function zeros(shape: readonly number[], dtype: DType = 'float32', options: CreateOptions = {}): Tensor {
  return fill('zeros', shape, 0, dtype, options);
}

export function ones(shape: readonly number[], dtype: DType = 'float32', options: CreateOptions = {}): Tensor {
  return fill('ones', shape, 1, dtype, options);
}

export function zerosLike(t: Tensor, dtype: DType = t.dtype): Tensor {
  return fill('zerosLike', t.shape, 0, dtype, { backend: t.backend });
}

export function onesLike(t: Tensor, dtype: DType = t.dtype): Tensor {
  return fill('onesLike', t.shape, 1, dtype, { backend: t.backend });
}

/**
 * Evenly spaced values in [start, stop) — arange(n) is 0..n-1. int32 when
 * every argument is an integer, else float32 (as NumPy).
 */
export function arange(start: number, stop?: number, step = 1, dtype?: DType, options: CreateOptions = {}): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (step === 0 || !Number.isFinite(step)) throw new ArgumentError(`arange: step must be a finite non-zero number, got ${step}`);
  if (!Number.isFinite(start) || !Number.isFinite(stop)) {
    throw new ArgumentError(`arange: start and stop must be finite numbers, got start=${start}, stop=${stop}`);
  }
  if (dtype !== undefined) assertDType('arange', dtype);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const dt = dtype ?? (Number.isInteger(start) && Number.isInteger(stop) && Number.isInteger(step) ? 'int32' : 'float32');
  const a = makeTypedArray(dt, n);
  for (let i = 0; i < n; i++) a[i] = start + i * step;
  return fromTyped(a, [n], dt, options.backend, true);
}

/** `num` evenly spaced float32 values from start to stop inclusive. */
export function linspace(start: number, stop: number, num: number, options: CreateOptions = {}): Tensor {
  if (!Number.isInteger(num) || num < 0) throw new ArgumentError(`linspace: num must be an integer >= 0, got ${num}`);
  const a = new Float32Array(num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) a[i] = start + i * step;
  if (num > 1) a[num - 1] = stop;
  return fromTyped(a, [num], 'float32', options.backend, true);
}

/** An n×m matrix with ones on the diagonal. */
export function eye(n: number, m: number = n, dtype: DType = 'float32', options: CreateOptions = {}): Tensor {
  checkShape('eye', [n, m]);
  assertDType('eye', dtype);
  const a = makeTypedArray(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) a[i * m + i] = 1;
  return fromTyped(a, [n, m], dtype, options.backend, true);
}

export interface RandomOptions extends CreateOptions {
  /** A seed for this call alone; without it the global generator (see `seed`) advances. */
  seed?: number;
}

/** Uniform float32 values in [low, high). */
export function rand(shape: readonly number[], options: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  const s = checkShape('rand', shape);
  const b = options.backend ?? getBackend();
  const u = wrap(b, b.random('uniform', sizeOf(s), nextKey(options.seed)), s, 'float32');
  const low = options.low ?? 0;
  const high = options.high ?? 1;
  if (low === 0 && high === 1) return u;
  const out = runElementwise(b, [E.add(E.mul(E.in(0), E.s(0)), E.s(1))], [u], [high - low, low], s, ['float32'], 'affine')[0];
  u.dispose();
  return out;
}

/** Normal float32 values with the given mean and standard deviation. */
export function randn(shape: readonly number[], options: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  const s = checkShape('randn', shape);
  const b = options.backend ?? getBackend();
  const z = wrap(b, b.random('normal', sizeOf(s), nextKey(options.seed)), s, 'float32');
  const mean = options.mean ?? 0;
  const std = options.std ?? 1;
  if (mean === 0 && std === 1) return z;
  const out = runElementwise(b, [E.add(E.mul(E.in(0), E.s(0)), E.s(1))], [z], [std, mean], s, ['float32'], 'affine')[0];
  z.dispose();
  return out;
}

/** Uniform int32 values in [low, high). */
export function randint(low: number, high: number, shape: readonly number[], options: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new ArgumentError(`randint: need integers low < high, got low=${low}, high=${high}`);
  }
  const s = checkShape('randint', shape);
  const b = options.backend ?? getBackend();
  const u = wrap(b, b.random('uniform', sizeOf(s), nextKey(options.seed)), s, 'float32');
  const expr = E.add(E.u('floor', E.mul(E.in(0), E.s(0))), E.s(1));
  const out = runElementwise(b, [expr], [u], [high - low, low], s, ['int32'], 'randint')[0];
  u.dispose();
  return out;
}
