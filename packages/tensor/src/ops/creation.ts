import type { Backend } from '../backend';
import type { DType, TypedArray } from '../dtype';
import { assertDType, dtypeOfArray, makeTypedArray } from '../dtype';
import { wrap } from '../engine';
import { ArgumentError, ShapeError, fmtShape } from '../errors';
import { nextKey } from '../random';
import { getBackend } from '../registry';
import { checkShape, describeValue, sizeOf } from '../shape';
import type { Tensor } from '../tensor';
import { noteHostValues } from './index-range';
import { checkSize, numberArg, runElementwise, tensorArg } from './internal';
import { E } from '../expr';
import { flattenNested, inferShape, type NestedArray } from './nested';

export interface CreateOptions {
  /** The backend to create on; the active backend by default. */
  backend?: Backend;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * Whether int32 holds `v` (truncated toward zero, as PyTorch and an Int32Array do with
 * 1.7): within its range, so not NaN or infinite. PyTorch raises for anything else
 * ("value cannot be converted to type int32 without overflow"), 2147483647.5 included.
 */
function fitsInt32(v: number): boolean {
  return v >= INT32_MIN && v <= INT32_MAX;
}

/**
 * The error for a value an Int32Array would silently wrap modulo 2^32 (3e9 became
 * -1294967296, a Uint32Array's 4294967295 became -1) or turn into 0 (NaN, Infinity).
 * `at` locates it ('' for a fill value).
 */
function int32Error(op: string, v: unknown, at: string): ArgumentError {
  return new ArgumentError(
    `${op}: value ${String(v)}${at} cannot be stored as int32 without overflow (int32 holds -2147483648 to 2147483647); pass dtype 'float32' to keep it`,
  );
}

/** " at index i", with the nested position where the shape has several axes. */
function position(i: number, shape: readonly number[]): string {
  if (shape.length <= 1) return ` at index ${i}`;
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1, r = i; d >= 0; d--) {
    idx[d] = r % shape[d];
    r = Math.floor(r / shape[d]);
  }
  return ` at index ${i} ${fmtShape(idx)}`;
}

/** bool is value != 0, as cast() and PyTorch (NaN is true, unlike JavaScript's truthiness). */
function boolOf(v: number | boolean): number {
  return v === true || (typeof v === 'number' && v !== 0) ? 1 : 0;
}

/**
 * Copies host values into the storage array of `dtype`. Values beyond int32's range throw
 * (see int32Error), as PyTorch's torch.tensor([3e9], dtype=int32) raises; fractions are
 * truncated toward zero, as there.
 */
