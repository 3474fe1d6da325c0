import { add, cumprod, cumsum, flip, mul, reshape, tensor, topk, tril, triu, unstack } from '@tsdl/tensor';
import { distinct, rnd, strided, transposed } from './data';
import { type GradTable, gc } from './types';

/**
 * The sequence ops: cumsum and flip are recorded ops with rules of their own;
 * cumprod, tril/triu and topk's values are compositions (recorded multiplies,
 * where, a gather), checked here end to end. cumprod is multilinear in its
 * inputs, so a central difference is exact for it even across a zero.
 */
export const sequenceCases: GradTable = {
  cumsum: [
    gc(
      '[2,5] axis 1',
      () => [rnd([2, 5], 1)],
      (x) => cumsum(x, 1),
    ),
    gc(
      '[3,4] axis 0, exclusive',
      () => [rnd([3, 4], 2)],
      (x) => cumsum(x, 0, { exclusive: true }),
    ),
    gc(
      '[9] reverse',
      () => [rnd([9], 3)],
      (x) => cumsum(x, 0, { reverse: true }),
    ),
    gc(
      '[2,3,4] axis -2, exclusive and reverse',
      () => [rnd([2, 3, 4], 4)],
      (x) => cumsum(x, -2, { exclusive: true, reverse: true }),
    ),
    gc(
      'of a transposed view',
      () => [transposed([3, 4], 5)],
      (x) => cumsum(x, 1),
    ),
    gc(
      '0-d',
      () => [rnd([], 6)],
      (x) => cumsum(x, 0),
    ),
  ],
  flip: [
    gc(
      '[5] axis 0',
      () => [rnd([5], 7)],
      (x) => flip(x, 0),
    ),
    gc(
      '[2,3,4] axes [0,2]',
      () => [rnd([2, 3, 4], 8)],
      (x) => flip(x, [0, 2]),
    ),
    gc(
      'all axes (default)',
      () => [rnd([3, 2], 9)],
      (x) => flip(x),
    ),
    gc(
      'of a strided view',
      () => [strided([2, 3], 10)],
      (x) => flip(x, -1),
    ),
  ],
};

/** Composed sequence ops (no rule of their own). */
export const sequenceCompositeCases: GradTable = {
  unstack: [
    // Slices reused and combined: each one's gradient lands in its own place of x.
    gc(
      '[5,3] axis 0',
      () => [rnd([5, 3], 21)],
      (x) => {
        const s = unstack(x);
        return add(mul(s[0], s[4]), mul(s[2], 3));
      },
    ),
    gc(
      '[2,4] axis 1 of a transposed view',
      () => [transposed([2, 4], 22)],
      (x) => {
        const s = unstack(x, 1);
        return add(mul(s[1], s[3]), s[0]);
      },
    ),
  ],
  cumprod: [
    gc(
      '[2,5] axis 1',
      () => [rnd([2, 5], 11, { lo: 0.5, hi: 1.5 })],
      (x) => cumprod(x, 1),
    ),
    gc(
      '[7] with a zero in the middle',
      () => [tensor([0.9, -1.2, 0, 1.1, 0.8, -0.7, 1.3])],
      (x) => cumprod(x, 0),
    ),
    gc(
      '[6] with two zeros',
      () => [tensor([1.2, 0, 0.9, 0, -1.1, 0.7])],
      (x) => cumprod(x, 0),
    ),
    gc(
      '[3,4] axis 0, exclusive and reverse, a zero',
      () => [tensor([0.8, 1.1, -0.9, 1.2, 0, 0.7, 1.3, -1.1, 0.9, 1.2, 0.6, 1])],
      (x) => cumprod(reshape(x, [3, 4]), 0, { exclusive: true, reverse: true }),
    ),
    gc(
      'of a transposed view',
      () => [transposed([3, 3], 12, { lo: 0.5, hi: 1.5 })],
      (x) => cumprod(x, -1),
    ),
  ],
  tril: [
    gc(
      '[3,4] k 0',
      () => [rnd([3, 4], 13)],
      (x) => tril(x),
    ),
    gc(
      'batched [2,3,3] k -1',
      () => [rnd([2, 3, 3], 14)],
      (x) => tril(x, -1),
    ),
  ],
  triu: [
    gc(
      '[4,3] k 1',
      () => [rnd([4, 3], 15)],
      (x) => triu(x, 1),
    ),
    gc(
      'of a transposed view, k 0',
      () => [transposed([3, 3], 16)],
      (x) => triu(x),
    ),
  ],
  topk: [
    // Distinct values 0.1 apart: a ±1e-2 step never changes which elements are picked.
    gc(
      '[2,6] k 3',
      () => [distinct([2, 6], 17)],
      (x) => topk(x, 3).values,
    ),
    gc(
      '[2,5] k 2 smallest',
      () => [distinct([2, 5], 18)],
      (x) => topk(x, 2, { largest: false }).values,
    ),
    gc(
      '[4,3] k 2 on axis 0',
      () => [distinct([4, 3], 19)],
      (x) => topk(x, 2, { axis: 0 }).values,
    ),
    gc(
      '[9] k 9 (a sort), values reused',
      () => [distinct([9], 20)],
      (x) => {
        const { values } = topk(x, 9);
        return mul(values, values);
      },
    ),
  ],
};
