import * as T from '@tsdl/tensor';
import type { DType } from '@tsdl/tensor';
import { expect } from 'vitest';
import { type Case, type Layout, expectRef, expectTensor, fmt, input, registerCases } from './harness';
import { type Ref, unravel } from './reference';

/** tril and triu against index arithmetic: diagonals above, on and below the main one, batches, layouts and dtypes. */

function refTriangle(x: Ref, k: number, lower: boolean): Ref {
  const r = x.shape.length;
  return {
    shape: x.shape.slice(),
    data: x.data.map((v, i) => {
      const idx = unravel(i, x.shape);
      const d = idx[r - 1] - idx[r - 2];
      return (lower ? d <= k : d >= k) ? v : 0;
    }),
  };
}

const TRIANGLES: readonly { shape: readonly number[]; k: number; layout?: Layout; dtype?: DType }[] = [
  { shape: [3, 4], k: 0 },
  { shape: [4, 3], k: 1 },
  { shape: [4, 3], k: -1 },
  { shape: [3, 3], k: 5 },
  { shape: [3, 3], k: -5 },
  { shape: [2, 3, 3], k: 0, layout: 'transposed' },
  { shape: [2, 1, 3, 2], k: -1, layout: 'sliced' },
  { shape: [3, 4, 4], k: 2, layout: 'broadcast' },
  { shape: [3, 4], k: 0, dtype: 'int32' },
  { shape: [4, 4], k: 1, dtype: 'bool', layout: 'transposed' },
  { shape: [0, 3], k: 0 },
  { shape: [2, 0, 2], k: 0 },
];

function triangleCases(): Case[] {
  const cases: Case[] = [];
  TRIANGLES.forEach((c, n) => {
    for (const op of ['tril', 'triu'] as const) {
      cases.push({
        name: `${op} ${c.dtype ?? 'float32'} ${fmt(c.shape)}${c.layout ? ` ${c.layout}` : ''} k ${c.k}`,
        run: () => {
          const x = input(c.shape, c.dtype ?? 'float32', 3200 + n, c.layout);
          expectRef(T[op](x.t, c.k), refTriangle(x.ref, c.k, op === 'tril'), c.dtype ?? 'float32');
        },
      });
    }
  });
  cases.push(
    {
      name: 'tril and triu known answers on a 3x3 of ones (causal mask shapes)',
      run: () => {
        const x = T.ones([3, 3]);
        expectTensor(T.tril(x), [3, 3], 'float32', [1, 0, 0, 1, 1, 0, 1, 1, 1]);
        expectTensor(T.triu(x, 1), [3, 3], 'float32', [0, 1, 1, 0, 0, 1, 0, 0, 0]);
        expectTensor(T.tril(T.ones([2, 2], 'bool'), -1), [2, 2], 'bool', [0, 0, 1, 0]);
      },
    },
    {
      name: 'tril and triu errors: rank below 2 (ShapeError), non-integer k (ArgumentError)',
      run: () => {
        expect(() => T.tril(T.zeros([3]))).toThrow(/^tril: needs a tensor of rank >= 2/);
        expect(() => T.triu(T.scalar(1))).toThrow(T.ShapeError);
        expect(() => T.triu(T.zeros([2, 2]), 0.5)).toThrow(/^triu: diagonal k must be an integer/);
      },
    },
  );
  return cases;
}

export function registerTriangular(): void {
  registerCases('tril and triu', triangleCases());
}
