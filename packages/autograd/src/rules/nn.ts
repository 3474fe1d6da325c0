import { type Tensor, conv2d, exp, isGradEnabled, logSoftmax, mul, neg, sub, sum, unsqueeze } from '@tsdl/tensor';
import { E, runElementwise } from '@tsdl/tensor/backend';
import {
  applyDropout,
  conv2dGradFilter,
  conv2dGradInput,
  pool2dGrad,
  softmaxCrossEntropyGrad,
  softmaxCrossEntropyGradComposed,
} from '@tsdl/tensor/internal';
import { type RuleTable, rule } from '../registry';

/** Vector-Jacobian rules of softmax, convolution and pooling. */

const F32 = ['float32'] as const;
/** y·(dy − s) over inputs [y, dy, s], s the row sums broadcast along the last axis. */
const SOFTMAX_GRAD = [E.mul(E.in(0), E.sub(E.in(1), E.in(2)))];
/** dy − exp(y)·s over inputs [y, dy, s]. */
const LOG_SOFTMAX_GRAD = [E.sub(E.in(1), E.mul(E.u('exp', E.in(0)), E.in(2)))];
export const nnRules = {
  // dx = dy masked and scaled as x was: the same one-kernel op on dy (recorded, so differentiable
  // again under createGraph). The noise gets none: the output is a step function of it.
  applyDropout: rule((dy, { inputs: [, noise], attrs }) => [applyDropout(dy, noise as Tensor, attrs.rate), null], {
    output: false,
  }),
  // dx = y ⊙ (dy − Σ dy ⊙ y): the row sum, then one kernel (not a sub and a mul over the rows),
  // unless the gradient is itself recorded (createGraph).
  softmax: rule(
    (dy, { output }) => {
      const s = sum(mul(dy, output), -1, true);
      if (isGradEnabled()) return [mul(output, sub(dy, s))];
      return [runElementwise(dy.backend, SOFTMAX_GRAD, [output, dy, s], [], output.shape, F32, 'softmax:grad')[0]];
    },
    { inputs: false },
  ),
  // dx = dy − softmax(x) · Σ dy, softmax(x) = exp(y): likewise the row sum, then one kernel.
  logSoftmax: rule(
    (dy, { output }) => {
      const s = sum(dy, -1, true);
      if (isGradEnabled()) return [sub(dy, mul(exp(output), s))];
      return [
        runElementwise(dy.backend, LOG_SOFTMAX_GRAD, [output, dy, s], [], output.shape, F32, 'logSoftmax:grad')[0],
      ];
    },
    { inputs: false },
  ),
  // dx = (softmax(x)·Σt − t)·dy: one fused kernel, or differentiable ops under createGraph
  // (the fused kernel is not itself differentiable). Probability labels: dt = −logSoftmax(x)·dy.
  softmaxCrossEntropy: rule(
    (dy, { inputs: [x, t], attrs, needs }) => {
      const logits = x as Tensor;
      const labels = t as Tensor;
      const dx = !needs[0]
        ? null
        : isGradEnabled()
          ? softmaxCrossEntropyGradComposed(logits, labels, dy, attrs.sparse)
          : softmaxCrossEntropyGrad(logits, labels, dy);
      const dt = needs[1] ? mul(neg(logSoftmax(logits, -1)), unsqueeze(dy, -1)) : null;
      return [dx, dt];
    },
    { output: false },
  ),
  conv2d: rule(
    (dy, { inputs: [x, w], attrs, needs }) => [
      needs[0] ? conv2dGradInput(dy, w as Tensor, attrs.params) : null,
      needs[1] ? conv2dGradFilter(x as Tensor, dy, attrs.params) : null,
    ],
    { output: false },
  ),
  // conv2dTranspose is conv2dGradInput of a conv2d from its output's shape: so dx is that conv2d
  // (recorded, differentiable again), and dw is conv2dGradFilter with the roles of x and dy swapped.
  conv2dTranspose: rule(
    (dy, { inputs: [x, w], attrs, needs }) => [
      needs[0] ? conv2d(dy, w as Tensor, attrs.convOptions) : null,
      needs[1] ? conv2dGradFilter(dy, x as Tensor, attrs.params) : null,
    ],
    { output: false },
  ),
  maxPool2d: rule((dy, { inputs: [x], attrs }) => [pool2dGrad(x as Tensor, dy, attrs.params)], { output: false }),
  avgPool2d: rule((dy, { inputs: [x], attrs }) => [pool2dGrad(x as Tensor, dy, attrs.params)], { output: false }),
} satisfies Partial<RuleTable>;
