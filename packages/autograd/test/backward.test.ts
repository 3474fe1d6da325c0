import { backward } from '@tsdl/autograd';
import {
  DTypeError,
  DisposedError,
  GradientError,
  ShapeError,
  type Tensor,
  add,
  getBackend,
  maximum,
  minimum,
  mul,
  ones,
  sub,
  sum,
  tensor,
  tidy,
} from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { expectValues, leaf, useCpu } from './helpers';

useCpu();

describe('requiresGrad', () => {
  it('is off by default and only float32 tensors may turn it on', () => {
    tidy(() => {
      const x = tensor([1, 2]);
      expect(x.requiresGrad).toBe(false);
      x.requiresGrad = true;
      expect(x.requiresGrad).toBe(true);
      expect(x.isLeaf).toBe(true);
      expect(() => (tensor([1, 2], [2], 'int32').requiresGrad = true)).toThrow(DTypeError);
      expect(() => (tensor([true], [1], 'bool').requiresGrad = true)).toThrow(/only float32/);
    });
  });
  it('propagates to op outputs, which are not leaves', () => {
    tidy(() => {
      const x = leaf(tensor([1, 2]));
      const y = mul(x, 3);
      expect(y.requiresGrad).toBe(true);
      expect(y.isLeaf).toBe(false);
      expect(mul(tensor([1, 2]), 3).requiresGrad).toBe(false);
    });
  });
});

describe('backward', () => {
  it('of a scalar fills .grad of the leaves with exact values', () => {
    tidy(() => {
      const x = leaf(tensor([1, -2, 3]));
      const loss = sum(mul(x, x)); // d/dx = 2x
      loss.backward();
      expectValues(x.grad, [2, -4, 6], 0, 0);
      expect(x.grad!.shape).toEqual([3]);
    });
  });
  it('of a non-scalar takes a seed of its shape (a vector-Jacobian product)', () => {
    tidy(() => {
      const x = leaf(tensor([1, 2, 3]));
      const y = mul(x, x);
      y.backward(tensor([1, 0.5, -1])); // seed ⊙ 2x
      expectValues(x.grad, [2, 2, -6], 0, 0);
    });
  });
  it('does not hand the seed itself to a leaf: disposing the seed leaves .grad alive', () => {
    tidy(() => {
      const x = leaf(tensor([1, 2]));
      const seed = tensor([3, 4]);
      add(x, 2).backward(seed); // add passes dy through unchanged
      expect(x.grad).not.toBe(seed);
      seed.dispose();
      expectValues(x.grad, [3, 4], 0, 0);
      add(x, 2).backward(ones([2])); // accumulating disposes the old .grad, not the caller's tensor
      expectValues(x.grad, [4, 5], 0, 0);
    });
  });
  it('of a non-scalar without a seed throws a GradientError naming the shape', () => {
    tidy(() => {
      const y = mul(leaf(tensor([1, 2, 3])), 2);
      expect(() => y.backward()).toThrow(GradientError);
      expect(() => y.backward()).toThrow(/shape \[3\].*seed/);
    });
  });
  it('rejects a seed of the wrong shape', () => {
    tidy(() => {
      const y = mul(leaf(tensor([1, 2, 3])), 2);
      expect(() => y.backward(ones([2]))).toThrow(ShapeError);
    });
  });
  it('of a tensor that does not require grad throws', () => {
    tidy(() => {
      expect(() => sum(tensor([1, 2])).backward()).toThrow(/does not require grad/);
    });
  });
  it('of a disposed tensor throws a DisposedError', () => {
    const x = leaf(tensor([1, 2]));
    const loss = sum(x);
    loss.dispose();
    expect(() => loss.backward()).toThrow(DisposedError);
    x.dispose();
  });
  it('of a leaf itself gives ones (or the seed)', () => {
    tidy(() => {
      const x = leaf(tensor([4]));
      x.backward();
      expectValues(x.grad, [1], 0, 0);
    });
  });
  it('the functional backward(t) is the same as t.backward()', () => {
    tidy(() => {
      const x = leaf(tensor([1, 2]));
      backward(sum(mul(x, 5)));
      expectValues(x.grad, [5, 5], 0, 0);
    });
  });
  it('fills .grad of leaves only, not of intermediate tensors', () => {
    tidy(() => {
      const x = leaf(tensor([1, 2]));
      const y = mul(x, 2);
      sum(y).backward();
      expect(y.grad).toBeNull();
      expectValues(x.grad, [2, 2], 0, 0);
    });
  });
});

describe('.grad accumulation', () => {
  it('adds across two backward calls and zeroGrad clears it', () => {
    tidy(() => {
      const x = leaf(tensor([1, 2]));
      sum(mul(x, 3)).backward();
      sum(mul(x, x)).backward(); // 3 + 2x
      expectValues(x.grad, [5, 7], 0, 0);
      x.zeroGrad();
      expect(x.grad).toBeNull();
      sum(x).backward();
      expectValues(x.grad, [1, 1], 0, 0);
    });
  });
});

describe('retainGraph', () => {
  it('without it, a second backward through the same graph throws a GradientError', () => {
    tidy(() => {
      const x = leaf(tensor([1, 2]));
      const loss = sum(mul(x, x));
      loss.backward();
      expect(() => loss.backward()).toThrow(GradientError);
      expect(() => loss.backward()).toThrow(/already freed.*retainGraph: true/);
      // The first call's gradient is intact.
      expectValues(x.grad, [2, 4], 0, 0);
    });
  });
  it('with it, a second backward works and accumulates', () => {
    tidy(() => {
      const x = leaf(tensor([1, 2]));
      const loss = sum(mul(x, x));
      loss.backward(undefined, { retainGraph: true });
      loss.backward();
      expectValues(x.grad, [4, 8], 0, 0);
    });
  });
});

