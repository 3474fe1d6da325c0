import { ShapeError, type Tensor, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { Linear, init } from '../src/index';
import { det, detTensor, expectClose, gradCheck, useCpu } from './helpers';

useCpu();

const fixed =
  (values: number[]) =>
  (shape: readonly number[]): Tensor =>
    tensor(values, shape);

describe('Linear', () => {
  it('computes x·Wᵀ + b with W stored [out, in]', () => {
    const l = new Linear(3, 2, { weightInit: fixed([1, 2, 3, -1, 0, 1]), biasInit: fixed([0.5, -0.5]) });
    expect(l.weight.shape).toEqual([2, 3]);
    expect(l.bias?.shape).toEqual([2]);
    const y = l.call(
      tensor([
        [1, 1, 1],
        [2, 0, -1],
      ]),
    );
    // row 0: [1+2+3+0.5, -1+0+1-0.5] ; row 1: [2-3+0.5, -2-1-0.5]
    expectClose(y, [6.5, -0.5, -0.5, -3.5]);
    expect(y.shape).toEqual([2, 2]);
    y.dispose();
    l.dispose();
  });

  it('works on any leading batch shape and on 1-D input', () => {
    const l = new Linear(4, 3, { seed: 0 });
    const x = detTensor([2, 5, 4]);
    const y = l.call(x);
    expect(y.shape).toEqual([2, 5, 3]);
    const W = Array.from(l.weight.dataSync());
    const b = Array.from((l.bias as Tensor).dataSync());
    const xv = Array.from(x.dataSync());
    const ref: number[] = [];
    for (let r = 0; r < 10; r++) {
      for (let o = 0; o < 3; o++) {
        let s = b[o];
        for (let i = 0; i < 4; i++) s += xv[r * 4 + i] * W[o * 4 + i];
        ref.push(s);
      }
    }
    expectClose(y, ref, 1e-5);
    const v = l.call(tensor([1, 0, 0, 0]));
    expect(v.shape).toEqual([3]);
    expectClose(v, [W[0] + b[0], W[4] + b[1], W[8] + b[2]]);
    for (const t of [x, y, v]) t.dispose();
    l.dispose();
  });

  it('without bias', () => {
    const l = new Linear(2, 2, { bias: false, weightInit: fixed([1, 0, 0, 2]) });
    expect(l.bias).toBeNull();
    expect(l.namedParameters().map(([k]) => k)).toEqual(['weight']);
    const y = l.call(tensor([[3, 4]]));
    expectClose(y, [3, 8]);
    y.dispose();
    l.dispose();
  });

  it('gradients w.r.t. input, weight and bias match finite differences', () => {
    const l = new Linear(3, 2, { seed: 4 });
    const x = detTensor([4, 3], 3);
    x.requiresGrad = true;
    gradCheck(() => l.call(x), [x, l.weight, l.bias as Tensor]);
    x.dispose();
    l.dispose();
  });

  it('on [batch, time, in] input (folded into one product): gradients match finite differences', () => {
    const l = new Linear(3, 2, { seed: 5 });
    const x = detTensor([2, 4, 3], 6);
    x.requiresGrad = true;
    gradCheck(() => l.call(x), [x, l.weight, l.bias as Tensor]);
    x.dispose();
    l.dispose();
  });

  it("default init is PyTorch's U(±1/√in) for weight and bias, seeded", () => {
    const l = new Linear(64, 256, { seed: 1 });
    const bound = 1 / 8;
    const w = Array.from(l.weight.dataSync());
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(bound * 0.95);
    // Var of U(−b, b) = b²/3
    const varW = w.reduce((s, v) => s + v * v, 0) / w.length;
    expect(varW).toBeGreaterThan(((bound * bound) / 3) * 0.9);
    expect(varW).toBeLessThan(((bound * bound) / 3) * 1.1);
    const b = Array.from((l.bias as Tensor).dataSync());
    expect(Math.max(...b.map(Math.abs))).toBeLessThanOrEqual(bound);
    const again = new Linear(64, 256, { seed: 1 });
    expect(Array.from(again.weight.dataSync())).toEqual(w);
    expect(Array.from((again.bias as Tensor).dataSync())).toEqual(b);
    l.dispose();
    again.dispose();
  });

  it('accepts any initializer, which receives the [out, in] layout', () => {
    const seen: unknown[] = [];
    const l = new Linear(3, 5, {
      weightInit: (shape, o) => {
        seen.push(o.layout);
        return init.heNormal(shape, { ...o, seed: 3 });
      },
      biasInit: (shape) => init.constant(shape, 0.25),
    });
    expect(seen).toEqual(['outIn']);
    expectClose(l.bias as Tensor, [0.25, 0.25, 0.25, 0.25, 0.25]);
    l.dispose();
  });

  it('rejects inputs whose last axis is not inFeatures', () => {
    const l = new Linear(3, 2);
    const x = tensor(det(8), [2, 4]);
    expect(() => l.call(x)).toThrow(ShapeError);
    expect(() => l.call(x)).toThrow(/Linear.*\[2,4\].*inFeatures = 3/);
    expect(() => new Linear(0, 2)).toThrow(/inFeatures/);
    x.dispose();
    l.dispose();
  });
});
