import { gradients, grad, valueAndGrad } from '@tsdl/autograd';
import { ArgumentError, GradientError, type Tensor, add, mul, sin, sum, tensor, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { expectValues, leaf, useCpu } from './helpers';

useCpu();

// f(x, y) = Σ x²·y: df/dx = 2xy, df/dy = x².
const f = (x: Tensor, y: Tensor) => sum(mul(mul(x, x), y));

describe('gradients(y, xs)', () => {
  it('returns the gradients as new tensors and leaves .grad untouched', () => {
    tidy(() => {
      const x = leaf(tensor([1, 2]));
      const y = leaf(tensor([3, -1]));
      const [gx, gy] = gradients(f(x, y), [x, y]);
      expectValues(gx, [6, -4], 0, 0);
      expectValues(gy, [1, 4], 0, 0);
      expect(x.grad).toBeNull();
      expect(y.grad).toBeNull();
    });
  });
  it('gives zeros for a leaf the output does not depend on', () => {
    tidy(() => {
      const x = leaf(tensor([1, 2]));
      const unused = leaf(tensor([5, 6, 7]));
      const [gx, gu] = gradients(sum(mul(x, 3)), [x, unused]);
      expectValues(gx, [3, 3], 0, 0);
      expectValues(gu, [0, 0, 0], 0, 0);
      expect(gu.shape).toEqual([3]);
    });
  });
  it('takes a seed for a non-scalar output', () => {
    tidy(() => {
      const x = leaf(tensor([1, 2, 3]));
      const [g] = gradients(mul(x, x), [x], tensor([1, 0, -2]));
      expectValues(g, [2, 0, -12], 0, 0);
    });
  });
  it('frees the graph unless retainGraph is passed', () => {
    tidy(() => {
      const x = leaf(tensor([1, 2]));
      const out = sum(mul(x, x));
      gradients(out, [x], undefined, { retainGraph: true });
      expectValues(gradients(out, [x])[0], [2, 4], 0, 0);
      expect(() => gradients(out, [x])).toThrow(/already freed/);
    });
  });
});

describe('grad(f, argnums)', () => {
  it('differentiates with respect to argument 0 by default', () => {
    tidy(() => {
      const g = grad(f)(tensor([1, 2]), tensor([3, -1]));
      expectValues(g as Tensor, [6, -4], 0, 0);
    });
  });
  it('takes a single argnum and returns a single tensor', () => {
    tidy(() => {
      const g = grad(f, 1)(tensor([1, 2]), tensor([3, -1]));
      expect(Array.isArray(g)).toBe(false);
      expectValues(g as Tensor, [1, 4], 0, 0);
    });
  });
  it('takes a list of argnums and returns a list in that order', () => {
    tidy(() => {
      const g = grad(f, [1, 0])(tensor([1, 2]), tensor([3, -1])) as Tensor[];
      expect(g).toHaveLength(2);
      expectValues(g[0], [1, 4], 0, 0);
      expectValues(g[1], [6, -4], 0, 0);
    });
  });
  it('does not change its arguments: no requiresGrad, no .grad', () => {
    tidy(() => {
      const x = tensor([1, 2]);
      grad((t: Tensor) => sum(sin(t)))(x);
      expect(x.requiresGrad).toBe(false);
      expect(x.grad).toBeNull();
    });
  });
  it('passes non-tensor arguments through', () => {
    tidy(() => {
      const g = grad((x: Tensor, k: number) => sum(mul(x, k)))(tensor([1, 2]), 2.5);
      expectValues(g as Tensor, [2.5, 2.5], 0, 0);
    });
  });
  it('gives zeros when f does not depend on the argument', () => {
    tidy(() => {
      const g = grad((x: Tensor, y: Tensor) => sum(y), 0)(tensor([1, 2]), tensor([3]));
      expectValues(g as Tensor, [0, 0], 0, 0);
    });
  });
  it('rejects bad argnums, non-tensor targets and non-scalar outputs', () => {
    tidy(() => {
      const x = tensor([1, 2]);
      expect(() => grad(f, 2)(x, x)).toThrow(ArgumentError);
      expect(() => grad(f, -1)(x, x)).toThrow(/argnums -1 is out of range for a call with 2 arguments/);
      expect(() => grad((a: Tensor, k: number) => sum(mul(a, k)), 1)(x, 3)).toThrow(/argument 1 must be a Tensor/);
      expect(() => grad((a: Tensor) => mul(a, 2))(x)).toThrow(GradientError);
      expect(() => grad((a: Tensor) => mul(a, 2))(x)).toThrow(/must return a scalar Tensor, got shape \[2\]/);
    });
  });
});

describe('valueAndGrad', () => {
  it('returns the value and the gradients', () => {
    tidy(() => {
      const { value, grads } = valueAndGrad(f, [0, 1])(tensor([1, 2]), tensor([3, -1]));
      expectValues(value, [-1], 0, 0); // 1·3 + 4·(−1)
      expect(value.requiresGrad).toBe(false);
      const [gx, gy] = grads as Tensor[];
      expectValues(gx, [6, -4], 0, 0);
      expectValues(gy, [1, 4], 0, 0);
    });
  });
  it('accepts a one-element non-0-d output', () => {
    tidy(() => {
      const { value, grads } = valueAndGrad((x: Tensor) => sum(mul(x, x), 0, true))(tensor([3, 4]));
      expect(value.shape).toEqual([1]);
      expectValues(value, [25], 0, 0);
      expectValues(grads as Tensor, [6, 8], 0, 0);
    });
  });
  it('sums fan-out and broadcast back to the argument shape', () => {
    tidy(() => {
      // Σ (b + m) · b over a [2,3] matrix m and a [3] vector b: d/db = Σ_rows (2b + m)
      const { grads } = valueAndGrad((b: Tensor, m: Tensor) => sum(mul(add(b, m), b)))(
        tensor([1, 2, 3]),
        tensor([
          [1, 0, -1],
          [2, 2, 2],
        ]),
      );
      expectValues(grads as Tensor, [7, 10, 13], 0, 0);
    });
  });
});
