import {
  type Tensor,
  abs,
  add,
  cast,
  clip,
  clone,
  contiguous,
  cos,
  div,
  elu,
  erf,
  exp,
  expm1,
  gelu,
  leakyRelu,
  log,
  log1p,
  maximum,
  minimum,
  mul,
  neg,
  pow,
  reciprocal,
  relu,
  rsqrt,
  sigmoid,
  sin,
  softplus,
  sqrt,
  square,
  sub,
  tanh,
  tensor,
  where,
} from '@tsdl/tensor';
import { awayFromZero, mask, positive, rnd, strided, transposed, values } from './data';
import { type GradCase, type GradTable, gc } from './types';

/**
 * Gradient cases of the elementwise primitives. Every binary op is checked
 * with equal shapes, with broadcast operands ([2,3] with [3], [2,1] with
 * [1,3], a 0-d tensor) whose gradients must be summed back, with a JS number
 * operand on either side, and on non-contiguous views.
 */

type Binary = (a: Tensor, b: Tensor | number) => Tensor;
type BinaryR = (a: number, b: Tensor) => Tensor;

/** The standard binary cases; `a` and `b` make operands of a shape (with a seed) in the op's domain. */
function binaryCases(
  op: Binary,
  a: (shape: number[], seed: number) => Tensor,
  b: (shape: number[], seed: number) => Tensor,
  numberRight: number,
  numberLeft: number | null,
): GradCase[] {
  const cases: GradCase[] = [
    gc(
      'same shape [2,3]',
      () => [a([2, 3], 1), b([2, 3], 2)],
      (x, y) => op(x, y),
    ),
    gc(
      'broadcast [2,3] with [3]',
      () => [a([2, 3], 3), b([3], 4)],
      (x, y) => op(x, y),
    ),
    gc(
      'broadcast [3] with [2,3]',
      () => [a([3], 5), b([2, 3], 6)],
      (x, y) => op(x, y),
    ),
    gc(
      'broadcast [2,1] with [1,3]',
      () => [a([2, 1], 7), b([1, 3], 8)],
      (x, y) => op(x, y),
    ),
    gc(
      'broadcast [2,1,3] with [4,1]',
      () => [a([2, 1, 3], 9), b([4, 1], 10)],
      (x, y) => op(x, y),
    ),
    gc(
      '0-d tensor with [2,3]',
      () => [a([], 11), b([2, 3], 12)],
      (x, y) => op(x, y),
    ),
    gc(
      '[2,3] with a 0-d tensor',
      () => [a([2, 3], 13), b([], 14)],
      (x, y) => op(x, y),
    ),
    gc(
      `JS number on the right (${numberRight})`,
      () => [a([2, 3], 15)],
      (x) => op(x, numberRight),
    ),
  ];
  if (numberLeft !== null) {
    const opR = op as unknown as BinaryR;
    cases.push(
      gc(
        `JS number on the left (${numberLeft})`,
        () => [b([2, 3], 16)],
        (y) => opR(numberLeft, y),
      ),
    );
  }
  return cases;
}

const any = (shape: number[], seed: number) => rnd(shape, seed);

/** Non-contiguous operands: a transposed view and a strided, offset slice. */
function viewCase(op: Binary, range: Parameters<typeof rnd>[2] = {}): GradCase {
  return gc(
    'non-contiguous operands (transposed and strided views)',
    () => [transposed([2, 3], 21, range), strided([2, 3], 22, range)],
    (x, y) => op(x, y),
  );
}

/**
 * maximum/minimum have a kink where a = b. Operands are built so every
 * broadcast pair differs by at least 0.1: b is seeded, a = b + d with |d| >= 0.1.
 */
function extremeCases(op: Binary): GradCase[] {
  const pair = (aShape: number[], bShape: number[], seed: number) => () => {
    const b = values(
      bShape.reduce((p, q) => p * q, 1),
      seed,
      { lo: -0.5, hi: 0.5 },
    );
    const d = values(
      aShape.reduce((p, q) => p * q, 1),
      seed + 1,
      { avoid: [0], gap: 0.1 },
    );
    const a = d.map((v, i) => v + b[i % b.length]);
    return [tensor(a, aShape), tensor(b, bShape)];
  };
  return [
    gc('same shape [2,3]', pair([2, 3], [2, 3], 1), (x, y) => op(x, y)),
    gc('broadcast [2,3] with [3]', pair([2, 3], [3], 3), (x, y) => op(x, y)),
    // Every a[i] - b[j] is at least 0.3 from 0.
    gc(
      'broadcast [2,1] with [1,3]',
      () => [tensor([[-0.9], [0.95]]), tensor([[-0.4, 0.2, 0.6]])],
      (x, y) => op(x, y),
    ),
    gc(
      '0-d tensor with [2,3]',
      () => [tensor([0.05], []), tensor(values(6, 5, { avoid: [0.05], gap: 0.1 }), [2, 3])],
      (x, y) => op(x, y),
    ),
    gc(
      'JS number on the right',
      () => [rnd([2, 3], 7, { avoid: [0.25], gap: 0.05 })],
      (x) => op(x, 0.25),
    ),
  ];
}

/** Unary cases: a [2,3] tensor, a 0-d tensor and a transposed view, all drawn from `range`. */
function unaryCases(op: (x: Tensor) => Tensor, range: Parameters<typeof rnd>[2] = {}): GradCase[] {
  return [
    gc('[2,3]', () => [rnd([2, 3], 31, range)], op),
    gc('0-d tensor', () => [rnd([], 32, range)], op),
    gc('non-contiguous [3,4] (transposed view)', () => [transposed([3, 4], 33, range)], op),
  ];
}

