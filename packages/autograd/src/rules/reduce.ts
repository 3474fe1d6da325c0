import { type Tensor, broadcastTo, cast, div, eq, mul, prod, reshape, sum, where } from '@tsdl/tensor';
import { type RuleTable, rule } from '../registry';

/** Vector-Jacobian rules of the reductions (mean, variance, logSumExp … are compositions of these). */

/** dy reshaped to keep the reduced axes as size 1, then broadcast to the input's shape. */
function expand(dy: Tensor, inShape: readonly number[], axes: readonly number[], keepDims: boolean): Tensor {
  const kept = keepDims
    ? dy
    : reshape(
        dy,
        inShape.map((d, i) => (axes.includes(i) ? 1 : d)),
      );
  return broadcastTo(kept, inShape);
}

/** max and min: the gradient is shared equally among the elements that attain the extreme. */
const extremeRule = rule<'max' | 'min'>((dy, { inputs: [x], output, attrs, inputShapes }) => {
  const shape = inputShapes[0];
  const out = expand(output, shape, attrs.axes, attrs.keepDims);
  const mask = cast(eq(x, out), 'float32');
  const count = sum(mask, attrs.axes, true);
  return [div(mul(expand(dy, shape, attrs.axes, attrs.keepDims), mask), count)];
});

export const reduceRules = {
  sum: rule((dy, { attrs, inputShapes }) => [expand(dy, inputShapes[0], attrs.axes, attrs.keepDims)], {
    inputs: false,
    output: false,
  }),
  // d/dx_i prod(x) = the product of the other elements: prod(x) / x_i where x_i != 0. At a zero the
  // quotient is 0/0, so there it is the product of the non-zero elements when x_i is its slice's only
  // zero, else 0 (as PyTorch).
  prod: rule((dy, { inputs: [x], output, attrs, inputShapes }) => {
    const shape = inputShapes[0];
    const xt = x as Tensor;
    const isZero = eq(xt, 0);
    const nonZeroProd = prod(where(isZero, 1, xt), attrs.axes, true);
    const onlyZero = eq(sum(cast(isZero, 'float32'), attrs.axes, true), 1);
    const others = where(
      isZero,
      where(onlyZero, nonZeroProd, 0),
      div(expand(output, shape, attrs.axes, attrs.keepDims), where(isZero, 1, xt)),
    );
    return [mul(expand(dy, shape, attrs.axes, attrs.keepDims), others)];
  }),
  max: extremeRule,
  min: extremeRule,
} satisfies Partial<RuleTable>;
