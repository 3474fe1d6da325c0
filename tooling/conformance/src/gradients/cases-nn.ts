import {
  type Conv2dOptions,
  type Pool2dOptions,
  avgPool2d,
  conv2d,
  logSoftmax,
  maxPool2d,
  mul,
  softmax,
  softmaxCrossEntropy,
  sum,
  tensor,
} from '@tsdl/tensor';
import { applyDropout } from '@tsdl/tensor/internal';
import { distinct, ints, positive, rnd, transposed } from './data';
import { type GradCase, type GradTable, gc } from './types';

/**
 * softmax, logSoftmax, conv2d and the pools. Softmax outputs are weighted by
 * a random cotangent: with a uniform one its gradient would be zero and prove
 * nothing. Max pooling uses distinct values so no window has a near tie.
 */

function softmaxCases(op: typeof softmax): GradCase[] {
  return [
    gc(
      'last axis of [2,4]',
      () => [rnd([2, 4], 1, { lo: -2, hi: 2 })],
      (x) => op(x),
    ),
    gc(
      'axis 0 of [3,4]',
      () => [rnd([3, 4], 2, { lo: -2, hi: 2 })],
      (x) => op(x, 0),
    ),
    gc(
      'axis 1 of [2,3,2]',
      () => [rnd([2, 3, 2], 3, { lo: -2, hi: 2 })],
      (x) => op(x, 1),
    ),
    gc(
      '1-D [5]',
      () => [rnd([5], 4, { lo: -2, hi: 2 })],
      (x) => op(x),
    ),
    gc(
      'of a transposed view',
      () => [transposed([3, 4], 5, { lo: -2, hi: 2 })],
      (x) => op(x, -1),
    ),
    gc(
      'composed: x · op(x)',
      () => [rnd([2, 3], 6, { lo: -2, hi: 2 })],
      (x) => mul(x, op(x)),
    ),
  ];
}

function convCase(name: string, x: number[], w: number[], options: Conv2dOptions, seed: number): GradCase {
  return gc(
    `${name}: x [${x}], w [${w}]`,
    () => [rnd(x, seed), rnd(w, seed + 1)],
    (a, b) => conv2d(a, b, options),
  );
}

function poolCases(op: typeof maxPool2d, make: typeof rnd): GradCase[] {
  const c = (name: string, shape: number[], options: Pool2dOptions, seed: number) =>
    gc(
      `${name}: x [${shape}]`,
      () => [make(shape, seed)],
      (x) => op(x, options),
    );
  return [
    c('kernel 2, stride 2, valid', [1, 4, 4, 2], { kernelSize: 2 }, 21),
    c('kernel 3, stride 1, same (padded cells)', [1, 4, 4, 1], { kernelSize: 3, strides: 1, padding: 'same' }, 22),
    c('kernel [2,3], strides [1,2], batch 2', [2, 3, 5, 1], { kernelSize: [2, 3], strides: [1, 2] }, 23),
    c('explicit padding 1, stride 2', [1, 5, 5, 1], { kernelSize: 2, strides: 2, padding: 1 }, 24),
    c('NCHW', [1, 2, 4, 4], { kernelSize: 2, strides: 2, dataFormat: 'NCHW' }, 25),
  ];
}

/** Probability rows summing to 1 (positive weights, normalised). */
const probs = (n: number, c: number, seed: number) => {
  const w = positive([n, c], seed);
  return w.div(sum(w, -1, true));
};

