import { type Tensor, slice, tensor, transpose } from '@tsdl/tensor';
import { seededAwayFrom, seededNumbers } from '@tsdl/test-utils';

/**
 * Input makers for the gradient cases. Values are seeded and kept away from
 * the points where an op has a kink, so a central difference with eps 1e-2
 * never straddles one.
 */

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export interface Range {
  lo?: number;
  hi?: number;
  /** Points to stay at least `gap` away from (kinks, domain edges). */
  avoid?: readonly number[];
  gap?: number;
}

/** Seeded values in [lo, hi) (default [-1, 1)), away from `avoid`. */
export function values(n: number, seed: number, r: Range = {}): number[] {
  return seededAwayFrom(n, seed, r.avoid ?? [], r.gap ?? 0.05, r.lo ?? -1, r.hi ?? 1);
}

/** A contiguous float32 tensor of seeded values. */
export function rnd(shape: readonly number[], seed: number, r: Range = {}): Tensor {
  return tensor(values(sizeOf(shape), seed, r), shape);
}

/** Positive values, for log, sqrt, rsqrt, reciprocal and pow bases. */
export const positive = (shape: readonly number[], seed: number): Tensor => rnd(shape, seed, { lo: 0.3, hi: 2 });

/** Values with |v| >= 0.5, for divisors and products. */
export const awayFromZero = (shape: readonly number[], seed: number): Tensor =>
  rnd(shape, seed, { avoid: [0], gap: 0.5 });

/**
 * Distinct values at least 0.1 apart (a seeded permutation of a grid), so a
 * max or min never changes its winner under a ±1e-2 step.
 */
export function distinct(shape: readonly number[], seed: number): Tensor {
  const n = sizeOf(shape);
  const keys = seededNumbers(n, seed);
  const order = keys.map((k, i) => [k, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(n);
  order.forEach(([, i], rank) => (out[i] = (rank - (n - 1) / 2) * 0.1));
  return tensor(out, shape);
}

/**
 * A non-contiguous view with the given 2-D or higher shape: seeded values laid
 * out with the last two axes swapped, then transposed back (strides permuted).
 */
export function transposed(shape: readonly number[], seed: number, r: Range = {}): Tensor {
  const k = shape.length;
  const stored = [...shape.slice(0, k - 2), shape[k - 1], shape[k - 2]];
  const perm = shape.map((_, i) => i);
  perm[k - 2] = k - 1;
  perm[k - 1] = k - 2;
  return transpose(rnd(stored, seed, r), perm);
}

/** A non-contiguous view with an offset: every other element of a larger tensor along the last axis, from index 1. */
export function strided(shape: readonly number[], seed: number, r: Range = {}): Tensor {
  const big = [...shape.slice(0, -1), shape[shape.length - 1] * 2 + 1];
  const begin = shape.map((_, i) => (i === shape.length - 1 ? 1 : 0));
  const step = shape.map((_, i) => (i === shape.length - 1 ? 2 : 1));
  return slice(rnd(big, seed, r), begin, undefined, step);
}

/** A bool tensor from a list of truthy numbers. */
export const mask = (bits: readonly number[], shape: readonly number[]): Tensor =>
  tensor(
    bits.map((b) => b !== 0),
    shape,
    'bool',
  );

/** An int32 index tensor. */
export const ints = (v: readonly number[], shape: readonly number[] = [v.length]): Tensor => tensor(v, shape, 'int32');
