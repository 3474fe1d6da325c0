import {
  add,
  avgPool2d,
  dot,
  dropout,
  flatten,
  logSumExp,
  maxPool2d,
  mean,
  mul,
  outer,
  split,
  squeeze,
  stack,
  std,
  tile,
  unsqueeze,
  variance,
} from '@tsdl/tensor';
import { distinct, rnd, transposed } from './data';
import { type GradTable, gc } from './types';

/**
 * Ops built from primitives (they have no rule of their own): the check here
 * is that the composition, including the constants and detached pieces inside
 * it (logSumExp's max shift, dropout's mask), differentiates correctly.
 */
export const compositeCases: GradTable = {
  mean: [
    gc(
      'all axes',
      () => [rnd([2, 3], 1)],
      (x) => mean(x),
    ),
    gc(
      'axis -1, keepDims',
      () => [rnd([2, 3, 2], 2)],
      (x) => mean(x, -1, true),
    ),
    gc(
      'axes [0,2]',
      () => [rnd([2, 3, 2], 3)],
      (x) => mean(x, [0, 2]),
    ),
  ],
  variance: [
    gc(
      'all axes (population)',
      () => [rnd([2, 3], 4)],
      (x) => variance(x),
    ),
    gc(
      'axis -1, correction 1 (unbiased)',
      () => [rnd([3, 4], 5)],
      (x) => variance(x, -1, false, { correction: 1 }),
    ),
    gc(
      'axes [0,1], keepDims, of a transposed view',
      () => [transposed([3, 2, 2], 6)],
      (x) => variance(x, [0, 1], true),
    ),
  ],
  std: [
    gc(
      'all axes',
      () => [rnd([2, 3], 7)],
      (x) => std(x),
    ),
    gc(
      'axis 0, correction 1',
      () => [rnd([3, 4], 8)],
      (x) => std(x, 0, false, { correction: 1 }),
    ),
  ],
  logSumExp: [
    gc(
      'all axes',
      () => [rnd([2, 3], 9, { lo: -3, hi: 3 })],
      (x) => logSumExp(x),
    ),
    gc(
      'axis -1, keepDims',
      () => [rnd([3, 4], 10, { lo: -3, hi: 3 })],
      (x) => logSumExp(x, -1, true),
    ),
    gc(
      'axes [0,2]',
      () => [rnd([2, 3, 2], 11, { lo: -3, hi: 3 })],
      (x) => logSumExp(x, [0, 2]),
    ),
    // A large common offset: the stabilising shift must not leak into the gradient.
    gc(
      'values near 50',
      () => [rnd([2, 3], 12, { lo: 49, hi: 51 })],
      (x) => logSumExp(x, 1),
    ),
  ],
  stack: [
    gc(
      'axis 0',
      () => [rnd([2, 3], 13), rnd([2, 3], 14)],
      (a, b) => stack([a, b], 0),
    ),
    gc(
      'axis -1, three tensors',
      () => [rnd([2, 2], 15), rnd([2, 2], 16), rnd([2, 2], 17)],
      (a, b, c) => stack([a, b, c], -1),
    ),
  ],
  split: [
    gc(
      'sizes [1,2,1] on axis 1, parts recombined',
      () => [rnd([2, 4], 18)],
      (x) => {
        const [a, b, c] = split(x, [1, 2, 1], 1);
        return add(mul(a, c), b);
      },
    ),
    gc(
      'equal parts on axis 0',
      () => [rnd([4, 2], 19)],
      (x) => {
        const [a, b] = split(x, 2, 0);
        return mul(a, b);
      },
    ),
  ],
  squeeze: [
    gc(
      'all size-1 axes',
      () => [rnd([1, 3, 1], 20)],
      (x) => squeeze(x),
    ),
    gc(
      'axis -1',
      () => [rnd([2, 1], 21)],
      (x) => squeeze(x, -1),
    ),
  ],
  unsqueeze: [
    gc(
      'axis 1',
      () => [rnd([2, 3], 22)],
      (x) => unsqueeze(x, 1),
    ),
    gc(
      'axis -1 of a transposed view',
      () => [transposed([2, 3], 23)],
      (x) => unsqueeze(x, -1),
    ),
  ],
  flatten: [
    gc(
      'axes 1..2 of [2,2,3]',
      () => [rnd([2, 2, 3], 24)],
      (x) => flatten(x, 1, 2),
    ),
  ],
  tile: [
    gc(
      '[2,3] reps [2,1]',
      () => [rnd([2, 3], 25)],
      (x) => tile(x, [2, 1]),
    ),
    gc(
      '[3] reps [2,2] (new leading axis)',
      () => [rnd([3], 26)],
      (x) => tile(x, [2, 2]),
    ),
  ],
  dropout: [
    // A fixed seed gives every evaluation the same mask, so dropout is linear in x.
    gc(
      'rate 0.5, fixed seed',
      () => [rnd([4, 5], 27)],
      (x) => dropout(x, 0.5, { seed: 1234 }),
    ),
    gc(
      'rate 0.2, fixed seed, of a transposed view',
      () => [transposed([3, 4], 28)],
      (x) => dropout(x, 0.2, { seed: 99 }),
    ),
    gc(
      'inference (identity)',
      () => [rnd([2, 3], 29)],
      (x) => dropout(x, 0.5, { training: false }),
    ),
  ],
  outer: [
    gc(
      '[3] ⊗ [2]',
      () => [rnd([3], 30), rnd([2], 31)],
      (a, b) => outer(a, b),
    ),
  ],
  dot: [
    gc(
      '[4] · [4]',
      () => [rnd([4], 32), rnd([4], 33)],
      (a, b) => dot(a, b),
    ),
  ],
  poolNCHW: [
    gc(
      'avgPool2d NCHW, same',
      () => [rnd([1, 2, 3, 3], 34)],
      (x) => avgPool2d(x, { kernelSize: 2, strides: 1, padding: 'same', dataFormat: 'NCHW' }),
    ),
    gc(
      'maxPool2d NCHW, kernel 3 stride 2',
      () => [distinct([1, 1, 5, 5], 35)],
      (x) => maxPool2d(x, { kernelSize: 3, strides: 2, dataFormat: 'NCHW' }),
    ),
  ],
};
