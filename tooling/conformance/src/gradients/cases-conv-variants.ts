import { type Conv2dTransposeOptions, conv2d, conv2dTranspose, depthwiseConv2d } from '@tsdl/tensor';
import { rnd } from './data';
import { type GradCase, type GradTable, gc } from './types';

/**
 * conv2dTranspose (a primitive with its own rule: conv2d for x,
 * conv2dGradFilter with x and dy swapped for w) and the compositions built on
 * conv2d: groups (a kernel per group, or the sum over taps) and depthwiseConv2d.
 */

function transposeCase(
  name: string,
  x: number[],
  w: number[],
  out: number[],
  options: Conv2dTransposeOptions,
  seed: number,
): GradCase {
  return gc(
    `${name}: x [${x}], w [${w}] → [${out}]`,
    () => [rnd(x, seed), rnd(w, seed + 1)],
    (a, b) => conv2dTranspose(a, b, out, options),
  );
}

export const convTransposeCases: GradTable = {
  conv2dTranspose: [
    transposeCase('valid, stride 1', [1, 2, 2, 2], [2, 2, 1, 2], [1, 3, 3, 1], {}, 71),
    transposeCase('same, stride 2', [1, 2, 2, 1], [3, 3, 2, 1], [1, 4, 4, 2], { strides: 2, padding: 'same' }, 73),
    // A row and column past the minimum output: cells no window reaches.
    transposeCase(
      'valid, stride 2, output one past the minimum',
      [1, 2, 2, 1],
      [3, 3, 1, 1],
      [1, 6, 6, 1],
      { strides: 2 },
      75,
    ),
    transposeCase(
      'explicit padding [[1,0],[0,1]], strides [2,1], dilation 2',
      [1, 2, 3, 1],
      [2, 2, 1, 1],
      [1, 4, 4, 1],
      {
        strides: [2, 1],
        padding: [
          [1, 0],
          [0, 1],
        ],
        dilations: 2,
      },
      77,
    ),
    transposeCase('NCHW, groups 2', [1, 2, 2, 2], [2, 1, 2, 2], [1, 2, 3, 3], { dataFormat: 'NCHW', groups: 2 }, 79),
  ],
};

export const convVariantCompositeCases: GradTable = {
  conv2dGroups: [
    gc(
      'groups 2, one kernel per group, same: x [1,4,4,4], w [3,3,2,4]',
      () => [rnd([1, 4, 4, 4], 81), rnd([3, 3, 2, 4], 82)],
      (a, b) => conv2d(a, b, { groups: 2, padding: 'same' }),
    ),
    gc(
      'groups 5 of one channel (sum over taps), stride [1,2]: x [1,3,4,5], w [1,2,1,10]',
      () => [rnd([1, 3, 4, 5], 83), rnd([1, 2, 1, 10], 84)],
      (a, b) =>
        conv2d(a, b, {
          groups: 5,
          strides: [1, 2],
          padding: [
            [0, 1],
            [1, 0],
          ],
        }),
    ),
    gc(
      'NCHW groups 2: x [1,4,3,3], w [2,2,2,2]',
      () => [rnd([1, 4, 3, 3], 85), rnd([2, 2, 2, 2], 86)],
      (a, b) => conv2d(a, b, { groups: 2, dataFormat: 'NCHW' }),
    ),
  ],
  depthwiseConv2d: [
    gc(
      'multiplier 2, same, stride 2: x [1,4,4,2], w [3,3,2,2]',
      () => [rnd([1, 4, 4, 2], 87), rnd([3, 3, 2, 2], 88)],
      (a, b) => depthwiseConv2d(a, b, { strides: 2, padding: 'same' }),
    ),
    gc(
      'dilation 2: x [1,5,5,1], w [2,2,1,1]',
      () => [rnd([1, 5, 5, 1], 89), rnd([2, 2, 1, 1], 90)],
      (a, b) => depthwiseConv2d(a, b, { dilations: 2 }),
    ),
  ],
};
