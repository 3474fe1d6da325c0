import {
  type Tensor,
  add,
  cast,
  cos,
  div,
  exp,
  ge,
  gt,
  le,
  log,
  logicalAnd,
  lt,
  mul,
  neg,
  pow,
  sigmoid,
  sign,
  sin,
  square,
  sub,
  tanh,
  where,
  erf as erfOf,
  isGradEnabled,
} from '@tsdl/tensor';
import { E, type Expr, runElementwise } from '@tsdl/tensor/backend';
import { expNegSquare, normalCdfExpr } from '@tsdl/tensor/internal';
import { type RuleTable, rule } from '../registry';

/** Vector-Jacobian rules of the elementwise ops. Broadcast is undone by the engine. */

/**
 * dy·(Φ(x) + x·φ(x)), exact GELU's gradient, as one expression (inputs x, dy). Φ is tensor's gelu's
 * inline expression, so that its exp(−x²/2) is the density's too: computed once.
 */
const GELU_GRAD = ((): Expr[] => {
  const x = E.in(0);
  const v = E.mul(x, E.c(Math.SQRT1_2));
  const e = expNegSquare(v);
  const cdf = normalCdfExpr(v, e);
  return [E.mul(E.in(1), E.add(cdf, E.mul(x, E.mul(e, E.c(1 / Math.sqrt(2 * Math.PI))))))];
})();

const t = (x: Tensor | number): Tensor => x as Tensor;
const f32 = (b: Tensor): Tensor => cast(b, 'float32');

