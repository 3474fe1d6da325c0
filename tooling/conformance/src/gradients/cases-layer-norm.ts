import { layerNorm, mul } from '@tsdl/tensor';
import { rnd, transposed } from './data';
import { type GradTable, gc } from './types';

/**
 * layerNorm against finite differences: x alone, with gamma and beta (three inputs), two
 * normalized axes, a transposed x, and x used again outside the op. Rows span [-2, 2],
 * so the float32 differences are well above rounding.
 */
export const layerNormCases: GradTable = {
  layerNorm: [
    gc(
      'x [3,5] over [5], no affine',
      () => [rnd([3, 5], 71, { lo: -2, hi: 2 })],
      (x) => layerNorm(x, 5),
    ),
    gc(
      'x [2,3,4] over [4] with gamma and beta',
      () => [rnd([2, 3, 4], 72, { lo: -2, hi: 2 }), rnd([4], 73, { lo: 0.5, hi: 1.5 }), rnd([4], 74)],
      (x, g, b) => layerNorm(x, [4], { gamma: g, beta: b }),
    ),
    gc(
      'x [2,3,4] over [3,4] with gamma, epsilon 0.1',
      () => [rnd([2, 3, 4], 75, { lo: -2, hi: 2 }), rnd([3, 4], 76, { lo: 0.5, hi: 1.5 })],
      (x, g) => layerNorm(x, [3, 4], { gamma: g, epsilon: 0.1 }),
    ),
    gc(
      'a transposed x [4,3] with beta only',
      () => [transposed([4, 3], 77, { lo: -2, hi: 2 }), rnd([3], 78)],
      (x, b) => layerNorm(x, 3, { beta: b }),
    ),
    gc(
      'composed: x · layerNorm(x)',
      () => [rnd([2, 4], 79, { lo: -2, hi: 2 })],
      (x) => mul(x, layerNorm(x, 4)),
    ),
  ],
};
