import * as T from '@tsdl/tensor';
import { randomUniform } from '@tsdl/tensor/backend';
import { nextKey } from '@tsdl/tensor/internal';
import { expect } from 'vitest';
import { footprint } from '../tensor/helpers';
import { type Case, afterRead, expectTensor, registerCases } from './harness';

/**
 * multinomial and categorical: the exact samples a seed gives (recomputed on
 * the host from the counter-based stream of random.ts, so every backend must
 * draw the same ones), frequencies over many draws against the probabilities
 * (5 standard deviations), distinct draws without replacement with PyTorch's
 * sequential pair probabilities, zero-probability categories never drawn, and
 * the argument errors.
 */

/**
 * The draws the documented algorithm makes for one row: t = fround(u·total),
 * the first category of non-zero probability whose cumulative sum exceeds t.
 * Exact where the probabilities are sums of powers of two (their cumulative
 * sums are then exact in float32 on every backend).
 */
function hostDraws(probs: readonly number[][], numSamples: number, replacement: boolean, seed: number): number[] {
  const key = nextKey(seed);
  const out: number[] = [];
  probs.forEach((row, n) => {
    const p = row.slice();
    for (let s = 0; s < numSamples; s++) {
      const u = randomUniform(key, n * numSamples + s);
      let cdf = 0;
      const cum = p.map((v) => (cdf += v));
      const t = Math.fround(u * cum[cum.length - 1]);
      let pick = -1;
      for (let c = 0; c < p.length && pick < 0; c++) if (p[c] > 0 && cum[c] > t) pick = c;
      if (pick < 0) pick = p.reduce((last, v, c) => (v > 0 ? c : last), 0);
      out.push(pick);
      if (!replacement) p[pick] = 0;
    }
  });
  return out;
}

const counts = (values: readonly number[], classes: number): number[] => {
  const c = new Array<number>(classes).fill(0);
  for (const v of values) c[v]++;
  return c;
};

/** Every count within 5 standard deviations of n·p (a binomial count). */
function expectFrequencies(got: readonly number[], p: readonly number[], n: number, what: string): void {
  got.forEach((c, i) => {
    const sd = Math.sqrt(n * p[i] * (1 - p[i]));
    expect(
      Math.abs(c - n * p[i]),
      `${what}: count of category ${i} is ${c}, expected ${n * p[i]} ± ${5 * sd}`,
    ).toBeLessThanOrEqual(5 * sd + 1e-9);
  });
}

const EXACT = [
  [0.25, 0, 0.25, 0.5],
  [0, 0.5, 0, 0.5],
  [0.125, 0.375, 0.5, 0],
];

