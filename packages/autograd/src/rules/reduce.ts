import { type Tensor, broadcastTo, cast, div, eq, mul, reshape, sum } from '@tsdl/tensor';
import { type RuleTable, rule } from '../registry';

/** Vector-Jacobian rules of the reductions (mean, variance, logSumExp … are compositions of these). */

/** dy reshaped to keep the reduced axes as size 1, then broadcast to the input's shape. */
function expand(dy: Tensor, inShape: readonly number[], axes: readonly number[], keepDims: boolean): Tensor {
  const kept = keepDims ? dy : reshape(dy, inShape.map((d, i) => (axes.includes(i) ? 1 : d)));
  return broadcastTo(kept, inShape);
}

/** max and min: the gradient is shared equally among the elements that attain the extreme. */
const extremeRule = rule((dy, { inputs: [x], output, attrs, inputShapes }) => {
  const shape = inputShapes[0];
  const out = expand(output, shape, attrs.axes, attrs.keepDims);
  const mask = cast(eq(x, out), 'float32');
  const count = sum(mask, attrs.axes, true);
  return [div(mul(expand(dy, shape, attrs.axes, attrs.keepDims), mask), count)];
});

export const reduceRules: RuleTable = {
  sum: rule((dy, { attrs, inputShapes }) => [expand(dy, inputShapes[0], attrs.axes, attrs.keepDims)], {
    inputs: false,
    output: false,
  }),
  // d/dx_i prod(x) = prod(x) / x_i (inputs containing zeros get NaN/inf there, as a plain quotient would).
  prod: rule((dy, { inputs: [x], output, attrs, inputShapes }) => {
    const shape = inputShapes[0];
    return [div(mul(expand(dy, shape, attrs.axes, attrs.keepDims), expand(output, shape, attrs.axes, attrs.keepDims)), x)];
  }),
  max: extremeRule,
  min: extremeRule,
};