describe('graph structure', () => {
  it('sums the gradients of a tensor used twice (fan-out)', () => {
    tidy(() => {
      const x = leaf(tensor([1, 2, 3]));
      const y = add(mul(x, x), mul(x, 4)); // 2x + 4
      sum(y).backward();
      expectValues(x.grad, [6, 8, 10], 0, 0);
    });
  });
  it('sums a diamond: one intermediate feeding two branches', () => {
    tidy(() => {
      const x = leaf(tensor([2]));
      const h = mul(x, 3);
      const y = mul(h, h); // 9x², d/dx = 18x
      sum(add(y, h)).backward(); // + 3
      expectValues(x.grad, [39], 0, 0);
    });
  });
  it('sums broadcast inputs back to their shapes', () => {
    tidy(() => {
      const a = leaf(
        tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      );
      const b = leaf(tensor([10, 20, 30]));
      const c = leaf(tensor([[2], [3]]));
      const s = leaf(tensor(0.5));
      sum(mul(add(add(a, b), c), s)).backward();
      expectValues(a.grad, [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], 0, 0);
      expectValues(b.grad, [1, 1, 1], 0, 0);
      expectValues(c.grad, [1.5, 1.5], 0, 0);
      expect(c.grad!.shape).toEqual([2, 1]);
      // d/ds Σ (a + b + c) = 21 + 120 + 15
      expectValues(s.grad, [156], 0, 0);
      expect(s.grad!.shape).toEqual([]);
    });
  });
  it('d/dx Σ x²·y = 2xy and d/dy = x²', () => {
    tidy(() => {
      const x = leaf(tensor([1, 2, -3]));
      const y = leaf(tensor([0.5, -1, 2]));
      sum(mul(mul(x, x), y)).backward();
      expectValues(x.grad, [1, -4, -12], 0, 0);
      expectValues(y.grad, [1, 4, 9], 0, 0);
    });
  });
  it('keeps working when intermediate handles are disposed before backward', () => {
    const x = leaf(tensor([1, 2]));
    const loss = tidy(() => sum(mul(mul(x, x), x))); // x³: the intermediates are freed here
    loss.backward();
    expectValues(x.grad, [3, 12], 0, 0);
    loss.dispose();
    x.zeroGrad();
    x.dispose();
  });
});

describe('createGraph', () => {
  it('records the backward pass, so a second backward gives the second derivative', () => {
    tidy(() => {
      const x = leaf(tensor([1, 2, -1]));
      backward(sum(mul(mul(x, x), x)), undefined, { createGraph: true });
      const g = x.grad!; // 3x², itself differentiable
      expectValues(g, [3, 12, 3], 0, 0);
      expect(g.requiresGrad).toBe(true);
      x.grad = null;
      sum(g).backward();
      expectValues(x.grad, [6, 12, -6], 0, 0);
      g.dispose();
    });
  });
  it('keeps a seed that requires grad in the graph: the gradient is differentiable in the seed too', () => {
    tidy(() => {
      const x = leaf(tensor([1, 2, -1]));
      const v = leaf(tensor([0.5, -1, 2]));
      backward(mul(x, x), v, { createGraph: true });
      const g = x.grad!; // 2x ⊙ v
      expectValues(g, [1, -4, -4], 0, 0);
      x.grad = null;
      sum(g).backward();
      expectValues(v.grad, [2, 4, -2], 0, 0); // d/dv Σ 2x ⊙ v = 2x
      expectValues(x.grad, [1, -2, 4], 0, 0); // d/dx Σ 2x ⊙ v = 2v
      g.dispose();
    });
  });
});

describe('rules skip inputs that need no gradient', () => {
  /** Backend kernel calls (elementwise and reductions) made while `fn` runs. */
  function kernelsDuring(fn: () => void): number {
    const b = getBackend();
    const elementwise = b.elementwise;
    let calls = 0;
    b.elementwise = (spec) => {
      calls++;
      return elementwise.call(b, spec);
    };
    try {
      fn();
    } finally {
      b.elementwise = elementwise;
    }
    return calls;
  }
  it('mul, sub, maximum and minimum by a constant tensor compute only the gradient of the input that requires it', () => {
    tidy(() => {
      const x = leaf(tensor([1, -2, 3]));
      const c = tensor([2, 0.5, -1]); // a constant: requires no grad
      const seed = tensor([1, 1, 1]);
      const cases: [string, () => Tensor, number, number[]][] = [
        ['mul', () => mul(x, c), 1, [2, 0.5, -1]],
        ['mul (constant first)', () => mul(c, x), 1, [2, 0.5, -1]],
        ['sub (constant first)', () => sub(c, x), 1, [-1, -1, -1]],
        ['sub', () => sub(x, c), 0, [1, 1, 1]],
        ['maximum', () => maximum(x, c), 3, [0, 0, 1]], // ge, its cast to float32, then the product
        ['minimum', () => minimum(x, c), 3, [1, 1, 0]],
      ];
      for (const [name, f, kernels, grad] of cases) {
        x.grad = null;
        const y = f();
        expect(
          kernelsDuring(() => y.backward(seed)),
          name,
        ).toBe(kernels);
        expectValues(x.grad, grad, 0, 0);
      }
    });
  });
});
