import { attentionWeights, scaledDotProductAttention, tensor } from '@tsdl/tensor';
import { rnd, transposed } from './data';
import { type GradTable, gc } from './types';

/**
 * scaledDotProductAttention and attentionWeights are compositions (matmul,
 * where, add, softmax, dropout): checked end to end against central
 * differences, with respect to query, key and value (and a float mask, which
 * is added to the scores and so has a gradient too). Masks that are constants
 * are made inside f, as the case's function runs under tidy each time.
 */

// Every row keeps key 0, so no row is fully masked (that row would be NaN).
const BOOL_MASK = [true, false, true, true, true, true, false, true, true, true, true, false];

export const attentionCompositeCases: GradTable = {
  scaledDotProductAttention: [
    gc(
      'no mask [2,3,4] x [2,4,4] x [2,4,3]',
      () => [rnd([2, 3, 4], 1), rnd([2, 4, 4], 2), rnd([2, 4, 3], 3)],
      (q, k, v) => scaledDotProductAttention(q, k, v),
    ),
    gc(
      'bool mask [3,4] broadcast over the batch',
      () => [rnd([2, 3, 4], 4), rnd([2, 4, 4], 5), rnd([2, 4, 2], 6)],
      (q, k, v) => scaledDotProductAttention(q, k, v, { mask: tensor(BOOL_MASK, [3, 4]) }),
    ),
    gc(
      'float mask as an input (it is added to the scores)',
      () => [rnd([3, 4], 7), rnd([4, 4], 8), rnd([4, 2], 9), rnd([3, 4], 10)],
      (q, k, v, m) => scaledDotProductAttention(q, k, v, { mask: m }),
    ),
    gc(
      'causal, L = S = 4, batch of heads [2,2]',
      () => [rnd([2, 2, 4, 3], 11), rnd([2, 2, 4, 3], 12), rnd([2, 2, 4, 3], 13)],
      (q, k, v) => scaledDotProductAttention(q, k, v, { isCausal: true }),
    ),
    gc(
      'scale 0.7, key/value batch broadcast [1,4,3]',
      () => [rnd([2, 3, 3], 14), rnd([1, 4, 3], 15), rnd([1, 4, 2], 16)],
      (q, k, v) => scaledDotProductAttention(q, k, v, { scale: 0.7 }),
    ),
    gc(
      'of transposed views',
      () => [transposed([2, 3, 4], 17), transposed([2, 4, 4], 18), transposed([2, 4, 3], 19)],
      (q, k, v) => scaledDotProductAttention(q, k, v),
    ),
    // A fixed seed gives every evaluation the same mask, so dropout is linear in the weights.
    gc(
      'dropout 0.3, fixed seed',
      () => [rnd([2, 3, 4], 20), rnd([2, 4, 4], 21), rnd([2, 4, 3], 22)],
      (q, k, v) => scaledDotProductAttention(q, k, v, { dropout: 0.3, seed: 5 }),
    ),
  ],
  attentionWeights: [
    gc(
      'bool mask, [2,3,4] x [2,4,4]',
      () => [rnd([2, 3, 4], 23), rnd([2, 4, 4], 24)],
      (q, k) => attentionWeights(q, k, { mask: tensor(BOOL_MASK, [3, 4]) }),
    ),
    gc(
      'causal L 4 > S 3',
      () => [rnd([4, 2], 25), rnd([3, 2], 26)],
      (q, k) => attentionWeights(q, k, { isCausal: true }),
    ),
  ],
};