function samplingCases(sync: boolean): Case[] {
  const cases: Case[] = [
    {
      name: 'multinomial with replacement draws exactly the samples its seed gives on the host (same on every backend)',
      run: () => {
        const out = T.multinomial(T.tensor(EXACT), 64, { replacement: true, seed: 11 });
        expectTensor(out, [3, 64], 'int32', hostDraws(EXACT, 64, true, 11));
      },
    },
    {
      name: 'multinomial without replacement draws exactly the samples its seed gives on the host; rows are distinct',
      run: () => {
        const probs = [
          [0.25, 0.125, 0.125, 0.5],
          [0.5, 0.25, 0, 0.25],
        ];
        const out = T.multinomial(T.tensor(probs), 3, { seed: 12 });
        expectTensor(out, [2, 3], 'int32', hostDraws(probs, 3, false, 12));
        afterRead([out], ([v]) => {
          expect(new Set(v.slice(0, 3)).size).toBe(3);
          expect(new Set(v.slice(3)).size).toBe(3);
          expect(v.slice(3)).not.toContain(2);
        });
      },
    },
    {
      name: 'categorical draws from softmax(logits): exact samples for logits giving powers of two; -Infinity is never drawn',
      run: () => {
        const out = T.categorical(T.tensor([0, 0, -Infinity, 0, 0]), 40, { seed: 13 });
        expectTensor(out, [40], 'int32', hostDraws([[0.25, 0.25, 0, 0.25, 0.25]], 40, true, 13));
      },
    },
    {
      name: 'multinomial frequencies over 20000 draws match [0.1, 0.2, 0.3, 0.4]; a zero category is never drawn',
      run: () => {
        const p = [0.1, 0.2, 0, 0.3, 0.4];
        const out = T.multinomial(T.tensor(p), 20000, { replacement: true, seed: 14 });
        afterRead([out], ([v]) => {
          const c = counts(v, 5);
          expect(c[2], 'draws of the zero-probability category').toBe(0);
          expectFrequencies(c, p, 20000, 'multinomial');
        });
      },
    },
    {
      name: 'unnormalised probabilities are normalised per row: rows [1, 3] and [2, 2, 4] weights',
      run: () => {
        const out = T.multinomial(
          T.tensor([
            [1, 3, 0],
            [2, 2, 4],
          ]),
          8000,
          { replacement: true, seed: 15 },
        );
        afterRead([out], ([v]) => {
          expectFrequencies(counts(v.slice(0, 8000), 3), [0.25, 0.75, 0], 8000, 'row 0');
          expectFrequencies(counts(v.slice(8000), 3), [0.25, 0.25, 0.5], 8000, 'row 1');
        });
      },
    },
    {
      name: 'categorical frequencies over 20000 draws match softmax(logits)',
      run: () => {
        const p = [0.1, 0.2, 0.3, 0.4];
        const out = T.categorical(T.tensor([p.map((v) => Math.log(v) + 3)]), 20000, { seed: 16 });
        expect(out.shape).toEqual([1, 20000]);
        afterRead([out], ([v]) => expectFrequencies(counts(v, 4), p, 20000, 'categorical'));
      },
    },
    {
      name: 'without replacement, ordered pairs follow p_i·p_j/(1 − p_i) (4000 rows of two draws)',
      run: () => {
        const p = [0.1, 0.2, 0.3, 0.4];
        const rows = 4000;
        const out = T.multinomial(T.broadcastTo(T.tensor(p), [rows, 4]), 2, { seed: 17 });
        afterRead([out], ([v]) => {
          const pairs = new Array<number>(16).fill(0);
          for (let r = 0; r < rows; r++) pairs[v[2 * r] * 4 + v[2 * r + 1]]++;
          const expected = pairs.map((_, k) => {
            const i = Math.floor(k / 4);
            const j = k % 4;
            return i === j ? 0 : (p[i] * p[j]) / (1 - p[i]);
          });
          for (let i = 0; i < 4; i++) expect(pairs[i * 5], `pair (${i}, ${i})`).toBe(0);
          expectFrequencies(pairs, expected, rows, 'pairs');
        });
      },
    },
    {
      name: 'the same seed gives the same samples, the global generator too; another seed gives others',
      run: () => {
        const p = T.tensor([0.3, 0.3, 0.4]);
        const a = T.multinomial(p, 50, { replacement: true, seed: 5 });
        const b = T.multinomial(p, 50, { replacement: true, seed: 5 });
        const c = T.multinomial(p, 50, { replacement: true, seed: 6 });
        T.seed(21);
        const g1 = T.categorical(T.tensor([1, 2, 3]), 50);
        T.seed(21);
        const g2 = T.categorical(T.tensor([1, 2, 3]), 50);
        afterRead([a, b, c, g1, g2], ([va, vb, vc, v1, v2]) => {
          expect(vb).toEqual(va);
          expect(vc).not.toEqual(va);
          expect(v2).toEqual(v1);
        });
      },
    },
    {
      name: 'multinomial and categorical errors: dtype, rank, no categories, numSamples, too many without replacement, options',
      run: () => {
        const p = T.tensor([0.5, 0.5]);
        const ints = T.tensor(new Int32Array([1, 1]));
        const cube = T.zeros([1, 2, 2]);
        const empty = T.zeros([2, 0]);
        const before = footprint();
        expect(() => T.multinomial(ints, 1)).toThrow(T.DTypeError);
        expect(() => T.multinomial(cube, 1)).toThrow(/^multinomial: probabilities must be 1-D \[C\] or 2-D \[N, C\]/);
        expect(() => T.categorical(empty, 1)).toThrow(T.ShapeError);
        expect(() => T.multinomial(p, 0)).toThrow(/^multinomial: numSamples must be a positive integer, got 0/);
        expect(() => T.categorical(p, 1.5)).toThrow(T.ArgumentError);
        expect(() => T.multinomial(p, 3)).toThrow(
          /^multinomial: cannot draw 3 samples without replacement from 2 categories/,
        );
        expect(() => T.multinomial(p, 1, { replace: true } as T.MultinomialOptions)).toThrow(
          /^multinomial: unknown option 'replace'/,
        );
        expect(() => T.categorical(p, 1, { replacement: true } as T.CategoricalOptions)).toThrow(T.ArgumentError);
        expect(footprint(), 'tensors and bytes after the errors').toEqual(before);
      },
    },
  ];
  if (sync) {
    // The values are checked where the backend reads synchronously; on a GPU they stay on the device.
    cases.push({
      name: 'multinomial checks the rows: negative, NaN, infinite, all-zero, too few non-zero without replacement; nothing leaked',
      run: () => {
        const negative = T.tensor([
          [0.5, 0.5],
          [0.5, -0.5],
        ]);
        const nan = T.tensor([NaN, 1]);
        const inf = T.tensor([Infinity, 1]);
        const zero = T.tensor([0, 0]);
        const one = T.tensor([0, 1, 0]);
        const noLogits = T.tensor([-Infinity, -Infinity]);
        const before = footprint();
        expect(() => T.multinomial(negative, 1)).toThrow(
          /^multinomial: row 1 of the probabilities has -0\.5 at category 1/,
        );
        expect(() => T.multinomial(nan, 1)).toThrow(T.ArgumentError);
        expect(() => T.multinomial(inf, 1)).toThrow(T.ArgumentError);
        expect(() => T.multinomial(zero, 1, { replacement: true })).toThrow(/row 0 of the probabilities sums to 0/);
        expect(() => T.multinomial(one, 2)).toThrow(/which has 1 categories of non-zero probability/);
        expect(() => T.categorical(noLogits, 1)).toThrow(
          /^categorical: row 0 of the probabilities softmax\(logits\) has NaN/,
        );
        expect(footprint(), 'tensors and bytes after the errors').toEqual(before);
      },
    });
  }
  return cases;
}

export function registerSampling(sync: boolean): void {
  registerCases('multinomial and categorical', samplingCases(sync));
}
