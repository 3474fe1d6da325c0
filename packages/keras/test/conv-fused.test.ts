import { grad } from '@tsdl/autograd';
import { type Tensor, add, conv2d, mul, relu, sum, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { Conv2D } from '../src/index';
import { expectValues, seeded, useCpu } from './helpers';

useCpu();

/** The layer's call as a function of (x, kernel, bias), with the weights swapped in for the call. */
function layerFn(c: Conv2D) {
  return (x: Tensor, k: Tensor, b: Tensor): Tensor => {
    const [sk, sb] = [c.kernel, c.bias];
    c.kernel = k;
    c.bias = b;
    try {
      return c.apply(x) as Tensor;
    } finally {
      c.kernel = sk;
      c.bias = sb;
    }
  };
}

describe('Conv2D with bias and relu: the convolution plus one fused elementwise op', () => {
  for (const groups of [1, 2]) {
    it(`groups ${groups}: made by the fused op, equal to relu(conv2d + bias), with the unfused gradients`, () => {
      tidy(() => {
        const opts = { strides: 2, padding: 'same' as const, ...(groups > 1 ? { groups } : {}) };
        const c = new Conv2D({
          filters: 4,
          kernelSize: 3,
          activation: 'relu',
          inputShape: [7, 7, 2],
          seed: 1,
          ...opts,
        });
        const x = seeded([3, 7, 7, 2], 2);
        const b = seeded([4], 5, -0.5, 0.5);
        const y = layerFn(c)(x, c.kernel, b);
        expect(y.gradFn?.op).toBe('@tsdl/keras:biasRelu');
        const plain = (xi: Tensor, k: Tensor, bi: Tensor) =>
          relu(add(conv2d(xi, k, { strides: 2, padding: 'same', ...(groups > 1 ? { groups } : {}) }), bi));
        expectValues(y, plain(x, c.kernel, b).dataSync(), { atol: 0, rtol: 0 });

        // A cotangent, so the bias gradient is not just a count of positives.
        const w = seeded([...y.shape], 6);
        const fused = grad((xi: Tensor, k: Tensor, bi: Tensor) => sum(mul(layerFn(c)(xi, k, bi), w)), [0, 1, 2])(
          x,
          c.kernel,
          b,
        ) as Tensor[];
        const unfused = grad((xi: Tensor, k: Tensor, bi: Tensor) => sum(mul(plain(xi, k, bi), w)), [0, 1, 2])(
          x,
          c.kernel,
          b,
        ) as Tensor[];
        fused.forEach((g, i) => expectValues(g, unfused[i].dataSync(), { atol: 1e-6, rtol: 1e-6 }, `gradient ${i}`));
      });
    });
  }

  it('records the fused op (not add and relu) when the input requires grad', () => {
    tidy(() => {
      const c = new Conv2D({ filters: 3, kernelSize: 2, activation: 'relu', inputShape: [4, 4, 1], seed: 2 });
      const x = seeded([2, 4, 4, 1], 3);
      x.requiresGrad = true;
      const y = c.apply(x) as Tensor;
      expect(y.gradFn?.op).toBe('@tsdl/keras:biasRelu');
      const linear = new Conv2D({ filters: 3, kernelSize: 2, inputShape: [4, 4, 1], seed: 2 });
      expect((linear.apply(x) as Tensor).gradFn?.op).toBe('add');
    });
  });
});
