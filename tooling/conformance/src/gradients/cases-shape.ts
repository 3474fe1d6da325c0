import { broadcastTo, concat, gather, mul, pad, reshape, scatterAdd, slice, sub, transpose } from '@tsdl/tensor';
import { ints, rnd, strided, transposed } from './data';
import { type GradTable, gc } from './types';

/**
 * Shape and movement primitives. Outputs are multiplied by a random cotangent
 * in gradCheck, so a gradient routed to the wrong position fails.
 */
export const shapeCases: GradTable = {
  reshape: [
    gc(
      '[2,3] to [3,2]',
      () => [rnd([2, 3], 1)],
      (x) => reshape(x, [3, 2]),
    ),
    gc(
      '[2,3,2] to [-1,4]',
      () => [rnd([2, 3, 2], 2)],
      (x) => reshape(x, [-1, 4]),
    ),
    gc(
      '0-d to [1,1]',
      () => [rnd([], 3)],
      (x) => reshape(x, [1, 1]),
    ),
    gc(
      'non-contiguous [3,4] to [12] (copy path)',
      () => [transposed([3, 4], 4)],
      (x) => reshape(x, [12]),
    ),
  ],
  transpose: [
    gc(
      '2-D default',
      () => [rnd([2, 3], 5)],
      (x) => transpose(x),
    ),
    gc(
      '3-D perm [2,0,1]',
      () => [rnd([2, 3, 4], 6)],
      (x) => transpose(x, [2, 0, 1]),
    ),
    gc(
      'negative axes perm [-1,0,1]',
      () => [rnd([2, 3, 2], 7)],
      (x) => transpose(x, [-1, 0, 1]),
    ),
    gc(
      'of a strided view',
      () => [strided([2, 3], 8)],
      (x) => transpose(x),
    ),
  ],
  broadcastTo: [
    gc(
      '[3] to [2,3]',
      () => [rnd([3], 9)],
      (x) => broadcastTo(x, [2, 3]),
    ),
    gc(
      '[2,1] to [3,2,4]',
      () => [rnd([2, 1], 10)],
      (x) => broadcastTo(x, [3, 2, 4]),
    ),
    gc(
      '0-d to [2,2]',
      () => [rnd([], 11)],
      (x) => broadcastTo(x, [2, 2]),
    ),
    gc(
      'same shape',
      () => [rnd([2, 3], 12)],
      (x) => broadcastTo(x, [2, 3]),
    ),
  ],
  slice: [
    gc(
      '[4,5] rows 1..3',
      () => [rnd([4, 5], 13)],
      (x) => slice(x, [1, 0], [3, null]),
    ),
    gc(
      'negative begin and end',
      () => [rnd([4, 5], 14)],
      (x) => slice(x, [-3, 1], [-1, -1]),
    ),
    gc(
      'step 2 on both axes',
      () => [rnd([4, 5], 15)],
      (x) => slice(x, [0, 0], undefined, [2, 2]),
    ),
    gc(
      'step 3 that does not divide the axis, with an offset',
      () => [rnd([3, 8], 16)],
      (x) => slice(x, [1, 1], [null, 7], [1, 3]),
    ),
    gc(
      'end past the axis (clamped)',
      () => [rnd([3, 4], 17)],
      (x) => slice(x, [1, 2], [10, 10]),
    ),
    gc(
      '3-D, step on the middle axis',
      () => [rnd([2, 5, 3], 18)],
      (x) => slice(x, [0, 1, 1], [2, 5, 3], [1, 2, 1]),
    ),
    gc(
      'fewer axes than the rank',
      () => [rnd([4, 3], 19)],
      (x) => slice(x, [2]),
    ),
    gc(
      'of a transposed view',
      () => [transposed([4, 3], 20)],
      (x) => slice(x, [1, 0], [4, 2], [2, 1]),
    ),
  ],
  concat: [
    gc(
      'axis 0, two tensors',
      () => [rnd([1, 3], 21), rnd([2, 3], 22)],
      (a, b) => concat([a, b], 0),
    ),
    gc(
      'axis -1, three tensors of sizes 1, 3, 2',
      () => [rnd([2, 1], 23), rnd([2, 3], 24), rnd([2, 2], 25)],
      (a, b, c) => concat([a, b, c], -1),
    ),
    gc(
      'one tensor twice',
      () => [rnd([2, 2], 26)],
      (a) => concat([a, mul(a, 2), a], 1),
    ),
    gc(
      'non-contiguous parts',
      () => [transposed([2, 3], 27), strided([2, 3], 28)],
      (a, b) => concat([a, b], 0),
    ),
  ],
  pad: [
    gc(
      '[[1,0],[2,1]]',
      () => [rnd([2, 3], 29)],
      (x) =>
        pad(x, [
          [1, 0],
          [2, 1],
        ]),
    ),
    gc(
      'with a non-zero value',
      () => [rnd([3], 30)],
      (x) => pad(x, [[2, 2]], 1.5),
    ),
    gc(
      '3-D, one axis unpadded',
      () => [rnd([2, 2, 3], 31)],
      (x) =>
        pad(x, [
          [0, 0],
          [1, 1],
          [0, 2],
        ]),
    ),
    gc(
      'of a transposed view',
      () => [transposed([2, 3], 32)],
      (x) =>
        pad(x, [
          [1, 1],
          [0, 1],
        ]),
    ),
  ],
  gather: [
    gc(
      'axis 0, repeated indices',
      () => [rnd([3, 2], 33), ints([2, 0, 2, 2])],
      (x, i) => gather(x, i, 0),
    ),
    gc(
      'axis 1, 2-D indices',
      () => [rnd([2, 4], 34), ints([3, 0, 1, 3], [2, 2])],
      (x, i) => gather(x, i, 1),
    ),
    gc(
      'axis -1 of 3-D',
      () => [rnd([2, 2, 3], 35), ints([1, 1, 0])],
      (x, i) => gather(x, i, -1),
    ),
    gc(
      '0-d index',
      () => [rnd([4, 2], 36), ints([2], [])],
      (x, i) => gather(x, i, 0),
    ),
    gc(
      'of a transposed view',
      () => [transposed([3, 4], 37), ints([0, 3, 3])],
      (x, i) => gather(x, i, 1),
    ),
  ],
  scatterAdd: [
    gc(
      'axis 0, repeated indices',
      () => [rnd([3, 2], 38), ints([0, 2, 0])],
      (u, i) => scatterAdd(u, i, 0, [4, 2]),
    ),
    gc(
      'axis 1',
      () => [rnd([2, 3], 39), ints([1, 1, 0])],
      (u, i) => sub(scatterAdd(u, i, 1, [2, 2]), 1),
    ),
    gc(
      'of a transposed view',
      () => [transposed([2, 3], 40), ints([2, 0])],
      (u, i) => scatterAdd(u, i, 0, [3, 3]),
    ),
  ],
};
