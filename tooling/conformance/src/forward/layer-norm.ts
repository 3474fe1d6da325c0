import * as T from '@tsdl/tensor';
import { layerNormGrad } from '@tsdl/tensor/internal';
import { expect } from 'vitest';
import { type Case, type Layout, expectTensor, input, registerCases, seededFor } from './harness';

/**
 * layerNorm and its gradient kernel against float64 loops: one or two normalized axes, with
 * and without gamma and beta, every memory layout, rows far from zero (where E[x²] − μ²
 * would cancel), a constant row, no rows, the lowering run on a backend without the
 * kernels, and the argument errors.
 */

interface Ref {
  y: number[];
  dx: number[];
  dg: number[];
  db: number[];
}

/** Forward and backward in float64 over rows of length d; gamma/beta null = 1/0. */
function reference(
  x: readonly number[],
  d: number,
  gamma: readonly number[] | null,
  beta: readonly number[] | null,
  dy: readonly number[],
  eps: number,
): Ref {
  const n = x.length / d;
  const out: Ref = { y: [], dx: [], dg: new Array<number>(d).fill(0), db: new Array<number>(d).fill(0) };
  for (let r = 0; r < n; r++) {
    const row = x.slice(r * d, (r + 1) * d);
    const mu = row.reduce((a, b) => a + b, 0) / d;
    const v = row.reduce((a, b) => a + (b - mu) ** 2, 0) / d;
    const rstd = 1 / Math.sqrt(v + eps);
    const h = row.map((t) => (t - mu) * rstd);
    const g = h.map((_, j) => dy[r * d + j] * (gamma ? gamma[j] : 1));
    const a = g.reduce((s, t) => s + t, 0) / d;
    const b = g.reduce((s, t, j) => s + t * h[j], 0) / d;
    for (let j = 0; j < d; j++) {
      out.y.push(h[j] * (gamma ? gamma[j] : 1) + (beta ? beta[j] : 0));
      out.dx.push(rstd * (g[j] - a - h[j] * b));
      out.dg[j] += dy[r * d + j] * h[j];
      out.db[j] += dy[r * d + j];
    }
  }
  return out;
}

interface Spec {
  shape: number[];
  norm: number[];
  layout: Layout;
  affine: 'none' | 'gamma' | 'both';
  /** Added to every x: rows far from zero. */
  offset?: number;
  eps?: number;
}

/** Runs layerNorm and layerNormGrad on `s` and records both against the float64 reference. */
function check(s: Spec, seed: number): void {
  const d = s.norm.reduce((a, b) => a * b, 1);
  const n = s.shape.reduce((a, b) => a * b, 1) / d;
  const eps = s.eps ?? 1e-5;
  const values = seededFor('float32', n * d, seed, -2, 2).map((v) => Math.fround(v + (s.offset ?? 0)));
  const x = input(s.shape, 'float32', seed, s.layout, values);
  const gv = seededFor('float32', d, seed + 1, 0.5, 1.5);
  const bv = seededFor('float32', d, seed + 2, -1, 1);
  const gamma = s.affine === 'none' ? null : T.tensor(gv, s.norm);
  const beta = s.affine === 'both' ? T.tensor(bv, s.norm) : null;
  const dyv = seededFor('float32', n * d, seed + 3, -1, 1);
  const ref = reference(x.ref.data, d, gamma && gv, beta && bv, dyv, eps);
  // A row of offset 1e3 holds its deviations to float32's 6e-5 spacing there: compare at that scale.
  const tol = { atol: 1e-5 * Math.max(1, Math.abs(s.offset ?? 0)), rtol: 1e-4 };
  expectTensor(T.layerNorm(x.t, s.norm, { gamma, beta, epsilon: eps }), s.shape, 'float32', ref.y, tol, 'y');
  const [dx, dg, db] = layerNormGrad(
    T.reshape(x.t, [n, d]),
    gamma && T.reshape(gamma, [d]),
    T.tensor(dyv, [n, d]),
    eps,
  );
  expectTensor(dx, [n, d], 'float32', ref.dx, tol, 'dx');
  expectTensor(dg, [d], 'float32', ref.dg, { atol: 1e-4, rtol: 1e-4 }, 'dgamma');
  expectTensor(db, [d], 'float32', ref.db, { atol: 1e-4, rtol: 1e-4 }, 'dbeta');
}

