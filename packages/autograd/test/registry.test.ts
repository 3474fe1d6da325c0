import { NON_DIFFERENTIABLE, differentiableOps, gradientRule, noGrad, registerGradient } from '@tsdl/autograd';
import { GradientError, type Tensor, mul, sum, tensor, tidy } from '@tsdl/tensor';
import { type ExtensionOpName, dispatch } from '@tsdl/tensor/backend';
import { describe, expect, it } from 'vitest';
import { expectValues, gradCheck, leaf, seededNumbers, useCpu } from './helpers';

useCpu();

/** A user's own op (namespaced, as dispatch requires): one dispatch, computed with gradients off so only 'test:cube' itself is recorded. */
const cube = (x: Tensor, op: ExtensionOpName = 'test:cube'): Tensor =>
  dispatch(op, [x], undefined, () => noGrad(() => mul(mul(x, x), x)));

describe('the rule registry', () => {
  it('lists the differentiable ops, sorted, disjoint from NON_DIFFERENTIABLE', () => {
    const ops = differentiableOps();
    expect(ops).toEqual([...ops].sort());
    for (const op of ['add', 'matmul', 'conv2d', 'softmax', 'sum', 'slice', 'gather']) expect(ops).toContain(op);
    expect(ops.filter((op) => NON_DIFFERENTIABLE.has(op))).toEqual([]);
    expect(gradientRule('argmax')).toBeUndefined();
  });

  it("registerGradient adds a user op's rule, and gradients flow through it", async () => {
    registerGradient('test:cube', (dy, { inputs: [x] }) => [mul(dy, mul(mul(x as Tensor, x as Tensor), 3))], {
      output: false,
    });
    expect(differentiableOps()).toContain('test:cube');
    tidy(() => {
      const x = leaf(tensor([1, -2]));
      sum(cube(x)).backward();
      expectValues(x.grad, [3, 12], 0, 0);
    });
    await gradCheck((x) => cube(x), [tensor(seededNumbers(5, 3), [5])]);
  });

  it('backward through an op with no rule throws a GradientError naming the op', () => {
    tidy(() => {
      const x = leaf(tensor([1, 2]));
      const y = sum(cube(x, 'test:ruleless'));
      expect(y.requiresGrad).toBe(true);
      expect(() => y.backward()).toThrow(/no gradient rule is registered for op 'test:ruleless'/);
      expect(() => sum(cube(x, 'test:ruleless')).backward()).toThrow(GradientError);
    });
  });

  it('a rule that returns the wrong shape is reported with the op and both shapes', () => {
    registerGradient('test:badShape', (dy) => [sum(dy, 0, true)], { inputs: false, output: false });
    // Same size, wrong layout: must not be reshaped into place silently.
    registerGradient('test:transposedShape', (dy) => [dy.transpose()], { inputs: false, output: false });
    tidy(() => {
      const x = leaf(
        tensor([
          [1, 2],
          [3, 4],
        ]),
      );
      expect(() => sum(cube(x, 'test:badShape')).backward()).toThrow(GradientError);
      expect(() => sum(cube(x, 'test:badShape')).backward()).toThrow(
        /rule for 'test:badShape' gave a gradient of shape \[1,2\] for an input of shape \[2,2\]/,
      );
      const r = leaf(tensor([[1, 2, 3]]));
      expect(() => sum(cube(r, 'test:transposedShape')).backward()).toThrow(
        /gave a gradient of shape \[3,1\] for an input of shape \[1,3\]/,
      );
    });
  });
});
