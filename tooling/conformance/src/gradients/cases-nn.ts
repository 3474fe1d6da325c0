import { type Conv2dOptions, type Pool2dOptions, avgPool2d, conv2d, logSoftmax, maxPool2d, mul, softmax } from '@tsdl/tensor';
import { distinct, rnd, transposed } from './data';
import { type GradCase, type GradTable, gc } from './types';

/**
 * softmax, logSoftmax, conv2d and the pools. Softmax outputs are weighted by
 * a random cotangent: with a uniform one its gradient would be zero and prove
 * nothing. Max pooling uses distinct values so no window has a near tie.
 */

function softmaxCases(op: typeof softmax): GradCase[] {
  return [
    gc('last axis of [2,4]', () => [rnd([2, 4], 1, { lo: -2, hi: 2 })], (x) => op(x)),
    gc('axis 0 of [3,4]', () => [rnd([3, 4], 2, { lo: -2, hi: 2 })], (x) => op(x, 0)),
    gc('axis 1 of [2,3,2]', () => [rnd([2, 3, 2], 3, { lo: -2, hi: 2 })], (x) => op(x, 1)),
    gc('1-D [5]', () => [rnd([5], 4, { lo: -2, hi: 2 })], (x) => op(x)),
    gc('of a transposed view', () => [transposed([3, 4], 5, { lo: -2, hi: 2 })], (x) => op(x, -1)),
    gc('composed: x · op(x)', () => [rnd([2, 3], 6, { lo: -2, hi: 2 })], (x) => mul(x, op(x))),
  ];
}

function convCase(name: string, x: number[], w: number[], options: Conv2dOptions, seed: number): GradCase {
  return gc(`${name}: x [${x}], w [${w}]`, () => [rnd(x, seed), rnd(w, seed + 1)], (a, b) => conv2d(a, b, options));
}

function poolCases(op: typeof maxPool2d, make: typeof rnd): GradCase[] {
  const c = (name: string, shape: number[], options: Pool2dOptions, seed: number) =>
    gc(`${name}: x [${shape}]`, () => [make(shape, seed)], (x) => op(x, options));
  return [
    c('kernel 2, stride 2, valid', [1, 4, 4, 2], { kernelSize: 2 }, 21),
    c('kernel 3, stride 1, same (padded cells)', [1, 4, 4, 1], { kernelSize: 3, strides: 1, padding: 'same' }, 22),
    c('kernel [2,3], strides [1,2], batch 2', [2, 3, 5, 1], { kernelSize: [2, 3], strides: [1, 2] }, 23),
    c('explicit padding 1, stride 2', [1, 5, 5, 1], { kernelSize: 2, strides: 2, padding: 1 }, 24),
    c('NCHW', [1, 2, 4, 4], { kernelSize: 2, strides: 2, dataFormat: 'NCHW' }, 25),
  ];
}

export const nnCases: GradTable = {
  softmax: softmaxCases(softmax),
  logSoftmax: softmaxCases(logSoftmax),
  conv2d: [
    convCase('valid, stride 1', [1, 4, 4, 2], [3, 3, 2, 2], {}, 31),
    convCase('same, stride 2', [1, 5, 5, 1], [3, 3, 1, 2], { strides: 2, padding: 'same' }, 33),
    convCase('dilation 2', [1, 5, 5, 1], [2, 2, 1, 2], { dilations: 2 }, 35),
    convCase('explicit padding [[1,0],[0,1]], strides [2,1]', [1, 4, 4, 1], [2, 2, 1, 2], { padding: [[1, 0], [0, 1]], strides: [2, 1] }, 37),
    convCase('batch 2, 3 output channels, same', [2, 3, 3, 2], [2, 2, 2, 3], { padding: 'same' }, 39),
    convCase('NCHW', [1, 2, 4, 4], [3, 2, 2, 2], { dataFormat: 'NCHW' }, 41),
    convCase('NCHW, stride 2, padding 1', [1, 1, 5, 5], [2, 1, 3, 3], { dataFormat: 'NCHW', strides: 2, padding: 1 }, 43),
    gc('non-contiguous input (channels-last view of NCHW data)', () => [rnd([1, 2, 4, 3], 45).transpose([0, 2, 3, 1]), rnd([2, 2, 2, 2], 46)], (a, b) => conv2d(a, b)),
  ],
  maxPool2d: poolCases(maxPool2d, distinct),
  avgPool2d: poolCases(avgPool2d, rnd),
};
