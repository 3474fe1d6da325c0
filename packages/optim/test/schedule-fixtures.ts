import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { SGD } from '../src/index';
import { param } from './helpers';

/** What fixtures/make_schedule_fixtures.py wrote from PyTorch (NaN and ±Infinity as strings). */
export interface Fixtures {
  torch: string;
  schedules: Record<string, { lrs: number[][]; momentum?: number[][] }>;
  clipGradNorm: {
    normType: number;
    maxNorm: number;
    total: number | string;
    grads: (number | string)[][];
    nonfinite?: boolean;
  }[];
}

const here = dirname(fileURLToPath(import.meta.url));
export const fixtures: Fixtures = JSON.parse(readFileSync(join(here, 'fixtures', 'schedules.json'), 'utf8'));

/** A number from the fixture file ('NaN', 'Infinity' are strings there). */
export const num = (v: number | string): number => (typeof v === 'number' ? v : Number(v));

/** An SGD over one one-element parameter per group, with these rates. */
export function sgd(lrs: number[], options: { momentum?: number } = {}): SGD {
  return new SGD(
    lrs.map((lr) => ({ params: [param([0])], lr })),
    options,
  );
}

export function release(opt: { params: { dispose(): void }[] }): void {
  for (const p of opt.params) p.dispose();
}

/** Every group's rate at construction, then after each of `steps` steps: the layout of the fixture file. */
export function lrSequence(
  opt: { paramGroups: readonly { lr: number }[] },
  schedule: { step(): void },
  steps: number,
  read: (g: Record<string, unknown>) => number = (g) => g.lr as number,
): number[][] {
  const groups = opt.paramGroups as unknown as Record<string, unknown>[];
  const out = groups.map((g) => [read(g)]);
  for (let i = 0; i < steps; i++) {
    schedule.step();
    groups.forEach((g, k) => out[k].push(read(g)));
  }
  return out;
}

/** Asserts each value within a relative 1e-9 of PyTorch's (which computes most rates recursively, not in closed form). */
export function expectSequences(actual: number[][], expected: number[][], what: string): void {
  expect(actual.length, `${what}: groups`).toBe(expected.length);
  actual.forEach((seq, g) => {
    expect(seq.length, `${what}: group ${g} length`).toBe(expected[g].length);
    seq.forEach((v, t) => {
      const e = expected[g][t];
      if (!(Math.abs(v - e) <= 1e-9 * Math.abs(e) + 1e-15))
        throw new Error(`${what}: group ${g}, epoch ${t}: got ${v}, PyTorch ${e}`);
    });
  });
}
