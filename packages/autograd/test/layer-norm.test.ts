import { backward } from '@tsdl/autograd';
import { type Tensor, layerNorm, mul, sum, tensor, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { expectValues, leaf, seededNumbers, useCpu } from './helpers';

useCpu();

const X = seededNumbers(8, 3, -2, 2);
const GAMMA = [0.7, 1.3, -0.4, 1.1];
const W = seededNumbers(8, 4, -1, 1);
const C = seededNumbers(8, 5, -1, 1);

/** x's and gamma's gradients of Σ w ⊙ layerNorm(x; gamma, beta) over rows of 4, read as arrays. */
function firstOrder(x: readonly number[], createGraph: boolean): [number[], number[], number[]] {
  return tidy(() => {
    const xt = leaf(tensor(x, [2, 4]));
    const g = leaf(tensor(GAMMA));
    const b = leaf(tensor([0.1, -0.2, 0.3, 0]));
    backward(sum(mul(layerNorm(xt, 4, { gamma: g, beta: b }), tensor(W, [2, 4]))), undefined, { createGraph });
    const out: [number[], number[], number[]] = [
      [...xt.grad!.dataSync()],
      [...g.grad!.dataSync()],
      [...b.grad!.dataSync()],
    ];
    for (const t of [xt, g, b]) t.grad!.dispose();
    return out;
  });
}

describe('layerNorm gradient rule', () => {
  it('under createGraph (recorded ops) gives the fused kernel`s dx, dgamma and dbeta', () => {
    const fused = firstOrder(X, false);
    const composed = firstOrder(X, true);
    for (let i = 0; i < 3; i++)
      expect(composed[i].map((v, j) => Math.abs(v - fused[i][j])).every((d) => d < 1e-5)).toBe(true);
    // dbeta is Σ over the rows of w.
    expect(fused[2].map((v, j) => Math.abs(v - (W[j] + W[4 + j])) < 1e-6)).toEqual([true, true, true, true]);
  });

  it('is differentiable again: the second derivative matches central differences of the first', () => {
    // h = d/dx Σ c ⊙ dx(x), from a second backward through the recorded rule.
    const h = tidy(() => {
      const xt = leaf(tensor(X, [2, 4]));
      const g = tensor(GAMMA);
      backward(sum(mul(layerNorm(xt, 4, { gamma: g }), tensor(W, [2, 4]))), undefined, { createGraph: true });
      const dx = xt.grad as Tensor;
      xt.grad = null;
      sum(mul(dx, tensor(C, [2, 4]))).backward();
      dx.dispose();
      return [...xt.grad!.dataSync()];
    });
    const f = (x: number[]): number =>
      tidy(() => {
        const xt = leaf(tensor(x, [2, 4]));
        backward(sum(mul(layerNorm(xt, 4, { gamma: tensor(GAMMA) }), tensor(W, [2, 4]))));
        const v = sum(mul(xt.grad!, tensor(C, [2, 4]))).dataSync()[0];
        xt.grad!.dispose();
        return v;
      });
    const eps = 1e-2;
    const numeric = X.map((_, i) => {
      const up = X.slice();
      const down = X.slice();
      up[i] += eps;
      down[i] -= eps;
      return (f(up) - f(down)) / (2 * eps);
    });
    tidy(() => expectValues(tensor(h), numeric, 2e-2, 2e-2));
  });
});
