import { matmul, sum, tensor, tidy, transpose } from '@tsdl/tensor';
import { isContiguousTensor } from '@tsdl/tensor/internal';
import { describe, expect, it } from 'vitest';
import { expectValues, gradCheck, leaf, seededNumbers, useCpu } from './helpers';

useCpu();

/**
 * matmul's gradient keeps a column-major operand's layout (nn.Linear's
 * y = x·Wᵀ): the stored weight's gradient comes out dense, with the values
 * of the plain formulas dA = dY·Bᵀ, dB = Aᵀ·dY.
 */
describe('matmul gradient layout', () => {
  // x [3,4], W [2,4] (stored as nn.Linear stores it), y = x·Wᵀ [3,2], loss = Σ y ⊙ c.
  const X = seededNumbers(12, 1, -1, 1);
  const W = seededNumbers(8, 2, -1, 1);
  const C = seededNumbers(6, 3, -1, 1);

  it('gives a transposed weight a dense gradient equal to dyᵀ·x', () => {
    tidy(() => {
      const x = leaf(tensor(X, [3, 4]));
      const w = leaf(tensor(W, [2, 4]));
      sum(matmul(x, transpose(w)).mul(tensor(C, [3, 2]))).backward();
      const gw = w.grad!;
      expect(isContiguousTensor(gw)).toBe(true);
      // dW[o][i] = Σ_n c[n][o]·x[n][i]
      const want: number[] = [];
      for (let o = 0; o < 2; o++)
        for (let i = 0; i < 4; i++) want.push([0, 1, 2].reduce((s, n) => s + C[n * 2 + o] * X[n * 4 + i], 0));
      expectValues(gw, want, 1e-5, 1e-5);
      // dx = c·W, unaffected.
      const wantX: number[] = [];
      for (let n = 0; n < 3; n++)
        for (let i = 0; i < 4; i++) wantX.push([0, 1].reduce((s, o) => s + C[n * 2 + o] * W[o * 4 + i], 0));
      expectValues(x.grad, wantX, 1e-5, 1e-5);
    });
  });

  it('gives a transposed left operand a dense gradient too, and both pass a finite-difference check', async () => {
    tidy(() => {
      const a = leaf(tensor(X, [4, 3])); // enters as aᵀ [3,4]
      const w = leaf(tensor(W, [2, 4]));
      sum(matmul(transpose(a), transpose(w)).mul(tensor(C, [3, 2]))).backward();
      expect(isContiguousTensor(a.grad!)).toBe(true);
      expect(isContiguousTensor(w.grad!)).toBe(true);
    });
    const inputs = [tensor(X, [4, 3]), tensor(W, [2, 4])];
    await gradCheck((p, q) => matmul(transpose(p), transpose(q)), inputs);
    for (const t of inputs) t.dispose();
  });
});
