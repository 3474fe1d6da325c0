import { matmul } from '@tsdl/tensor';
import { rnd, strided, transposed } from './data';
import { type GradTable, gc } from './types';

/**
 * matmul: plain, batched, broadcast batch dims (summed back by the engine),
 * 1-D operands on either side, the transpose options, and non-contiguous
 * operands (which reach the backend as swapped strides).
 */
export const linalgCases: GradTable = {
  matmul: [
    gc(
      '[2,3] x [3,4]',
      () => [rnd([2, 3], 1), rnd([3, 4], 2)],
      (a, b) => matmul(a, b),
    ),
    gc(
      'batched [2,2,3] x [2,3,2]',
      () => [rnd([2, 2, 3], 3), rnd([2, 3, 2], 4)],
      (a, b) => matmul(a, b),
    ),
    gc(
      'broadcast batch [2,1,2,3] x [3,3,2]',
      () => [rnd([2, 1, 2, 3], 5), rnd([3, 3, 2], 6)],
      (a, b) => matmul(a, b),
    ),
    gc(
      'broadcast batch [2,3] x [2,3,2]',
      () => [rnd([2, 3], 7), rnd([2, 3, 2], 8)],
      (a, b) => matmul(a, b),
    ),
    gc(
      '1-D left [3] x [3,4]',
      () => [rnd([3], 9), rnd([3, 4], 10)],
      (a, b) => matmul(a, b),
    ),
    gc(
      '1-D right [2,3] x [3]',
      () => [rnd([2, 3], 11), rnd([3], 12)],
      (a, b) => matmul(a, b),
    ),
    gc(
      '1-D both [4] x [4] (inner product)',
      () => [rnd([4], 13), rnd([4], 14)],
      (a, b) => matmul(a, b),
    ),
    gc(
      '1-D left with a batch [3] x [2,3,2]',
      () => [rnd([3], 15), rnd([2, 3, 2], 16)],
      (a, b) => matmul(a, b),
    ),
    gc(
      'transposeA [3,2]ᵀ x [3,4]',
      () => [rnd([3, 2], 17), rnd([3, 4], 18)],
      (a, b) => matmul(a, b, { transposeA: true }),
    ),
    gc(
      'transposeB [2,3] x [4,3]ᵀ',
      () => [rnd([2, 3], 19), rnd([4, 3], 20)],
      (a, b) => matmul(a, b, { transposeB: true }),
    ),
    gc(
      'non-contiguous operands',
      () => [transposed([2, 3], 21), strided([3, 2], 22)],
      (a, b) => matmul(a, b),
    ),
    gc(
      'one tensor on both sides x·xᵀ',
      () => [rnd([2, 3], 23)],
      (a) => matmul(a, a, { transposeB: true }),
    ),
  ],
};
