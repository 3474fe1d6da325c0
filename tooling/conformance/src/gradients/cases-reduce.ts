import { type Tensor, max, min, mul, prod, sum } from '@tsdl/tensor';
import { awayFromZero, distinct, rnd, strided, transposed } from './data';
import { type GradCase, type GradTable, gc } from './types';

/**
 * Gradient cases of the reduction primitives (sum, prod, max, min): all axes,
 * one axis, negative axes, several axes, keepDims, and non-contiguous inputs.
 * mean, variance, std and logSumExp are compositions (see cases-composite).
 */

type Reduce = (x: Tensor, axes?: number | readonly number[], keepDims?: boolean) => Tensor;

/** `make` draws an input of a shape, in the op's safe domain. */
function axisCases(op: Reduce, make: (shape: number[], seed: number) => Tensor): GradCase[] {
  return [
    gc(
      'all axes of [2,3]',
      () => [make([2, 3], 1)],
      (x) => op(x),
    ),
    gc(
      'axis 0 of [2,3]',
      () => [make([2, 3], 2)],
      (x) => op(x, 0),
    ),
    gc(
      'axis -1 of [2,3,4]',
      () => [make([2, 3, 4], 3)],
      (x) => op(x, -1),
    ),
    gc(
      'axes [0,2] of [2,3,4]',
      () => [make([2, 3, 4], 4)],
      (x) => op(x, [0, 2]),
    ),
    gc(
      'axes [-1,-3] of [2,3,4], keepDims',
      () => [make([2, 3, 4], 5)],
      (x) => op(x, [-1, -3], true),
    ),
    gc(
      'axis 1 of [2,3], keepDims',
      () => [make([2, 3], 6)],
      (x) => op(x, 1, true),
    ),
    gc(
      'all axes, keepDims',
      () => [make([2, 3], 7)],
      (x) => op(x, undefined, true),
    ),
    gc(
      '0-d tensor',
      () => [make([], 8)],
      (x) => op(x),
    ),
    gc(
      'size-1 axis',
      () => [make([3, 1], 9)],
      (x) => op(x, 1),
    ),
  ];
}

/** Non-contiguous inputs: a transposed view and a strided view with an offset. */
function viewCases(op: Reduce, range: Parameters<typeof rnd>[2]): GradCase[] {
  return [
    gc(
      'axis 0 of a transposed view [3,4]',
      () => [transposed([3, 4], 11, range)],
      (x) => op(x, 0),
    ),
    gc(
      'axis -1 of a strided view [2,3]',
      () => [strided([2, 3], 12, range)],
      (x) => op(x, -1),
    ),
  ];
}

/** max/min with distinct values: a ±1e-2 step never changes which element wins. */
function extremeViewCases(op: Reduce): GradCase[] {
  return [
    gc(
      'axis 0 of a transposed view [3,4]',
      () => [distinct([4, 3], 13).transpose()],
      (x) => op(x, 0),
    ),
    gc(
      'axis -1 of a strided view [2,3]',
      () => [distinct([2, 7], 14).slice([0, 1], undefined, [1, 2])],
      (x) => op(x, -1),
    ),
    // The winner of one row feeds another op: dy is not all ones.
    gc(
      'composed with mul',
      () => [distinct([3, 4], 15)],
      (x) => mul(op(x, 1, true), x),
    ),
  ];
}

export const reduceCases: GradTable = {
  sum: [...axisCases(sum, (s, k) => rnd(s, k)), ...viewCases(sum, {})],
  prod: [...axisCases(prod, awayFromZero), ...viewCases(prod, { avoid: [0], gap: 0.5 })],
  max: [...axisCases(max, distinct), ...extremeViewCases(max)],
  min: [...axisCases(min, distinct), ...extremeViewCases(min)],
};
