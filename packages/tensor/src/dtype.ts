import { DTypeError } from './errors';

/** The dtypes a tensor can hold. uint8 data is accepted as input and stored as int32. */
export type DType = 'float32' | 'int32' | 'bool';

export type TypedArray = Float32Array | Int32Array | Uint8Array;

export const DTYPES: readonly DType[] = ['float32', 'int32', 'bool'];

/** Bytes per element of each dtype's storage. */
export const BYTES_PER_ELEMENT: Record<DType, number> = { float32: 4, int32: 4, bool: 1 };

// Promotion order: bool < int32 < float32 (the wider type wins, as in NumPy).
const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2 };

/** The dtype two operands are computed in: the wider of the two. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * The dtype arithmetic (add, sub, mul, pow, maximum …) returns: the promoted
 * type, with bool lifted to int32 so that `true + true` is 2, as in TensorFlow.js.
 */
export function arithmeticType(a: DType, b: DType): DType {
  const t = promoteTypes(a, b);
  return t === 'bool' ? 'int32' : t;
}

/**
 * The dtype a JS number operand takes beside a tensor of dtype `t`. Numbers are
 * "weak", as in PyTorch and JAX: an integer keeps an int32 tensor int32, a
 * fraction lifts it to float32, and any number keeps float32 float32.
 */
export function scalarType(value: number, t: DType): DType {
  if (t === 'float32') return 'float32';
  return Number.isInteger(value) ? 'int32' : 'float32';
}

export function isDType(x: unknown): x is DType {
  return x === 'float32' || x === 'int32' || x === 'bool';
}

export function assertDType(op: string, x: unknown): DType {
  if (!isDType(x)) {
    throw new DTypeError(`${op}: unknown dtype ${JSON.stringify(x)}; expected one of float32, int32, bool`);
  }
  return x;
}

/** Allocates a zeroed host array for `size` elements of `dtype`. */
export function makeTypedArray(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
  }
}

/** The dtype a host array is stored as when the caller gives none. */
export function dtypeOfArray(a: ArrayLike<number> | ArrayBufferView): DType {
  if (a instanceof Float32Array || a instanceof Float64Array) return 'float32';
  if (
    a instanceof Int32Array ||
    a instanceof Uint8Array ||
    a instanceof Uint8ClampedArray ||
    a instanceof Int8Array ||
    a instanceof Int16Array ||
    a instanceof Uint16Array ||
    a instanceof Uint32Array
  ) {
    return 'int32';
  }
  return 'float32';
}

/** Copies numbers into a typed array of `dtype`, mapping bool to 0/1. */
export function toTypedArray(values: ArrayLike<number | boolean>, dtype: DType): TypedArray {
  const n = values.length;
  const out = makeTypedArray(dtype, n);
  if (dtype === 'bool') {
    for (let i = 0; i < n; i++) out[i] = values[i] ? 1 : 0;
  } else {
    for (let i = 0; i < n; i++) out[i] = Number(values[i]);
  }
  return out;
}