function valueCases(): Case[] {
  const cases: Case[] = [];
  const specs: [string, Spec][] = [
    ['[4,8] over [8], gamma and beta', { shape: [4, 8], norm: [8], layout: 'contiguous', affine: 'both' }],
    ['[2,3,5] over [5], gamma only', { shape: [2, 3, 5], norm: [5], layout: 'contiguous', affine: 'gamma' }],
    ['[2,3,4] over [3,4], no affine', { shape: [2, 3, 4], norm: [3, 4], layout: 'contiguous', affine: 'none' }],
    ['[3,6] transposed', { shape: [3, 6], norm: [6], layout: 'transposed', affine: 'both' }],
    ['[3,6] sliced', { shape: [3, 6], norm: [6], layout: 'sliced', affine: 'both' }],
    ['[3,6] broadcast rows', { shape: [3, 6], norm: [6], layout: 'broadcast', affine: 'gamma' }],
    ['[5,130] wide rows', { shape: [5, 130], norm: [130], layout: 'contiguous', affine: 'both' }],
    ['[4,16] rows offset by 1e3', { shape: [4, 16], norm: [16], layout: 'contiguous', affine: 'both', offset: 1e3 }],
    ['[2,4] epsilon 0.5', { shape: [2, 4], norm: [4], layout: 'contiguous', affine: 'both', eps: 0.5 }],
    ['[0,4] no rows', { shape: [0, 4], norm: [4], layout: 'contiguous', affine: 'both' }],
  ];
  specs.forEach(([name, spec], i) =>
    cases.push({ name: `${name}: forward and gradient`, run: () => check(spec, 40 + 4 * i) }),
  );
  cases.push({
    name: 'known values: [1,2,3,4] gives ±1.3416, ±0.4472; a constant row gives beta, its gradient (dy − mean dy)/√ε',
    run: () => {
      const s = Math.sqrt(1.25 + 1e-5);
      expectTensor(T.layerNorm(T.tensor([[1, 2, 3, 4]]), 4), [1, 4], 'float32', [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s]);
      const x = T.tensor([[7, 7, 7]]);
      const beta = T.tensor([0.5, -1, 2]);
      expectTensor(T.layerNorm(x, [3], { gamma: T.tensor([3, 3, 3]), beta }), [1, 3], 'float32', [0.5, -1, 2]);
      const [dx] = layerNormGrad(x, null, T.tensor([[1, 2, 3]]), 1e-5);
      const r = 1 / Math.sqrt(1e-5);
      expectTensor(dx, [1, 3], 'float32', [-r, 0, r]);
    },
  });
  cases.push({
    name: 'without the kernels (their lowering) gives the same values',
    run: () => {
      const b = T.zeros([1]).backend as unknown as Record<string, unknown>;
      b.layerNorm = undefined;
      b.layerNormGrad = undefined;
      try {
        check({ shape: [3, 2, 5], norm: [2, 5], layout: 'transposed', affine: 'both' }, 90);
        check({ shape: [4, 16], norm: [16], layout: 'contiguous', affine: 'gamma', offset: 1e3 }, 94);
      } finally {
        delete b.layerNorm;
        delete b.layerNormGrad;
      }
    },
  });
  return cases;
}

function errorCases(): Case[] {
  return [
    {
      name: 'errors: shapes, dtypes, options and epsilon name the op and the argument',
      run: () => {
        const x = T.zeros([2, 3]);
        expect(() => T.layerNorm(x, [4])).toThrow(
          /layerNorm: x of shape \[2,3\] does not end in normalizedShape \[4\]/,
        );
        expect(() => T.layerNorm(x, [2, 3, 1])).toThrow(T.ShapeError);
        expect(() => T.layerNorm(x, [])).toThrow(/layerNorm: normalizedShape must be a positive integer/);
        expect(() => T.layerNorm(x, 0)).toThrow(T.ArgumentError);
        expect(() => T.layerNorm(T.zeros([2, 3], 'int32'), 3)).toThrow(/layerNorm: x must be float32, got int32/);
        expect(() => T.layerNorm(x, 3, { gamma: T.ones([2]) })).toThrow(
          /layerNorm: gamma of shape \[2\] does not match normalizedShape \[3\]/,
        );
        expect(() => T.layerNorm(x, 3, { beta: T.ones([3], 'int32') })).toThrow(/beta must be float32, got int32/);
        expect(() => T.layerNorm(x, 3, { epsilon: -1 })).toThrow(/epsilon must be a finite number >= 0, got -1/);
        expect(() => T.layerNorm(x, 3, { eps: 1e-3 } as never)).toThrow(/layerNorm: unknown option 'eps'/);
        expect(() => T.layerNorm([1, 2] as never, 2)).toThrow(/layerNorm: argument 1 \(x\) must be a Tensor/);
        expect(() => layerNormGrad(x, null, T.zeros([3, 2]), 1e-5)).toThrow(
          /layerNormGrad: dy must be float32 \[2,3\], got float32 of shape \[3,2\]/,
        );
      },
    },
  ];
}

export function registerLayerNorm(): void {
  registerCases('layerNorm', [...valueCases(), ...errorCases()]);
}
