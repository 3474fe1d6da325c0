import { resizeBilinear, resizeNearest } from '@tsdl/tensor';
import { rnd } from './data';
import { type GradTable, gc } from './types';

/** The resizes are gathers and elementwise ops: the check is that the composition differentiates. */
export const resizeCompositeCases: GradTable = {
  resizeNearest: [
    gc(
      '2×3 → 5×4, legacy',
      () => [rnd([1, 2, 3, 2], 101)],
      (x) => resizeNearest(x, [5, 4]),
    ),
    gc(
      '4×5 → 3×2, halfPixelCenters (several outputs per source and none)',
      () => [rnd([2, 4, 5, 1], 102)],
      (x) => resizeNearest(x, [3, 2], { halfPixelCenters: true }),
    ),
    gc(
      'HWC 3×3 → 4×5, alignCorners',
      () => [rnd([3, 3, 2], 103)],
      (x) => resizeNearest(x, [4, 5], { alignCorners: true }),
    ),
  ],
  resizeBilinear: [
    gc(
      '3×2 → 5×5, alignCorners',
      () => [rnd([1, 3, 2, 2], 104)],
      (x) => resizeBilinear(x, [5, 5], { alignCorners: true }),
    ),
    gc(
      '4×5 → 3×3, halfPixelCenters',
      () => [rnd([1, 4, 5, 1], 105)],
      (x) => resizeBilinear(x, [3, 3], { halfPixelCenters: true }),
    ),
    gc(
      '3×3 → 4×7, legacy (clamped at the far edge)',
      () => [rnd([2, 3, 3, 1], 106)],
      (x) => resizeBilinear(x, [4, 7]),
    ),
  ],
};