function hostArray(
  op: string,
  values: ArrayLike<number | boolean>,
  dtype: DType,
  shape: readonly number[],
): TypedArray {
  const n = values.length;
  const out = makeTypedArray(dtype, n);
  if (dtype === 'bool') {
    for (let i = 0; i < n; i++) out[i] = boolOf(values[i]);
  } else if (dtype === 'int32') {
    for (let i = 0; i < n; i++) {
      const v = Number(values[i]);
      if (!fitsInt32(v)) throw int32Error(op, values[i], position(i, shape));
      out[i] = v;
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = Number(values[i]);
  }
  return out;
}

function backendOf(options: CreateOptions | undefined): Backend {
  return options?.backend ?? getBackend();
}

/** `owned`: `values` is a fresh array of our own, not the caller's (so it may be kept without a copy). */
function fromTyped(values: TypedArray, shape: readonly number[], dtype: DType, b: Backend, owned: boolean): Tensor {
  const t = wrap(b, b.write(values, dtype), shape, dtype);
  // Index and label checks then know int32 ranges on every backend (index-range.ts).
  noteHostValues(t, values, owned);
  return t;
}

/**
 * Creates a tensor from nested arrays, a flat array or a TypedArray, with an
 * optional shape (required to reshape flat data) and dtype. Without a dtype,
 * arrays of booleans only give bool; Int32Array, Uint32Array and the smaller
 * integer arrays give int32; anything else float32 (booleans among numbers
 * count as 0 and 1: bool promotes to the numbers' type, as in PyTorch, and
 * JS numbers are float32 here). Stored as int32, fractions are truncated
 * toward zero (as PyTorch); values beyond int32's range, NaN and infinities
 * (a Uint32Array above 2^31 − 1 too) are an ArgumentError naming the value
 * and its index, where they used to wrap (3e9 became -1294967296), as
 * PyTorch raises for them.
 */
export function tensor(
  values: NestedArray | ArrayLike<number> | ArrayBufferView,
  shape?: readonly number[],
  dtype?: DType,
  options: CreateOptions = {},
): Tensor {
  return create('tensor', values, shape, dtype, options);
}

/** tensor() under the caller's op name (tensor, scalar), so its errors name what was called. */
function create(
  op: string,
  values: NestedArray | ArrayLike<number> | ArrayBufferView,
  shape: readonly number[] | undefined,
  dtype: DType | undefined,
  options: CreateOptions | undefined,
): Tensor {
  if (dtype !== undefined) assertDType(op, dtype);
  let flat: ArrayLike<number | boolean>;
  let inferred: number[];
  if (ArrayBuffer.isView(values)) {
    if (values instanceof DataView) throw new ArgumentError(`${op}: a DataView is not supported; pass a TypedArray`);
    flat = values as unknown as ArrayLike<number>;
    inferred = [flat.length];
    dtype ??= dtypeOfArray(values as unknown as ArrayLike<number>);
  } else if (typeof values === 'number' || typeof values === 'boolean') {
    flat = [values];
    inferred = [];
    dtype ??= typeof values === 'boolean' ? 'bool' : 'float32';
  } else if (Array.isArray(values)) {
    inferred = inferShape(values, op);
    flat = flattenNested(values as NestedArray);
    dtype ??= allBooleans(flat) ? 'bool' : 'float32';
  } else {
    throw new ArgumentError(
      `${op}: values must be an array, a TypedArray, a number or a boolean, got ${describeValue(values)}`,
    );
  }
  const finalShape = shape ? checkShape(op, shape) : inferred;
  if (sizeOf(finalShape) !== flat.length) {
    throw new ShapeError(
      `${op}: ${flat.length} values cannot fill shape ${fmtShape(finalShape)} (${sizeOf(finalShape)} elements)`,
    );
  }
  const b = backendOf(options);
  checkSize(op, b, finalShape, dtype);
  // bool storage holds exactly 0 or 1 (kernels compare bools as numbers), so a
  // Uint8Array given as bool data is normalised, never shared.
  const typed =
    (dtype === 'float32' && flat instanceof Float32Array) || (dtype === 'int32' && flat instanceof Int32Array)
      ? (flat as TypedArray)
      : hostArray(op, flat, dtype, finalShape);
  return fromTyped(typed, finalShape, dtype, b, typed !== values);
}

function allBooleans(flat: ArrayLike<number | boolean>): boolean {
  if (flat.length === 0) return false;
  for (let i = 0; i < flat.length; i++) if (typeof flat[i] !== 'boolean') return false;
  return true;
}

/** A 0-d tensor. */
export function scalar(value: number | boolean, dtype?: DType, options: CreateOptions = {}): Tensor {
  if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw new ArgumentError(`scalar: value must be a number or a boolean, got ${describeValue(value)}`);
  }
  return create('scalar', value, [], dtype, options);
}

/** A tensor of `shape` filled with `value`. */
export function full(
  shape: readonly number[],
  value: number | boolean,
  dtype?: DType,
  options: CreateOptions = {},
): Tensor {
  return fill('full', shape, value, dtype, options);
}

/** full() under the caller's op name, so errors from zeros/ones name zeros/ones. */
function fill(
  op: string,
  shape: readonly number[],
  value: number | boolean,
  dtype: DType | undefined,
  options: CreateOptions | undefined,
): Tensor {
  const s = checkShape(op, shape);
  if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw new ArgumentError(`${op}: value must be a number or a boolean, got ${describeValue(value)}`);
  }
  const dt = dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  assertDType(op, dt);
  if (dt === 'int32' && !fitsInt32(Number(value))) throw int32Error(op, value, '');
  const b = backendOf(options);
  // Before the host array: a huge shape must fail at once, not after filling gigabytes.
  checkSize(op, b, s, dt);
  const a = makeTypedArray(dt, sizeOf(s));
  a.fill(dt === 'bool' ? boolOf(value) : Number(value));
  return fromTyped(a, s, dt, b, true);
}

export function zeros(shape: readonly number[], dtype: DType = 'float32', options: CreateOptions = {}): Tensor {
  return fill('zeros', shape, 0, dtype, options);
}

export function ones(shape: readonly number[], dtype: DType = 'float32', options: CreateOptions = {}): Tensor {
  return fill('ones', shape, 1, dtype, options);
}

export function zerosLike(t: Tensor, dtype: DType = t.dtype): Tensor {
  tensorArg('zerosLike', t, 1, 't');
  return fill('zerosLike', t.shape, 0, dtype, { backend: t.backend });
}

export function onesLike(t: Tensor, dtype: DType = t.dtype): Tensor {
  tensorArg('onesLike', t, 1, 't');
  return fill('onesLike', t.shape, 1, dtype, { backend: t.backend });
}

/**
 * Evenly spaced values in [start, stop) — arange(n) is 0..n-1. int32 when
 * every argument is an integer, else float32 (as NumPy). An int32 result must
 * stay within int32's range (see tensor()).
 */
