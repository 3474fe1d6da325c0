import { grad } from '@tsdl/autograd';
import {
  type Tensor,
  abs,
  clip,
  dispose,
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
import { compareClose, readNumbers } from '@tsdl/test-utils';
import { expect, it } from 'vitest';

/**
 * Known answers where finite differences cannot decide: the gradient the
 * rules choose at kinks and ties (PyTorch's and TensorFlow's conventions),
 * and products with zeros.
 */

async function expectGrad(f: (...xs: Tensor[]) => Tensor, inputs: number[][], expected: number[][]): Promise<void> {
  const g = tidy(() => {
    const xs = inputs.map((v) => tensor(v));
    return grad(
      f,
      xs.map((_, i) => i),
    )(...xs) as Tensor[];
  });
  try {
    const got = await Promise.all(g.map(readNumbers));
    got.forEach((gi, i) =>
      expect(compareClose(gi, expected[i], { atol: 1e-6, rtol: 1e-6 }), `gradient of input ${i}`).toBeNull(),
    );
  } finally {
    dispose(g);
  }
}

export function registerConventions(): void {
  it('relu at 0 has gradient 0; leakyRelu at 0 has alpha; elu at 0 has alpha', async () => {
    await expectGrad((x) => sum(relu(x)), [[-1, 0, 2]], [[0, 0, 1]]);
    await expectGrad((x) => sum(leakyRelu(x, 0.25)), [[-1, 0, 2]], [[0.25, 0.25, 1]]);
    await expectGrad((x) => sum(elu(x, 0.5)), [[0]], [[0.5]]);
  });
  it('abs at 0 has gradient 0 (sign(0))', async () => {
    await expectGrad((x) => sum(abs(x)), [[-2, 0, 3]], [[-1, 0, 1]]);
  });
  it('maximum and minimum send a tie to the first operand', async () => {
    await expectGrad(
      (a, b) => sum(maximum(a, b)),
      [
        [1, 2, 3],
        [1, 5, 0],
      ],
      [
        [1, 0, 1],
        [0, 1, 0],
      ],
    );
    await expectGrad(
      (a, b) => sum(minimum(a, b)),
      [
        [1, 2, 3],
        [1, 5, 0],
      ],
      [
        [1, 1, 0],
        [0, 0, 1],
      ],
    );
  });
  it('max and min reductions share the gradient equally among tied elements', async () => {
    await expectGrad((x) => max(x), [[1, 3, 3, 2]], [[0, 0.5, 0.5, 0]]);
    await expectGrad((x) => min(x), [[4, 1, 1, 1]], [[0, 1 / 3, 1 / 3, 1 / 3]]);
  });
  it('clip passes the gradient at its bounds (inclusive) and blocks it outside', async () => {
    await expectGrad((x) => sum(clip(x, -1, 1)), [[-2, -1, 0, 1, 2]], [[0, 1, 1, 1, 0]]);
  });
  it('pow: d/db at base 0 is 0, d/da of x^2 at 0 is 0', async () => {
    await expectGrad(
      (a, b) => sum(pow(a, b)),
      [
        [0, 2],
        [2, 3],
      ],
      [
        [0, 12],
        [0, 8 * Math.log(2)],
      ],
    );
  });
  it('prod with a zero: the gradient at the zero is the product of the others, elsewhere 0', async () => {
    await expectGrad((x) => prod(x), [[2, 0, 3]], [[0, 6, 0]]);
    await expectGrad((x) => prod(x), [[0, 0, 3]], [[0, 0, 0]]);
    // Rows [2,0,3] (weight 1) and [4,5,0.5] (weight 2, no zero: prod/x).
    await expectGrad(
      (x) => sum(mul(prod(reshape(x, [2, 3]), 1), tensor([1, 2]))),
      [[2, 0, 3, 4, 5, 0.5]],
      [[0, 6, 0, 5, 4, 40]],
    );
  });
}
