import { avgPool2d, maxPool2d } from '@tsdl/tensor';
import { distinct, rnd } from './data';
import { type GradTable, gc } from './types';

/**
 * Pooling options: dilated windows (a lowering over taps), ceilMode (the
 * kernels with a longer output) and the divisor options (a constant factor on
 * the kernel's average). Max pooling uses distinct values, so no window has a
 * near tie.
 */
export const poolOptionCompositeCases: GradTable = {
  maxPool2dOptions: [
    gc(
      'dilation 2, kernel 2, stride 1: x [1,5,5,2]',
      () => [distinct([1, 5, 5, 2], 111)],
      (x) => maxPool2d(x, { kernelSize: 2, strides: 1, dilations: 2 }),
    ),
    gc(
      'dilations [1,2], padding 1, ceilMode: x [1,5,6,1]',
      () => [distinct([1, 5, 6, 1], 112)],
      (x) => maxPool2d(x, { kernelSize: 2, strides: 2, padding: 1, dilations: [1, 2], ceilMode: true }),
    ),
    gc(
      'ceilMode, kernel 3, stride 2: x [1,6,6,1]',
      () => [distinct([1, 6, 6, 1], 113)],
      (x) => maxPool2d(x, { kernelSize: 3, strides: 2, ceilMode: true }),
    ),
  ],
  avgPool2dOptions: [
    gc(
      'countIncludePad, padding 1, ceilMode: x [1,6,5,1]',
      () => [rnd([1, 6, 5, 1], 114)],
      (x) => avgPool2d(x, { kernelSize: 3, strides: 2, padding: 1, ceilMode: true, countIncludePad: true }),
    ),
    gc(
      'divisorOverride 3: x [1,4,4,2]',
      () => [rnd([1, 4, 4, 2], 115)],
      (x) => avgPool2d(x, { kernelSize: 2, divisorOverride: 3 }),
    ),
    gc(
      'dilation 2, same: x [1,5,5,1]',
      () => [rnd([1, 5, 5, 1], 116)],
      (x) => avgPool2d(x, { kernelSize: 2, strides: 2, padding: 'same', dilations: 2 }),
    ),
    gc(
      'NCHW, ceilMode: x [1,2,5,5]',
      () => [rnd([1, 2, 5, 5], 117)],
      (x) => avgPool2d(x, { kernelSize: 2, ceilMode: true, dataFormat: 'NCHW' }),
    ),
  ],
};
