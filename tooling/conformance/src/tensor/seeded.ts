import { type Backend, type Tensor, dropout, getBackend, ones, rand, randint, randn, seed } from '@tsdl/tensor';
import { randomNormal, randomUniform } from '@tsdl/tensor/backend';
import { nextKey } from '@tsdl/tensor/internal';
import { expectAllClose } from '@tsdl/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context';

async function take(t: Tensor): Promise<number[]> {
  const v = Array.from(await t.data(), Number);
  t.dispose();
  return v;
}

/**
 * Random ops are counter-based (random.ts): element i of an op with key k
 * depends only on (k, i), so the same seed gives the same values on every
 * backend, and a backend must match the host formulas.
 */
export function registerSeeded(ctx: ConformanceContext): void {
  describe('seeded randomness', () => {
    let other: Backend;
    beforeAll(() => {
      other = ctx.second();
    });

    it('seed(n) twice gives the same rand, randn and randint values', async () => {
      const draw = async () => [await take(rand([50])), await take(randn([50])), await take(randint(-5, 5, [50]))];
      seed(42);
      const a = await draw();
      seed(42);
      const b = await draw();
      seed(43);
      const c = await draw();
      expect(b).toEqual(a);
      expect(c[0]).not.toEqual(a[0]);
      expect(c[1]).not.toEqual(a[1]);
      // Successive ops draw fresh keys.
      seed(42);
      expect(await take(rand([50]))).toEqual(a[0]);
      expect(await take(rand([50]))).not.toEqual(a[0]);
    });

    it('an explicit { seed } fixes one op and leaves the global sequence alone', async () => {
      seed(7);
      const first = await take(rand([20]));
      seed(7);
      const fixedA = await take(rand([20], { seed: 99 }));
      const afterFixed = await take(rand([20]));
      const fixedB = await take(rand([20], { seed: 99 }));
      expect(afterFixed).toEqual(first);
      expect(fixedB).toEqual(fixedA);
      expect(await take(rand([20], { seed: 100 }))).not.toEqual(fixedA);
    });

    it('values follow the host formulas exactly (uniform, int) and to float32 rounding (normal)', async () => {
      const n = 257;
      const k = nextKey(5);
      const idx = Array.from({ length: n }, (_, i) => i);
      expect(await take(rand([n], { seed: 5 }))).toEqual(idx.map((i) => randomUniform(k, i)));
      expect(await take(randint(-3, 10, [n], { seed: 5 }))).toEqual(
        idx.map((i) => Math.floor(randomUniform(k, i) * 13) - 3),
      );
      expectAllClose(
        await take(randn([n], { seed: 5 })),
        idx.map((i) => randomNormal(k, i)),
        { atol: 1e-6, rtol: 1e-6 },
      );
    });

    it('the same seed gives the same values on two backend instances', async () => {
      expect(getBackend()).not.toBe(other);
      expect(await take(rand([3, 7], { seed: 3, backend: other }))).toEqual(await take(rand([3, 7], { seed: 3 })));
      expect(await take(randn([64], { seed: 4, backend: other }))).toEqual(await take(randn([64], { seed: 4 })));
    });

    it('ranges and moments: rand in [low, high), randint integers in [low, high), randn ~ N(mean, std)', async () => {
      const u = await take(rand([10000], { seed: 1, low: -2, high: 3 }));
      expect(Math.min(...u)).toBeGreaterThanOrEqual(-2);
      expect(Math.max(...u)).toBeLessThan(3);
      const ints = await take(randint(0, 4, [10000], { seed: 2 }));
      expect(ints.every((v) => Number.isInteger(v) && v >= 0 && v < 4)).toBe(true);
      expect(new Set(ints)).toEqual(new Set([0, 1, 2, 3]));
      const z = await take(randn([10000], { seed: 3, mean: 2, std: 0.5 }));
      const m = z.reduce((s, v) => s + v, 0) / z.length;
      const sd = Math.sqrt(z.reduce((s, v) => s + (v - m) ** 2, 0) / z.length);
      // Standard errors: 0.005 for the mean, 0.0035 for the std; 5 sigma.
      expect(Math.abs(m - 2)).toBeLessThan(0.025);
      expect(Math.abs(sd - 0.5)).toBeLessThan(0.02);
    });

    it('dropout with a seed is reproducible, zeroes about rate and scales the rest by 1/(1 - rate)', async () => {
      const x = ones([4000]);
      const a = await take(dropout(x, 0.25, { seed: 8 }));
      const b = await take(dropout(x, 0.25, { seed: 8 }));
      x.dispose();
      expect(b).toEqual(a);
      expect(a.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6)).toBe(true);
      const dropped = a.filter((v) => v === 0).length / a.length;
      expect(Math.abs(dropped - 0.25)).toBeLessThan(0.04);
    });
  });
}
