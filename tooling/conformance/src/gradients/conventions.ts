import { grad } from '@tsdl/autograd';
import {
  type Tensor,
  abs,
  clip,
  elu,
  leakyRelu,
  max,
  maximum,
  min,
  minimum,
  mul,
  pow,
  prod,
  relu,
  reshape,
  sum,
  tensor,
  tidy,
} from '@tsdl/tensor';
import { compareClose } from '@tsdl/test-utils';
import { expect, it } from 'vitest';

/**
 * Known answers where finite differences cannot decide: the gradient the
 * rules choose at kinks and ties (PyTorch's and TensorFlow's conventions),
 * and products with zeros.
 */

function expectGrad(f: (...xs: Tensor[]) => Tensor, inputs: number[][], expected: number[][]): void {
  tidy(() => {
    const xs = inputs.map((v) => tensor(v));
    const g = grad(f, xs.map((_, i) => i))(...xs) as Tensor[];
    g.forEach((gi, i) => expect(compareClose(gi, expected[i], { atol: 1e-6, rtol: 1e-6 }), `gradient of input ${i}`).toBeNull());
  });
}

export function registerConventions(): void {
  it('relu at 0 has gradient 0; leakyRelu at 0 has alpha; elu at 0 has alpha', () => {
    expectGrad((x) => sum(relu(x)), [[-1, 0, 2]], [[0, 0, 1]]);
    expectGrad((x) => sum(leakyRelu(x, 0.25)), [[-1, 0, 2]], [[0.25, 0.25, 1]]);
    expectGrad((x) => sum(elu(x, 0.5)), [[0]], [[0.5]]);
  });
  it('abs at 0 has gradient 0 (sign(0))', () => {
    expectGrad((x) => sum(abs(x)), [[-2, 0, 3]], [[-1, 0, 1]]);
  });
  it('maximum and minimum send a tie to the first operand', () => {
    expectGrad((a, b) => sum(maximum(a, b)), [[1, 2, 3], [1, 5, 0]], [[1, 0, 1], [0, 1, 0]]);
    expectGrad((a, b) => sum(minimum(a, b)), [[1, 2, 3], [1, 5, 0]], [[1, 1, 0], [0, 0, 1]]);
  });
  it('max and min reductions share the gradient equally among tied elements', () => {
    expectGrad((x) => max(x), [[1, 3, 3, 2]], [[0, 0.5, 0.5, 0]]);
    expectGrad((x) => min(x), [[4, 1, 1, 1]], [[0, 1 / 3, 1 / 3, 1 / 3]]);
  });
  it('clip passes the gradient at its bounds (inclusive) and blocks it outside', () => {
    expectGrad((x) => sum(clip(x, -1, 1)), [[-2, -1, 0, 1, 2]], [[0, 1, 1, 1, 0]]);
  });
  it('pow: d/db at base 0 is 0, d/da of x^2 at 0 is 0', () => {
    expectGrad((a, b) => sum(pow(a, b)), [[0, 2], [2, 3]], [[0, 12], [0, 8 * Math.log(2)]]);
  });
  it('prod with a zero: the gradient at the zero is the product of the others, elsewhere 0', () => {
    expectGrad((x) => prod(x), [[2, 0, 3]], [[0, 6, 0]]);
    expectGrad((x) => prod(x), [[0, 0, 3]], [[0, 0, 0]]);
    // Rows [2,0,3] (weight 1) and [4,5,0.5] (weight 2, no zero: prod/x).
    expectGrad((x) => sum(mul(prod(reshape(x, [2, 3]), 1), tensor([1, 2]))), [[2, 0, 3, 4, 5, 0.5]], [[0, 6, 0, 5, 4, 40]]);
  });
}
