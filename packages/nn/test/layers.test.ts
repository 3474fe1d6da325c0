import { noGrad } from '@tsdl/autograd';
import { ArgumentError, DTypeError, type Tensor, tensor, tidy } from '@tsdl/tensor';
import { erfScalar } from '@tsdl/tensor/backend';
import { describe, expect, it } from 'vitest';
import {
  Dropout,
  ELU,
  Embedding,
  GELU,
  Identity,
  LeakyReLU,
  LogSoftmax,
  type Module,
  ReLU,
  SiLU,
  Sigmoid,
  Softmax,
  Softplus,
  Tanh,
} from '../src/index';
import { expectClose, gradCheck, useCpu } from './helpers';

useCpu();

const xs = [-2.5, -1.3, -0.4, 0.3, 0.9, 1.7, 2.2, -0.7];
const sig = (v: number): number => 1 / (1 + Math.exp(-v));

describe('activations', () => {
  const cases: [string, Module, (v: number) => number][] = [
    ['ReLU', new ReLU(), (v) => Math.max(v, 0)],
    ['LeakyReLU()', new LeakyReLU(), (v) => (v > 0 ? v : 0.01 * v)],
    ['LeakyReLU(0.2)', new LeakyReLU(0.2), (v) => (v > 0 ? v : 0.2 * v)],
    ['ELU()', new ELU(), (v) => (v > 0 ? v : Math.expm1(v))],
    ['ELU(0.5)', new ELU(0.5), (v) => (v > 0 ? v : 0.5 * Math.expm1(v))],
    ['GELU()', new GELU(), (v) => 0.5 * v * (1 + erfScalar(v / Math.SQRT2))],
    [
      "GELU('tanh')",
      new GELU('tanh'),
      (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
    ],
    ['Sigmoid', new Sigmoid(), sig],
    ['Tanh', new Tanh(), Math.tanh],
    ['SiLU', new SiLU(), (v) => v * sig(v)],
    ['Softplus()', new Softplus(), (v) => Math.log1p(Math.exp(v))],
    ['Softplus(2)', new Softplus(2), (v) => Math.log1p(Math.exp(2 * v)) / 2],
    ['Identity', new Identity(), (v) => v],
  ];
  for (const [name, m, f] of cases) {
    it(`${name}: forward matches the formula, gradient matches finite differences`, () => {
      const x = tensor(xs, [2, 4]);
      x.requiresGrad = true;
      const y = m.call(x);
      expect(y.shape).toEqual([2, 4]);
      expectClose(y, xs.map(f), 1e-6, 1e-5);
      gradCheck(() => m.call(x), [x]);
      y.dispose();
      x.dispose();
    });
  }

  it('Softmax and LogSoftmax along a chosen dim', () => {
    const x = tensor(xs, [2, 4]);
    x.requiresGrad = true;
    const rows = [xs.slice(0, 4), xs.slice(4)];
    const smRow = rows.flatMap((r) => {
      const m = Math.max(...r);
      const e = r.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    });
    expectClose(new Softmax().call(x), smRow, 1e-6);
    expectClose(new LogSoftmax(-1).call(x), smRow.map(Math.log), 1e-5);
    // dim 0: columns
    const col = [0, 1, 2, 3].map((j) => [xs[j], xs[4 + j]]);
    const sm0 = new Array<number>(8);
    col.forEach((c, j) => {
      const s = Math.exp(c[0]) + Math.exp(c[1]);
      sm0[j] = Math.exp(c[0]) / s;
      sm0[4 + j] = Math.exp(c[1]) / s;
    });
    expectClose(new Softmax(0).call(x), sm0, 1e-6);
    expectClose(new LogSoftmax(0).call(x), sm0.map(Math.log), 1e-5);
    gradCheck(() => new Softmax(0).call(x), [x]);
    gradCheck(() => new LogSoftmax(1).call(x), [x]);
    x.dispose();
  });

  it('rejects a bad GELU approximation', () => {
    expect(() => new GELU('fast' as 'tanh')).toThrow(/approximate/);
  });
});

describe('Dropout', () => {
  it('zeroes about p of the elements in training and scales the rest by 1/(1 − p)', () => {
    const d = new Dropout(0.3, { seed: 1 });
    const x = tensor(new Float32Array(20000).fill(2), [100, 200]);
    const y = d.call(x);
    const v = y.dataSync();
    let zeros = 0;
    for (const e of v) {
      if (e === 0) zeros++;
      else expect(Math.abs(e - 2 / 0.7)).toBeLessThan(1e-5);
    }
    expect(zeros / v.length).toBeGreaterThan(0.28);
    expect(zeros / v.length).toBeLessThan(0.32);
    y.dispose();
    x.dispose();
  });

  it('is the identity in eval mode and for p = 0', () => {
    const x = tensor(xs);
    const d = new Dropout(0.5).eval();
    expectClose(d.call(x), xs);
    expectClose(new Dropout(0).call(x), xs);
    x.dispose();
  });

  it('a seeded Dropout gives a reproducible sequence of different masks', () => {
    const x = tensor(new Float32Array(64).fill(1));
    const a = new Dropout(0.5, { seed: 42 });
    const b = new Dropout(0.5, { seed: 42 });
    const a1 = Array.from(a.call(x).dataSync());
    const a2 = Array.from(a.call(x).dataSync());
    const b1 = Array.from(b.call(x).dataSync());
    const b2 = Array.from(b.call(x).dataSync());
    expect(a1).toEqual(b1);
    expect(a2).toEqual(b2);
    expect(a1).not.toEqual(a2);
    x.dispose();
  });

  it('gradient is the mask scaled by 1/(1 − p)', () => {
    const x = tensor(new Float32Array(50).fill(3));
    x.requiresGrad = true;
    const d = new Dropout(0.5, { seed: 3 });
    tidy(() => {
      const y = d.call(x);
      y.sum().backward();
      const yv = y.dataSync();
      const g = (x.grad as Tensor).dataSync();
      for (let i = 0; i < 50; i++) expect(g[i]).toBeCloseTo(yv[i] / 3, 6);
    });
    x.dispose();
    expect(() => new Dropout(1.5)).toThrow(ArgumentError);
  });
});

describe('Embedding', () => {
  it('looks up rows: out.shape = indices.shape + [dim]', () => {
    const e = new Embedding(5, 3, { seed: 0 });
    const W = Array.from(e.weight.dataSync());
    const idx = tensor([4, 0, 2, 2, 1, 4], [2, 3], 'int32');
    const y = e.call(idx);
    expect(y.shape).toEqual([2, 3, 3]);
    expectClose(
      y,
      [4, 0, 2, 2, 1, 4].flatMap((i) => W.slice(i * 3, i * 3 + 3)),
    );
    y.dispose();
    idx.dispose();
    e.dispose();
  });

  it('default init is N(0, 1)', () => {
    const e = new Embedding(200, 100, { seed: 5 });
    const w = Array.from(e.weight.dataSync());
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const sd = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
    e.dispose();
  });

  it('gradient accumulates over repeated indices (finite differences)', () => {
    const e = new Embedding(4, 2, { seed: 1 });
    const idx = tensor([1, 3, 1, 0], [4], 'int32');
    gradCheck(() => e.call(idx), [e.weight]);
    tidy(() => e.call(idx).sum().backward());
    expectClose(e.weight.grad as Tensor, [1, 1, 2, 2, 0, 0, 1, 1]);
    idx.dispose();
    e.dispose();
  });

  it('paddingIdx: zero row, zero output and no gradient', () => {
    const e = new Embedding(4, 2, { seed: 1, paddingIdx: 2 });
    expectClose(e.weight.slice([2], [3]), [0, 0]);
    // Even if the row is changed, the padding index looks up zeros and gets no gradient.
    noGrad(() => tidy(() => e.weight.assign(e.weight.add(1))));
    const idx = tensor([2, 0, 2], [3], 'int32');
    tidy(() => {
      const y = e.call(idx);
      expectClose(y.slice([0], [1]), [0, 0]);
      y.sum().backward();
    });
    expectClose(e.weight.grad as Tensor, [1, 1, 0, 0, 0, 0, 0, 0]);
    idx.dispose();
    e.dispose();
  });

  it('rejects float indices and indices out of range', () => {
    const e = new Embedding(3, 2);
    const f = tensor([0, 1]);
    const bad = tensor([3], [1], 'int32');
    expect(() => e.call(f)).toThrow(DTypeError);
    expect(() => e.call(bad)).toThrow(/out of range/);
    f.dispose();
    bad.dispose();
    e.dispose();
  });
});