function softmaxCrossEntropyCases(): GradCase[] {
  return [
    gc(
      'index labels, [3,4]',
      () => [rnd([3, 4], 51, { lo: -2, hi: 2 })],
      (x) => softmaxCrossEntropy(x, ints([2, 0, 3])),
    ),
    gc(
      'index labels, transposed view [4,3]',
      () => [transposed([4, 3], 52, { lo: -2, hi: 2 })],
      (x) => softmaxCrossEntropy(x, ints([1, 2, 0, 1])),
    ),
    gc(
      'index labels, C = 1',
      () => [rnd([2, 1], 53)],
      (x) => softmaxCrossEntropy(x, ints([0, 0])),
    ),
    gc(
      'index labels, large logits (±50 around 1e3)',
      () => [rnd([2, 3], 54, { lo: 950, hi: 1050 })],
      (x) => softmaxCrossEntropy(x, ints([1, 2])),
      {
        // float32 spaces values near 1e3 by 6e-5: a larger step keeps the central difference above that rounding.
        eps: 0.25,
      },
    ),
    gc(
      'probability labels, gradient to logits and labels',
      () => [rnd([3, 4], 55, { lo: -2, hi: 2 }), probs(3, 4, 56)],
      (x, t) => softmaxCrossEntropy(x, t),
    ),
    gc(
      'unnormalised probability labels (Σt ≠ 1)',
      () => [rnd([2, 3], 57, { lo: -2, hi: 2 }), positive([2, 3], 58)],
      (x, t) => softmaxCrossEntropy(x, t),
    ),
    gc(
      'composed: weighted mean over rows',
      () => [rnd([3, 5], 59, { lo: -2, hi: 2 })],
      (x) => mul(softmaxCrossEntropy(x, ints([4, 0, 2])), tensor([0.5, 2, -1])).sum(),
    ),
  ];
}

/** Fixed uniform noise for applyDropout: a constant of the case, not an input to differentiate. */
const noise = (shape: number[], seed: number) => rnd(shape, seed, { lo: 0, hi: 1 });

export const nnCases: GradTable = {
  applyDropout: [
    gc(
      "rate 0.5, noise of x's shape [4,5]",
      () => [rnd([4, 5], 61)],
      (x) => applyDropout(x, noise([4, 5], 62), 0.5),
    ),
    gc(
      'rate 0.3, noise [1,4] broadcast over rows (the gradient sums nothing: x is [3,4])',
      () => [rnd([3, 4], 63)],
      (x) => applyDropout(x, noise([1, 4], 64), 0.3),
    ),
    gc(
      'rate 0.2 of a transposed view',
      () => [transposed([3, 4], 65)],
      (x) => applyDropout(x, noise([3, 4], 66), 0.2),
    ),
    gc(
      'x [4] broadcast against noise [2,4]: the gradient sums over the rows',
      () => [rnd([4], 67)],
      (x) => applyDropout(x, noise([2, 4], 68), 0.4),
    ),
  ],
  softmaxCrossEntropy: softmaxCrossEntropyCases(),
  softmax: softmaxCases(softmax),
  logSoftmax: softmaxCases(logSoftmax),
  conv2d: [
    convCase('valid, stride 1', [1, 4, 4, 2], [3, 3, 2, 2], {}, 31),
    convCase('same, stride 2', [1, 5, 5, 1], [3, 3, 1, 2], { strides: 2, padding: 'same' }, 33),
    convCase('dilation 2', [1, 5, 5, 1], [2, 2, 1, 2], { dilations: 2 }, 35),
    convCase(
      'explicit padding [[1,0],[0,1]], strides [2,1]',
      [1, 4, 4, 1],
      [2, 2, 1, 2],
      {
        padding: [
          [1, 0],
          [0, 1],
        ],
        strides: [2, 1],
      },
      37,
    ),
    convCase('batch 2, 3 output channels, same', [2, 3, 3, 2], [2, 2, 2, 3], { padding: 'same' }, 39),
    convCase('NCHW', [1, 2, 4, 4], [3, 2, 2, 2], { dataFormat: 'NCHW' }, 41),
    convCase(
      'NCHW, stride 2, padding 1',
      [1, 1, 5, 5],
      [2, 1, 3, 3],
      { dataFormat: 'NCHW', strides: 2, padding: 1 },
      43,
    ),
    gc(
      'non-contiguous input (channels-last view of NCHW data)',
      () => [rnd([1, 2, 4, 3], 45).transpose([0, 2, 3, 1]), rnd([2, 2, 2, 2], 46)],
      (a, b) => conv2d(a, b),
    ),
  ],
  maxPool2d: poolCases(maxPool2d, distinct),
  avgPool2d: poolCases(avgPool2d, rnd),
};
