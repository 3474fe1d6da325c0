import {
  type Tensor,
  all,
  any,
  argmax,
  argmin,
  ceil,
  eq,
  floor,
  ge,
  gt,
  le,
  logicalAnd,
  logicalNot,
  logicalOr,
  lt,
  ne,
  round,
  sign,
  tensor,
} from '@tsdl/tensor';
import { type Conv2dParams, type Pool2dParams } from '@tsdl/tensor/backend';
import {
  conv2dGradFilter,
  conv2dGradInput,
  layerNormGrad,
  pool2dGrad,
  softmaxCrossEntropyGrad,
} from '@tsdl/tensor/internal';

/**
 * One call of each op autograd lists as NON_DIFFERENTIABLE, made from `x`, a
 * float32 [1,3,3,1] leaf that requires grad. Its documented behaviour: the
 * output does not require grad and has no graph node, so it acts as a
 * constant downstream.
 */

// A 2x2 valid convolution of a 3x3 single-channel image, and 2x2 max pooling with stride 1.
const CONV: Conv2dParams = {
  batch: 1,
  inH: 3,
  inW: 3,
  inC: 1,
  outH: 2,
  outW: 2,
  outC: 1,
  kH: 2,
  kW: 2,
  strideH: 1,
  strideW: 1,
  dilationH: 1,
  dilationW: 1,
  padTop: 0,
  padLeft: 0,
};
const POOL: Pool2dParams = {
  kind: 'max',
  batch: 1,
  inH: 3,
  inW: 3,
  channels: 1,
  outH: 2,
  outW: 2,
  kH: 2,
  kW: 2,
  strideH: 1,
  strideW: 1,
  padTop: 0,
  padLeft: 0,
};

const window = (x: Tensor) => x.slice([0, 0, 0, 0], [1, 2, 2, 1]);

export const nonDifferentiableCalls: Record<string, (x: Tensor) => Tensor> = {
  eq: (x) => eq(x, 0.2),
  ne: (x) => ne(x, 0.2),
  lt: (x) => lt(x, 0.2),
  le: (x) => le(x, 0.2),
  gt: (x) => gt(x, 0.2),
  ge: (x) => ge(x, 0.2),
  logicalAnd: (x) => logicalAnd(x, x),
  logicalOr: (x) => logicalOr(x, 0),
  logicalNot: (x) => logicalNot(x),
  sign: (x) => sign(x),
  floor: (x) => floor(x),
  ceil: (x) => ceil(x),
  round: (x) => round(x),
  argmax: (x) => argmax(x, 2),
  argmin: (x) => argmin(x),
  all: (x) => all(x, [1, 2]),
  any: (x) => any(x),
  // x is dy here (and the image for the filter gradient); the other operand is a constant.
  conv2dGradInput: (x) => conv2dGradInput(window(x), tensor([0.5, -1, 2, 0.25], [2, 2, 1, 1]), CONV),
  conv2dGradFilter: (x) => conv2dGradFilter(x, tensor([1, -2, 0.5, 3], [1, 2, 2, 1]), CONV),
  pool2dGrad: (x) => pool2dGrad(x, window(x), POOL),
  softmaxCrossEntropyGrad: (x) =>
    softmaxCrossEntropyGrad(x.reshape([3, 3]), tensor([2, 0, 1], [3], 'int32'), tensor([1, -0.5, 2])),
  // x as the rows, each output (dx, dgamma, dbeta) a constant downstream; dx stands for them.
  layerNormGrad: (x) =>
    layerNormGrad(x.reshape([3, 3]), null, tensor([1, -0.5, 2, 0, 1, 3, -2, 1, 0.5], [3, 3]), 1e-5)[0],
};
