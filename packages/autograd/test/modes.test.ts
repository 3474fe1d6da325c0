import { enableGrad, noGrad } from '@tsdl/autograd';
import { isGradEnabled, mul, sum, tensor, tidy } from '@tsdl/tensor';
import { detach } from '@tsdl/tensor/internal';
import { describe, expect, it } from 'vitest';
import { expectValues, leaf, useCpu } from './helpers';

useCpu();

describe('noGrad', () => {
  it('records no graph: outputs do not require grad and have no node', () => {
    tidy(() => {
      const x = leaf(tensor([1, 2]));
      const y = noGrad(() => mul(x, x));
      expect(y.requiresGrad).toBe(false);
      expect(y.gradFn).toBeNull();
      expect(() => sum(y).backward()).toThrow(/does not require grad/);
    });
  });
  it('returns what fn returns and restores recording, also when fn throws', () => {
    expect(isGradEnabled()).toBe(true);
    expect(noGrad(() => 42)).toBe(42);
    expect(isGradEnabled()).toBe(true);
    expect(() =>
      noGrad(() => {
        expect(isGradEnabled()).toBe(false);
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(isGradEnabled()).toBe(true);
  });
  it('nests: an inner noGrad does not switch recording back on when it ends', () => {
    noGrad(() => {
      noGrad(() => undefined);
      expect(isGradEnabled()).toBe(false);
    });
  });
});

describe('enableGrad', () => {
  it('records inside noGrad, and noGrad resumes after it', () => {
    tidy(() => {
      const x = leaf(tensor([3]));
      const [y, z] = noGrad(() => {
        const inner = enableGrad(() => mul(x, x));
        expect(isGradEnabled()).toBe(false);
        return [inner, mul(x, x)];
      });
      expect(y.requiresGrad).toBe(true);
      expect(z.requiresGrad).toBe(false);
      sum(y).backward();
      expectValues(x.grad, [6], 0, 0);
    });
  });
});

describe('detach', () => {
  it('shares the values but cuts the graph: x · detach(x) has gradient x, not 2x', () => {
    tidy(() => {
      const x = leaf(tensor([1, -2, 3]));
      const d = x.detach();
      expect(d.requiresGrad).toBe(false);
      expect(d.isLeaf).toBe(true);
      expect(d.storage).toBe(x.storage);
      expect(Array.from(detach(x).dataSync())).toEqual([1, -2, 3]);
      sum(mul(x, d)).backward();
      expectValues(x.grad, [1, -2, 3], 0, 0);
    });
  });
  it('of an intermediate stops gradients from flowing to its inputs', () => {
    tidy(() => {
      const x = leaf(tensor([2]));
      const h = mul(x, x).detach(); // a constant 4
      sum(mul(h, x)).backward();
      expectValues(x.grad, [4], 0, 0);
    });
  });
});
