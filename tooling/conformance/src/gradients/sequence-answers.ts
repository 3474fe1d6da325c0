import { grad } from '@tsdl/autograd';
import { type Tensor, cumprod, cumsum, dispose, flip, mul, sum, tensor, tidy, topk } from '@tsdl/tensor';
import { compareClose, readNumbers } from '@tsdl/test-utils';
import { expect, it } from 'vitest';

/**
 * Known gradients of the sequence ops where a finite difference cannot
 * decide or would hide the rule: cumprod through zeros (no division by x),
 * topk at tied values (each picked position gets its own cotangent, the
 * others nothing), cumsum's reversed running sum, flip's reversal.
 */

async function expectGrad(f: (x: Tensor) => Tensor, x: number[], expected: number[]): Promise<void> {
  const g = tidy(() => grad(f)(tensor(x)) as Tensor);
  try {
    expect(compareClose(await readNumbers(g), expected, { atol: 1e-6, rtol: 1e-6 })).toBeNull();
  } finally {
    dispose(g);
  }
}

export function registerSequenceAnswers(): void {
  it('cumprod of [2, 0, 3] weighted [1, 2, 3]: gradient [1, 22, 0] (exact through the zero)', async () => {
    await expectGrad((x) => sum(mul(cumprod(x, 0), tensor([1, 2, 3]))), [2, 0, 3], [1, 22, 0]);
    await expectGrad((x) => sum(cumprod(x, 0)), [0, 0, 5], [1, 0, 0]);
  });
  it('cumsum of 4 elements: gradient of the sum is [4, 3, 2, 1] ([3, 2, 1, 0] exclusive, [1, 2, 3, 4] reversed)', async () => {
    await expectGrad((x) => sum(cumsum(x, 0)), [1, -2, 3, 0.5], [4, 3, 2, 1]);
    await expectGrad((x) => sum(cumsum(x, 0, { exclusive: true })), [1, -2, 3, 0.5], [3, 2, 1, 0]);
    await expectGrad((x) => sum(cumsum(x, 0, { reverse: true })), [1, -2, 3, 0.5], [1, 2, 3, 4]);
  });
  it('topk at ties: the picked positions (lower index first) get their cotangents, the rest zero', async () => {
    await expectGrad((x) => sum(mul(topk(x, 2).values, tensor([10, 1]))), [1, 3, 3, 2], [0, 10, 1, 0]);
    await expectGrad(
      (x) => sum(mul(topk(x, 2, { largest: false }).values, tensor([10, 1]))),
      [1, 3, 1, 2],
      [10, 0, 1, 0],
    );
  });
  it('flip sends each cotangent back to the mirrored position', async () => {
    await expectGrad((x) => sum(mul(flip(x), tensor([1, 2, 3]))), [5, 6, 7], [3, 2, 1]);
  });
}
