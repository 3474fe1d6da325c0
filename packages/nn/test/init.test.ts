import { type Tensor, seed } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { init } from '../src/index';
import { useCpu } from './helpers';

useCpu();

function stats(t: Tensor): { mean: number; std: number; min: number; max: number } {
  const v = t.dataSync();
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) {
    s += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = s / v.length;
  let q = 0;
  for (const x of v) q += (x - mean) ** 2;
  return { mean, std: Math.sqrt(q / v.length), min, max };
}

function within(actual: number, expected: number, rel: number): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(rel * Math.abs(expected));
}

describe('fans and gains', () => {
  it('computeFans for PyTorch (outIn) and Keras (inOut) layouts', () => {
    expect(init.computeFans([20, 10])).toEqual({ fanIn: 10, fanOut: 20 }); // Linear [out, in]
    expect(init.computeFans([10, 20], 'inOut')).toEqual({ fanIn: 10, fanOut: 20 }); // Dense [in, out]
    expect(init.computeFans([16, 3, 5, 5])).toEqual({ fanIn: 75, fanOut: 400 }); // [O, C, kH, kW]
    expect(init.computeFans([5, 5, 3, 16], 'inOut')).toEqual({ fanIn: 75, fanOut: 400 }); // [kH, kW, C, O]
    expect(init.computeFans([7])).toEqual({ fanIn: 7, fanOut: 7 });
    expect(init.computeFans([])).toEqual({ fanIn: 1, fanOut: 1 });
  });

  it('calculateGain as PyTorch', () => {
    expect(init.calculateGain('linear')).toBe(1);
    expect(init.calculateGain('sigmoid')).toBe(1);
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3, 12);
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 12);
    expect(init.calculateGain('leakyRelu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 12);
    expect(init.calculateGain('leakyRelu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 12);
    expect(init.calculateGain('selu')).toBe(0.75);
    expect(() => init.calculateGain('swish' as 'relu')).toThrow(/unknown nonlinearity/);
  });
});

describe('initializers', () => {
  it('constant initializers', () => {
    expect(Array.from(init.zeros([2, 2]).dataSync())).toEqual([0, 0, 0, 0]);
    expect(Array.from(init.ones([3]).dataSync())).toEqual([1, 1, 1]);
    expect(Array.from(init.constant([2], 0.5).dataSync())).toEqual([0.5, 0.5]);
    expect(init.zeros([2, 3, 4]).shape).toEqual([2, 3, 4]);
  });

  // Large tensors: shape [out=400, in=250] (outIn) so fanIn = 250, fanOut = 400.
  const shape = [400, 250];
  const fanIn = 250;
  const fanOut = 400;
  const cases: { name: string; make: (s: number | undefined) => Tensor; std: number; bound?: number; mean?: number }[] =
    [
      {
        name: 'uniform(-2, 3)',
        make: (s) => init.uniform(shape, { a: -2, b: 3, seed: s }),
        std: 5 / Math.sqrt(12),
        bound: 3,
        mean: 0.5,
      },
      { name: 'normal(1, 0.5)', make: (s) => init.normal(shape, { mean: 1, std: 0.5, seed: s }), std: 0.5, mean: 1 },
      {
        name: 'glorotUniform',
        make: (s) => init.glorotUniform(shape, { seed: s }),
        std: Math.sqrt(2 / (fanIn + fanOut)),
        bound: Math.sqrt(6 / (fanIn + fanOut)),
      },
      {
        name: 'glorotNormal (gain 2)',
        make: (s) => init.glorotNormal(shape, { seed: s, gain: 2 }),
        std: 2 * Math.sqrt(2 / (fanIn + fanOut)),
      },
      {
        name: 'heUniform',
        make: (s) => init.heUniform(shape, { seed: s }),
        std: Math.sqrt(2 / fanIn),
        bound: Math.sqrt(6 / fanIn),
      },
      {
        name: 'heNormal fanOut',
        make: (s) => init.heNormal(shape, { seed: s, mode: 'fanOut' }),
        std: Math.sqrt(2 / fanOut),
      },
      {
        name: 'heNormal tanh',
        make: (s) => init.kaimingNormal(shape, { seed: s, nonlinearity: 'tanh' }),
        std: 5 / 3 / Math.sqrt(fanIn),
      },
      {
        name: 'heUniform a=√5 (PyTorch Linear default)',
        make: (s) => init.heUniform(shape, { seed: s, a: Math.sqrt(5) }),
        std: 1 / Math.sqrt(3 * fanIn),
        bound: 1 / Math.sqrt(fanIn),
      },
      {
        name: 'lecunUniform',
        make: (s) => init.lecunUniform(shape, { seed: s }),
        std: Math.sqrt(1 / fanIn),
        bound: Math.sqrt(3 / fanIn),
      },
      { name: 'lecunNormal', make: (s) => init.lecunNormal(shape, { seed: s }), std: Math.sqrt(1 / fanIn) },
      {
        name: 'varianceScaling truncatedNormal (Keras he_normal)',
        make: (s) => init.varianceScaling(shape, { seed: s, scale: 2 }),
        std: Math.sqrt(2 / fanIn),
        bound: (2 * Math.sqrt(2 / fanIn)) / 0.8796256610342398,
      },
      {
        name: 'varianceScaling uniform fanAvg (Keras glorot_uniform)',
        make: (s) => init.varianceScaling(shape, { seed: s, mode: 'fanAvg', distribution: 'uniform' }),
        std: Math.sqrt(2 / (fanIn + fanOut)),
        bound: Math.sqrt(6 / (fanIn + fanOut)),
      },
      {
        name: 'truncatedNormal(0, 1, [-2, 2])',
        make: (s) => init.truncatedNormal(shape, { seed: s }),
        std: 0.8796256610342398,
        bound: 2,
      },
    ];

  for (const c of cases) {
    it(`${c.name}: shape, seeded reproducibility, std/bounds from the formula`, () => {
      const a = c.make(7);
      const b = c.make(7);
      const other = c.make(8);
      expect(a.shape).toEqual(shape);
      expect(a.dtype).toBe('float32');
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      expect(Array.from(a.dataSync().slice(0, 50))).not.toEqual(Array.from(other.dataSync().slice(0, 50)));
      const s = stats(a);
      within(s.std, c.std, 0.02);
      expect(Math.abs(s.mean - (c.mean ?? 0))).toBeLessThan(0.02 * c.std + 1e-9);
      if (c.bound !== undefined) {
        expect(s.max).toBeLessThanOrEqual(c.bound);
        expect(s.min).toBeGreaterThanOrEqual((c.mean ?? 0) * 2 - c.bound);
        expect(s.max).toBeGreaterThan(c.bound * 0.97);
      }
      for (const t of [a, b, other]) t.dispose();
    });
  }

  it('without a seed, values follow the global generator (seed())', () => {
    seed(3);
    const a = init.heUniform([50, 20]);
    const a2 = init.heUniform([50, 20]);
    seed(3);
    const b = init.heUniform([50, 20]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(a2.dataSync()));
    for (const t of [a, a2, b]) t.dispose();
  });

  it('fans follow the layout: conv filters in both layouts give the same std', () => {
    const oihw = init.heNormal([64, 16, 3, 3], { seed: 1 });
    const hwio = init.heNormal([3, 3, 16, 64], { seed: 1, layout: 'inOut' });
    const want = Math.sqrt(2 / (16 * 9));
    within(stats(oihw).std, want, 0.03);
    within(stats(hwio).std, want, 0.03);
    // Dense [in, out] with inOut equals Linear [out, in] with outIn.
    const dense = init.heUniform([300, 100], { seed: 2, layout: 'inOut' });
    within(stats(dense).std, Math.sqrt(2 / 300), 0.03);
    for (const t of [oihw, hwio, dense]) t.dispose();
  });

  it('orthogonal: rows (or columns) orthonormal, scaled by gain, seeded', () => {
    for (const [rows, cols] of [
      [6, 10],
      [10, 6],
      [8, 8],
    ]) {
      const q = init.orthogonal([rows, cols], { seed: 3, gain: 2 });
      const v = q.dataSync();
      const wide = rows <= cols;
      const n = wide ? rows : cols;
      const len = wide ? cols : rows;
      const at = (i: number, k: number): number => (wide ? v[i * cols + k] : v[k * cols + i]);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let d = 0;
          for (let k = 0; k < len; k++) d += at(i, k) * at(j, k);
          expect(d).toBeCloseTo(i === j ? 4 : 0, 4);
        }
      }
      const again = init.orthogonal([rows, cols], { seed: 3, gain: 2 });
      expect(Array.from(again.dataSync())).toEqual(Array.from(v));
      q.dispose();
      again.dispose();
    }
    const conv = init.orthogonal([4, 2, 3, 3], { seed: 1 });
    expect(conv.shape).toEqual([4, 2, 3, 3]);
    conv.dispose();
    expect(() => init.orthogonal([5])).toThrow(/at least 2 dimensions/);
  });

  it('rejects bad arguments', () => {
    expect(() => init.uniform([2], { a: 1, b: 0 })).toThrow(/a <= b/);
    expect(() => init.heNormal([2, 2], { mode: 'fanAvg' as 'fanIn' })).toThrow(/mode/);
    expect(() => init.heUniform([3, 0])).toThrow(/fan is 0/);
    expect(() => init.zeros([2.5])).toThrow(/shape/);
  });
});
