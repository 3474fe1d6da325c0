import { type DType, type Tensor, broadcastTo, slice, tensor, transpose } from '@tsdl/tensor';
import { FLOAT32_TOLERANCE, type Tolerance, expectAllClose, seededNumbers } from '@tsdl/test-utils';
import { describe, expect, it } from 'vitest';
import { afterRead, afterReadRejects, runDeferred } from '../deferred';
import { type Ref, sizeOf, toDtype, transpose as refTranspose } from './reference';

/**
 * Test inputs and checks shared by the forward groups: a tensor with known
 * float64 values in a chosen memory layout, and one assertion of shape,
 * dtype and values against a reference.
 */

/**
 * How an input is laid out in memory. Every layout holds the same logical
 * values, so a kernel that ignores strides or offsets gives wrong numbers.
 * - contiguous: a fresh row-major tensor
 * - transposed: the transpose of a row-major tensor of the reversed shape
 * - sliced: every other element of a larger tensor, from a negative begin, with junk between
 * - broadcast: a broadcastTo view of a tensor whose first axis has size 1 (stride 0)
 */
export type Layout = 'contiguous' | 'transposed' | 'sliced' | 'broadcast';
export const LAYOUTS: readonly Layout[] = ['contiguous', 'transposed', 'sliced', 'broadcast'];

/** Seeded values suited to a dtype: floats in [lo, hi), integers in [-5, 5], bools 0/1. */
export function seededFor(dtype: DType, n: number, seed: number, lo = -3, hi = 3): number[] {
  const u = seededNumbers(n, seed, lo, hi);
  if (dtype === 'float32') return u.map(Math.fround);
  if (dtype === 'int32') return seededNumbers(n, seed, -5, 6).map(Math.floor);
  return seededNumbers(n, seed).map((v) => (v > 0 ? 1 : 0));
}

export interface Input {
  t: Tensor;
  ref: Ref;
}

/** A row-major tensor from reference data (values converted to `dtype` in the reference too). */
export function fromRef(ref: Ref, dtype: DType = 'float32'): Input {
  const data = ref.data.map((v) => toDtype(v, dtype));
  return { t: tensor(data, ref.shape, dtype), ref: { shape: ref.shape.slice(), data } };
}

/**
 * A tensor of `shape` holding `values` (or seeded values when omitted) in
 * `layout`. In the broadcast layout the values of the first axis repeat, so
 * the reference is built from the size-1 source.
 */
export function input(
  shape: readonly number[],
  dtype: DType,
  seed: number,
  layout: Layout = 'contiguous',
  values?: readonly number[],
): Input {
  const n = sizeOf(shape);
  const rank = shape.length;
  if (layout === 'broadcast' && rank > 0) {
    const src = [1, ...shape.slice(1)];
    const base = fromRef(
      { shape: src, data: values ? values.slice(0, sizeOf(src)) : seededFor(dtype, sizeOf(src), seed) },
      dtype,
    );
    const data: number[] = [];
    for (let i = 0; i < shape[0]; i++) data.push(...base.ref.data);
    return { t: broadcastTo(base.t, shape), ref: { shape: shape.slice(), data } };
  }
  const ref: Ref = { shape: shape.slice(), data: (values ?? seededFor(dtype, n, seed)).map((v) => toDtype(v, dtype)) };
  if (layout === 'transposed' && rank > 0) {
    const perm = shape.map((_, i) => rank - 1 - i);
    const stored = refTranspose(ref, perm);
    return { t: transpose(fromRef(stored, dtype).t, perm), ref };
  }
  if (layout === 'sliced' && rank > 0) {
    // Logical index j sits at 1 + 2j of an axis of size 2d + 1, picked by begin -2d, end -1, step 2.
    const big = shape.map((d) => 2 * d + 1);
    const junk = dtype === 'bool' ? 1 : 77;
    const data = new Array<number>(sizeOf(big)).fill(junk);
    for (let i = 0; i < n; i++) {
      let p = 0;
      let rest = i;
      const idx = new Array<number>(rank);
      for (let d = rank - 1; d >= 0; d--) {
        idx[d] = rest % shape[d];
        rest = Math.floor(rest / shape[d]);
      }
      for (let d = 0; d < rank; d++) p = p * big[d] + 1 + 2 * idx[d];
      data[p] = ref.data[i];
    }
    const bigT = fromRef({ shape: big, data }, dtype).t;
    return {
      t: slice(
        bigT,
        big.map((d) => 1 - d),
        big.map(() => -1),
        big.map(() => 2),
      ),
      ref,
    };
  }
  return { t: fromRef(ref, dtype).t, ref };
}

/** Tolerance for a result dtype: exact for int32 and bool, FLOAT32_TOLERANCE (or `tol`) for float32. */
export function tolFor(dtype: DType, tol?: Tolerance): Tolerance {
  return dtype === 'float32' ? (tol ?? FLOAT32_TOLERANCE) : { atol: 0, rtol: 0 };
}

/**
 * Checks a result's shape and dtype now, and its values after the case body
 * (they are read asynchronously: see deferred.ts). Expected values are
 * float64 and are first converted to the result dtype, as the kernel does
 * when storing.
 */
export function expectTensor(
  t: Tensor,
  shape: readonly number[],
  dtype: DType,
  expected: readonly number[],
  tol?: Tolerance,
  what = 'values',
): void {
  expect(t.shape, `${what}: shape`).toEqual(shape);
  expect(t.dtype, `${what}: dtype`).toBe(dtype);
  const want = expected.map((v) => toDtype(v, dtype));
  afterRead([t], ([got]) => expectAllClose(got, want, tolFor(dtype, tol), what));
}

export function expectRef(t: Tensor, ref: Ref, dtype: DType, tol?: Tolerance, what = 'values'): void {
  expectTensor(t, ref.shape, dtype, ref.data, tol, what);
}

/** True when `t` reads the same storage as `base` (a view, no copy). */
export function sharesStorage(t: Tensor, base: Tensor): boolean {
  return t.storage === base.storage;
}

/** The dtypes every elementwise op is run on. */
export const DTYPE_LIST: readonly DType[] = ['float32', 'int32', 'bool'];

/**
 * One generated test: a name and a synchronous body, run inside tidy() so its
 * tensors are freed. The body checks values with expectTensor / afterRead,
 * which read them after it returns.
 */
export interface Case {
  name: string;
  run: () => void;
}

/** Registers a table of cases as one describe block (the matrix is data; this is the only loop over it). */
export function registerCases(title: string, cases: readonly Case[]): void {
  describe(title, () => {
    it.each(cases)('$name', ({ run }) => runDeferred(run));
  });
}

export { afterRead, afterReadRejects };

export const fmt = (shape: readonly number[]): string => `[${shape.join(',')}]`;