export function arange(start: number, stop?: number, step = 1, dtype?: DType, options: CreateOptions = {}): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (typeof step !== 'number' || step === 0 || !Number.isFinite(step)) {
    throw new ArgumentError(
      `arange: step must be a finite non-zero number, got ${typeof step === 'number' ? step : describeValue(step)}`,
    );
  }
  if (typeof start !== 'number' || typeof stop !== 'number' || !Number.isFinite(start) || !Number.isFinite(stop)) {
    throw new ArgumentError(
      `arange: start and stop must be finite numbers, got start=${String(start)}, stop=${String(stop)}`,
    );
  }
  if (dtype !== undefined) assertDType('arange', dtype);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const dt =
    dtype ?? (Number.isInteger(start) && Number.isInteger(stop) && Number.isInteger(step) ? 'int32' : 'float32');
  const b = backendOf(options);
  checkSize('arange', b, [n], dt);
  const a = makeTypedArray(dt, n);
  for (let i = 0; i < n; i++) {
    const v = start + i * step;
    if (dt === 'int32' && !fitsInt32(v)) throw int32Error('arange', v, ` at index ${i}`);
    a[i] = dt === 'bool' ? boolOf(v) : v;
  }
  return fromTyped(a, [n], dt, b, true);
}

/** `num` evenly spaced float32 values from start to stop inclusive. */
export function linspace(start: number, stop: number, num: number, options: CreateOptions = {}): Tensor {
  numberArg('linspace', start, 'start');
  numberArg('linspace', stop, 'stop');
  if (!Number.isInteger(num) || num < 0)
    throw new ArgumentError(`linspace: num must be an integer >= 0, got ${String(num)}`);
  const b = backendOf(options);
  checkSize('linspace', b, [num], 'float32');
  const a = new Float32Array(num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) a[i] = start + i * step;
  if (num > 1) a[num - 1] = stop;
  return fromTyped(a, [num], 'float32', b, true);
}

/** An n×m matrix with ones on the diagonal. */
export function eye(n: number, m: number = n, dtype: DType = 'float32', options: CreateOptions = {}): Tensor {
  checkShape('eye', [n, m]);
  assertDType('eye', dtype);
  const b = backendOf(options);
  checkSize('eye', b, [n, m], dtype);
  const a = makeTypedArray(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) a[i * m + i] = 1;
  return fromTyped(a, [n, m], dtype, b, true);
}

export interface RandomOptions extends CreateOptions {
  /** A seed for this call alone; without it the global generator (see `seed`) advances. */
  seed?: number;
}

/** Uniform float32 values in [low, high). */
export function rand(shape: readonly number[], options: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  const s = checkShape('rand', shape);
  const b = backendOf(options);
  checkSize('rand', b, s, 'float32');
  const u = wrap(b, b.random('uniform', sizeOf(s), nextKey(options.seed)), s, 'float32');
  const low = numberArg('rand', options.low ?? 0, 'low');
  const high = numberArg('rand', options.high ?? 1, 'high');
  if (low === 0 && high === 1) return u;
  const out = runElementwise(
    b,
    [E.add(E.mul(E.in(0), E.s(0)), E.s(1))],
    [u],
    [high - low, low],
    s,
    ['float32'],
    'affine',
  )[0];
  u.dispose();
  return out;
}

/** Normal float32 values with the given mean and standard deviation. */
export function randn(shape: readonly number[], options: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  const s = checkShape('randn', shape);
  const b = backendOf(options);
  checkSize('randn', b, s, 'float32');
  const z = wrap(b, b.random('normal', sizeOf(s), nextKey(options.seed)), s, 'float32');
  const mean = numberArg('randn', options.mean ?? 0, 'mean');
  const std = numberArg('randn', options.std ?? 1, 'std');
  if (mean === 0 && std === 1) return z;
  const out = runElementwise(b, [E.add(E.mul(E.in(0), E.s(0)), E.s(1))], [z], [std, mean], s, ['float32'], 'affine')[0];
  z.dispose();
  return out;
}

/** Uniform int32 values in [low, high). */
export function randint(low: number, high: number, shape: readonly number[], options: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new ArgumentError(`randint: need integers low < high, got low=${String(low)}, high=${String(high)}`);
  }
  // Values lie in [low, high − 1], which int32 must hold.
  if (!fitsInt32(low) || !fitsInt32(high - 1)) {
    throw new ArgumentError(
      `randint: low=${low} and high=${high} must give values within int32's range -2147483648 to 2147483647`,
    );
  }
  const s = checkShape('randint', shape);
  const b = backendOf(options);
  checkSize('randint', b, s, 'float32');
  const u = wrap(b, b.random('uniform', sizeOf(s), nextKey(options.seed)), s, 'float32');
  const expr = E.add(E.u('floor', E.mul(E.in(0), E.s(0))), E.s(1));
  const out = runElementwise(b, [expr], [u], [high - low, low], s, ['int32'], 'randint')[0];
  u.dispose();
  return out;
}
