import { backward, grad } from '@tsdl/autograd';
import { type Tensor, add, matmul, mul, relu, sum, tensor, tidy } from '@tsdl/tensor';
import { type AutogradHooks, autogradHooks, setAutogradHooks } from '@tsdl/tensor/internal';
import { gradCheck } from '@tsdl/test-utils';
import { describe, expect, it } from 'vitest';
import { Dense } from '../src/index';
import { expectValues, seeded, useCpu } from './helpers';

useCpu();

/** The ops autograd records while `fn` runs. */
function recorded(fn: () => void): string[] {
  const inner = autogradHooks() as AutogradHooks;
  const seen: string[] = [];
  setAutogradHooks({ record: (op, i, a, o) => (seen.push(op), inner.record(op, i, a, o)), backward: inner.backward });
  try {
    fn();
  } finally {
    setAutogradHooks(inner);
  }
  return seen;
}

/** A tensor's accumulated gradient. */
const gradOf = (t: Tensor): Tensor => t.grad as Tensor;

/** Dense's call as a function of (x, kernel, bias), with the weights swapped in for the call. */
function dense(d: Dense) {
  return (x: Tensor, k: Tensor, b: Tensor): Tensor => {
    const [sk, sb] = [d.kernel, d.bias];
    d.kernel = k;
    d.bias = b;
    try {
      return d.apply(x) as Tensor;
    } finally {
      d.kernel = sk;
      d.bias = sb;
    }
  };
}

describe('Dense with bias and relu: one fused elementwise kernel after the matmul', () => {
  it('records matmul and the fused op only, and equals relu(x·W + b) on rank 2 and rank 3 inputs', () => {
    tidy(() => {
      const d = new Dense({ units: 5, activation: 'relu', inputShape: [4], seed: 1 });
      d.bias = seeded([5], 9, -0.5, 0.5);
      for (const shape of [
        [3, 4],
        [2, 3, 4],
      ]) {
        const x = seeded(shape, 2);
        x.requiresGrad = true;
        let y: Tensor | undefined;
        expect(recorded(() => (y = d.apply(x) as Tensor))).toEqual(['matmul', '@tsdl/keras:biasRelu']);
        expectValues(y as Tensor, relu(add(matmul(x, d.kernel), d.bias)).dataSync(), { atol: 0, rtol: 0 });
      }
    });
  });

  it('gradients w.r.t. input, kernel and bias equal those of the unfused relu(matmul + add)', () => {
    tidy(() => {
      const d = new Dense({ units: 5, activation: 'relu', inputShape: [4], seed: 3 });
      const x = seeded([6, 4], 4);
      const b = seeded([5], 5, -0.5, 0.5);
      const w = seeded([6, 5], 6); // a cotangent, so the bias gradient is not just a count of positives
      const fused = grad((xi: Tensor, k: Tensor, bi: Tensor) => sum(mul(dense(d)(xi, k, bi), w)), [0, 1, 2])(
        x,
        d.kernel,
        b,
      ) as Tensor[];
      const plain = grad((xi: Tensor, k: Tensor, bi: Tensor) => sum(mul(relu(add(matmul(xi, k), bi)), w)), [0, 1, 2])(
        x,
        d.kernel,
        b,
      ) as Tensor[];
      fused.forEach((g, i) => expectValues(g, plain[i].dataSync(), { atol: 1e-6, rtol: 1e-6 }, `gradient ${i}`));
    });
  });

  it('gradients match finite differences (pre-activations kept away from the kink)', async () => {
    const d = new Dense({ units: 3, activation: 'relu', inputShape: [2], seed: 1 });
    // x·W + b = [[1.3, -0.7, 0.6], [-1.1, 0.9, 0.45]]: every |z| >= 0.45, far beyond the 1e-2 step.
    const x = tensor([
      [1, 0],
      [0, 1],
    ]);
    const k = tensor([
      [1, -1, 0.5],
      [-1.4, 0.6, 0.35],
    ]);
    const b = tensor([0.3, 0.3, 0.1]);
    await gradCheck(dense(d), [x, k, b]);
  });

  it('second order under createGraph: d²/dx² of relu(x·w + b)·x summed is finite and correct', () => {
    tidy(() => {
      const d = new Dense({ units: 1, activation: 'relu', inputShape: [1], seed: 1 });
      d.kernel = tensor([[2]]);
      d.bias = tensor([1]);
      // f(x) = relu(2x + 1)·x = 2x² + x for x > −0.5: f' = 4x + 1, f'' = 4.
      const x = tensor([[0.5], [1.5]]);
      x.requiresGrad = true;
      backward(sum(mul(d.apply(x) as Tensor, x)), undefined, { createGraph: true });
      const g = x.grad as Tensor; // 4x + 1, itself differentiable
      expectValues(g, [3, 7]);
      x.grad = null;
      sum(g).backward();
      const g2 = gradOf(x); // (x.grad was narrowed to null above)
      x.grad = null;
      g.dispose();
      expectValues(g2, [4, 4]);
    });
  });
});