export const elementwiseRules = {
  add: rule((dy) => [dy, dy], { inputs: false, output: false }),
  // Only inputs that need a gradient get one: a constant operand (a dropout mask, a
  // detached tensor) would otherwise cost a kernel each backward pass for nothing.
  sub: rule((dy, { needs }) => [dy, needs[1] ? neg(dy) : null], { inputs: false, output: false }),
  mul: rule((dy, { inputs: [a, b], needs }) => [needs[0] ? mul(dy, b) : null, needs[1] ? mul(dy, a) : null], {
    output: false,
  }),
  div: rule((dy, { inputs: [a, b], needs }) => [div(dy, b), needs[1] ? neg(div(mul(dy, a), mul(b, b))) : null], {
    output: false,
  }),
  pow: rule((dy, { inputs: [a, b], output, needs }) => [
    // d/da a^b = b a^(b-1);  d/db a^b = a^b log a (0 where a <= 0, as PyTorch does at a = 0)
    needs[0] ? mul(dy, mul(b, pow(a, sub(b, 1)))) : null,
    needs[1] ? mul(dy, where(gt(a, 0), mul(output, typeof a === 'number' ? Math.log(a) : log(a)), 0)) : null,
  ]),
  // Ties go to the first operand, as TensorFlow.
  maximum: rule(
    (dy, { inputs: [a, b], needs }) => [
      needs[0] ? mul(dy, f32(ge(a, b))) : null,
      needs[1] ? mul(dy, f32(lt(a, b))) : null,
    ],
    { output: false },
  ),
  minimum: rule(
    (dy, { inputs: [a, b], needs }) => [
      needs[0] ? mul(dy, f32(le(a, b))) : null,
      needs[1] ? mul(dy, f32(gt(a, b))) : null,
    ],
    { output: false },
  ),

  neg: rule((dy) => [neg(dy)], { inputs: false, output: false }),
  abs: rule((dy, { inputs: [x] }) => [mul(dy, sign(t(x)))], { output: false }),
  exp: rule((dy, { output }) => [mul(dy, output)], { inputs: false }),
  expm1: rule((dy, { output }) => [mul(dy, add(output, 1))], { inputs: false }),
  log: rule((dy, { inputs: [x] }) => [div(dy, x)], { output: false }),
  log1p: rule((dy, { inputs: [x] }) => [div(dy, add(x, 1))], { output: false }),
  sqrt: rule((dy, { output }) => [div(dy, mul(output, 2))], { inputs: false }),
  rsqrt: rule((dy, { output }) => [mul(dy, mul(pow(output, 3), -0.5))], { inputs: false }),
  square: rule((dy, { inputs: [x] }) => [mul(dy, mul(x, 2))], { output: false }),
  reciprocal: rule((dy, { output }) => [neg(mul(dy, square(output)))], { inputs: false }),
  sin: rule((dy, { inputs: [x] }) => [mul(dy, cos(t(x)))], { output: false }),
  cos: rule((dy, { inputs: [x] }) => [neg(mul(dy, sin(t(x))))], { output: false }),
  tanh: rule((dy, { output }) => [mul(dy, sub(1, square(output)))], { inputs: false }),
  sigmoid: rule((dy, { output }) => [mul(dy, mul(output, sub(1, output)))], { inputs: false }),
  erf: rule((dy, { inputs: [x] }) => [mul(dy, mul(exp(neg(square(t(x)))), 2 / Math.sqrt(Math.PI)))], { output: false }),
  // where, not dy·[x > 0]: two passes over the activations rather than three (compare, cast,
  // multiply), and a non-finite dy where x ≤ 0 gives 0, as PyTorch's threshold_backward.
  relu: rule((dy, { inputs: [x] }) => [where(gt(x, 0), dy, 0)], { output: false }),
  leakyRelu: rule((dy, { inputs: [x], attrs }) => [mul(dy, where(gt(x, 0), 1, attrs.alpha))], { output: false }),
  elu: rule((dy, { inputs: [x], output, attrs }) => [mul(dy, where(gt(x, 0), 1, add(output, attrs.alpha)))]),
  softplus: rule((dy, { inputs: [x] }) => [mul(dy, sigmoid(t(x)))], { output: false }),
  gelu: rule(
    (dy, { inputs: [x] }) => {
      // d/dx x·Φ(x) = Φ(x) + x·φ(x)
      const xt = t(x);
      // One kernel, not ten over the activations, unless the gradient is itself recorded (createGraph).
      if (!isGradEnabled())
        return [runElementwise(dy.backend, GELU_GRAD, [xt, dy], [], xt.shape, ['float32'], 'gelu:grad')[0]];
      const cdf = mul(add(erfOf(mul(xt, Math.SQRT1_2)), 1), 0.5);
      const pdf = mul(exp(mul(square(xt), -0.5)), 1 / Math.sqrt(2 * Math.PI));
      return [mul(dy, add(cdf, mul(xt, pdf)))];
    },
    { output: false },
  ),
  geluTanh: rule(
    (dy, { inputs: [x] }) => {
      // y = 0.5 x (1 + tanh(u)), u = c (x + 0.044715 x^3)
      const xt = t(x);
      const c = Math.sqrt(2 / Math.PI);
      const th = tanh(mul(add(xt, mul(pow(xt, 3), 0.044715)), c));
      const du = mul(add(mul(square(xt), 3 * 0.044715), 1), c);
      const dydx = add(mul(add(th, 1), 0.5), mul(mul(mul(xt, 0.5), sub(1, square(th))), du));
      return [mul(dy, dydx)];
    },
    { output: false },
  ),
  clip: rule((dy, { inputs: [x], attrs }) => [mul(dy, f32(logicalAnd(ge(x, attrs.min), le(x, attrs.max))))], {
    output: false,
  }),
  where: rule(
    (dy, { inputs: [c, ,], needs }) => [
      null,
      needs[1] ? where(t(c), dy, 0) : null,
      needs[2] ? where(t(c), 0, dy) : null,
    ],
    { output: false },
  ),
  cast: rule((dy) => [dy], { inputs: false, output: false }),
  contiguous: rule((dy) => [dy], { inputs: false, output: false }),
  clone: rule((dy) => [dy], { inputs: false, output: false }),
  to: rule((dy, { backends }) => [dy.to(backends[0]!)], { inputs: false, output: false }),
} satisfies Partial<RuleTable>;
