import type { AccelerationName, Conv2dParams, Pool2dParams } from '../backend';
import type { Tensor } from '../tensor';
import { unrecorded } from '../ops/unrecorded';
import { checkIndices } from './check-indices';
import * as conv from './conv2d';
import { elementwiseGroups } from './elementwise-groups';
import * as pool from './pool2d';
import * as ln from './layer-norm';
import * as sm from './softmax';

/**
 * The reference lowering of every acceleration (Backend's optional kernels), on the
 * required core kernels only. The frontend runs an acceleration where the backend has
 * it and its lowering where it does not, so a backend of the core alone runs every op;
 * the two must give the same values (the conformance suite compares them on every
 * backend that implements the acceleration). The lowerings take and return tensors,
 * run unrecorded under tidy (their intermediates are freed; the op that calls one is
 * recorded once, with its own gradient rule), and compose: the cross-entropy lowerings
 * take the backend's softmax where it has one.
 *
 * Typed against AccelerationName, so an acceleration without a lowering fails tsc.
 */
export const lowerings = {
  conv2d: (x: Tensor, w: Tensor, p: Conv2dParams): Tensor => unrecorded(() => conv.conv2d(x, w, p)),
  conv2dGradInput: (dy: Tensor, w: Tensor, p: Conv2dParams): Tensor => unrecorded(() => conv.conv2dGradInput(dy, w, p)),
  conv2dGradFilter: (x: Tensor, dy: Tensor, p: Conv2dParams): Tensor =>
    unrecorded(() => conv.conv2dGradFilter(x, dy, p)),
  pool2d: (x: Tensor, p: Pool2dParams): Tensor => unrecorded(() => pool.pool2d(x, p)),
  pool2dGrad: (x: Tensor, dy: Tensor, p: Pool2dParams): Tensor => unrecorded(() => pool.pool2dGrad(x, dy, p)),
  softmax: (x: Tensor, log: boolean): Tensor => unrecorded(() => sm.softmax(x, log)),
  softmaxCrossEntropy: (logits: Tensor, labels: Tensor, sparse: boolean): Tensor =>
    unrecorded(() => sm.softmaxCrossEntropy(logits, labels, sparse)),
  softmaxCrossEntropyGrad: (logits: Tensor, labels: Tensor, dy: Tensor, sparse: boolean): Tensor =>
    unrecorded(() => sm.softmaxCrossEntropyGrad(logits, labels, dy, sparse)),
  layerNorm: (x: Tensor, gamma: Tensor | null, beta: Tensor | null, epsilon: number): Tensor =>
    unrecorded(() => ln.layerNorm(x, gamma, beta, epsilon)),
  layerNormGrad: (x: Tensor, gamma: Tensor | null, dy: Tensor, epsilon: number): Tensor[] =>
    unrecorded(() => ln.layerNormGrad(x, gamma, dy, epsilon)),
  elementwiseGroups,
  checkIndices,
} as const satisfies Record<AccelerationName, unknown>;

export { settleIndexChecks } from './check-indices';
export type { TensorGroup } from './elementwise-groups';
export { softmaxCrossEntropyGradComposed } from './softmax';
export { layerNormGrad as layerNormGradComposed } from './layer-norm';