const POS = { lo: 0.3, hi: 2 };
const KINK0 = { avoid: [0], gap: 0.05 };

export const elementwiseCases: GradTable = {
  add: [...binaryCases(add, any, any, 2.5, -1.5), viewCase(add)],
  sub: [...binaryCases(sub, any, any, 2.5, -1.5), viewCase(sub)],
  mul: [
    ...binaryCases(mul, any, any, 2.5, -1.5),
    viewCase(mul),
    gc(
      'x·x (one tensor in both operands)',
      () => [rnd([5], 41)],
      (x) => mul(x, x),
    ),
  ],
  div: [...binaryCases(div, any, awayFromZero, 2.5, -1.5), viewCase(div, { avoid: [0], gap: 0.5 })],
  pow: [
    ...binaryCases(pow, positive, any, 3, 1.7),
    viewCase(pow, POS),
    // A negative base with a whole-number exponent is defined; only the base is differentiated.
    gc(
      'negative base, JS exponent 3',
      () => [rnd([2, 3], 42, { lo: -2, hi: -0.3 })],
      (x) => pow(x, 3),
    ),
    gc(
      'fractional JS exponent 0.5',
      () => [positive([2, 3], 43)],
      (x) => pow(x, 0.5),
    ),
  ],
  maximum: extremeCases(maximum),
  minimum: extremeCases(minimum),

  neg: unaryCases(neg),
  abs: unaryCases(abs, KINK0),
  exp: unaryCases(exp),
  expm1: unaryCases(expm1),
  log: unaryCases(log, POS),
  log1p: unaryCases(log1p, { lo: -0.6, hi: 2 }),
  sqrt: unaryCases(sqrt, POS),
  rsqrt: unaryCases(rsqrt, { lo: 0.5, hi: 2 }),
  square: unaryCases(square),
  reciprocal: unaryCases(reciprocal, { lo: 0.5, hi: 2 }),
  sin: unaryCases((x) => sin(mul(x, 3))),
  cos: unaryCases((x) => cos(mul(x, 3))),
  tanh: unaryCases((x) => tanh(mul(x, 2))),
  sigmoid: unaryCases((x) => sigmoid(mul(x, 3))),
  erf: unaryCases(erf),
  relu: unaryCases(relu, KINK0),
  leakyRelu: [
    ...unaryCases((x) => leakyRelu(x), KINK0),
    gc(
      'alpha 0.3 (Keras default)',
      () => [rnd([2, 3], 51, KINK0)],
      (x) => leakyRelu(x, 0.3),
    ),
  ],
  elu: [
    ...unaryCases((x) => elu(mul(x, 2)), KINK0),
    gc(
      'alpha 0.5',
      () => [rnd([2, 3], 52, KINK0)],
      (x) => elu(x, 0.5),
    ),
  ],
  softplus: [
    ...unaryCases(softplus),
    gc('large |x| (stable branches)', () => [tensor([-30, -8, 0.3, 8, 30])], softplus),
  ],
  gelu: unaryCases((x) => gelu(mul(x, 2))),
  geluTanh: unaryCases((x) => gelu(mul(x, 2), 'tanh')),
  clip: [
    ...unaryCases((x) => clip(x, -0.4, 0.5), { avoid: [-0.4, 0.5], gap: 0.05 }),
    gc(
      'degenerate range min = max',
      () => [rnd([2, 3], 53, { avoid: [0.2], gap: 0.05 })],
      (x) => clip(x, 0.2, 0.2),
    ),
  ],
  where: [
    gc(
      'same shapes',
      () => [mask([1, 0, 0, 1, 1, 0], [2, 3]), rnd([2, 3], 61), rnd([2, 3], 62)],
      (c, a, b) => where(c, a, b),
    ),
    gc(
      'broadcast branches [2,3] and [3]',
      () => [mask([1, 0, 1, 0, 0, 1], [2, 3]), rnd([2, 3], 63), rnd([3], 64)],
      (c, a, b) => where(c, a, b),
    ),
    gc(
      'broadcast condition [3] and branch [2,1]',
      () => [mask([0, 1, 1], [3]), rnd([2, 1], 65), rnd([2, 3], 66)],
      (c, a, b) => where(c, a, b),
    ),
    gc(
      'JS number branch',
      () => [mask([1, 0, 1, 1, 0, 0], [2, 3]), rnd([2, 3], 67)],
      (c, a) => where(c, a, 0.5),
    ),
    gc(
      'non-contiguous branches',
      () => [mask([1, 0, 0, 1, 1, 0], [2, 3]), transposed([2, 3], 68), strided([2, 3], 69)],
      (c, a, b) => where(c, a, b),
    ),
  ],
  // float32 → float32 is the only cast autograd records (other targets are not float).
  cast: [
    gc(
      'float32 to float32',
      () => [rnd([2, 3], 71)],
      (x) => mul(cast(x, 'float32'), x),
    ),
  ],
  contiguous: [
    gc(
      'of a transposed view',
      () => [transposed([3, 4], 72)],
      (x) => mul(contiguous(x), 2),
    ),
  ],
  clone: [
    gc(
      'of a strided view',
      () => [strided([2, 3], 73)],
      (x) => mul(clone(x), x),
    ),
  ],
  to: [
    {
      name: 'round trip through a second backend',
      // to() copies through a synchronous read of the source.
      needsSyncRead: true,
      build: (env) => ({
        inputs: [rnd([2, 3], 74)],
        f: (x) => {
          const there = env.second();
          const back = x.backend;
          return square(x.to(there)).to(back);
        },
      }),
    },
  ],
};
