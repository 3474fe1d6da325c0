import { type Tensor, conv2dGradFilter, conv2dGradInput, exp, mul, pool2dGrad, sub, sum } from '@tsdl/tensor';
import { type RuleTable, rule } from '../registry';

/** Vector-Jacobian rules of softmax, convolution and pooling. */
export const nnRules: RuleTable = {
  // dx = y ⊙ (dy − Σ dy ⊙ y)
  softmax: rule((dy, { output }) => [mul(output, sub(dy, sum(mul(dy, output), -1, true)))], { inputs: false }),
  // dx = dy − softmax(x) · Σ dy
  logSoftmax: rule((dy, { output }) => [sub(dy, mul(exp(output), sum(dy, -1, true)))], { inputs: false }),
  conv2d: rule(
    (dy, { inputs: [x, w], attrs, needs }) => [
      needs[0] ? conv2dGradInput(dy, w as Tensor, attrs.params) : null,
      needs[1] ? conv2dGradFilter(x as Tensor, dy, attrs.params) : null,
    ],
    { output: false },
  ),
  maxPool2d: rule((dy, { inputs: [x], attrs }) => [pool2dGrad(x as Tensor, dy, attrs.params)], { output: false }),
  avgPool2d: rule((dy, { inputs: [x], attrs }) => [pool2dGrad(x as Tensor, dy, attrs.params)], { output: false }),
};
