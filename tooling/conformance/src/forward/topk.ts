import * as T from '@tsdl/tensor';
import type { DType } from '@tsdl/tensor';
import { expect } from 'vitest';
import { type Case, type Layout, expectTensor, fmt, input, registerCases } from './harness';
import { type Ref, ravel, unravel } from './reference';

/**
 * topk against a stable sort on the host: largest or smallest first, ties
 * lower index first, NaN larger than every number (PyTorch's order), any axis
 * and layout, lengths around powers of two (the sort network pads to one),
 * int32 data with many ties, k = 0 and k = n.
 */

/** Whether a comes before b (values; ties are left to the stable sort). */
function cmp(a: number, b: number, largest: boolean): number {
  const na = Number.isNaN(a);
  const nb = Number.isNaN(b);
  if (na || nb) return na && nb ? 0 : (na ? -1 : 1) * (largest ? 1 : -1);
  return largest ? b - a : a - b;
}

function refTopk(x: Ref, k: number, axis: number, largest: boolean): { values: Ref; indices: Ref } {
  const shape = x.shape.slice();
  shape[axis] = k;
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Array<number>(size);
  const indices = new Array<number>(size);
  for (let i = 0; i < size; i++) {
    const idx = unravel(i, shape);
    const row = Array.from({ length: x.shape[axis] }, (_, j) => j);
    const at = (j: number): number =>
      x.data[
        ravel(
          idx.map((p, d) => (d === axis ? j : p)),
          x.shape,
        )
      ];
    row.sort((a, b) => cmp(at(a), at(b), largest) || a - b);
    indices[i] = row[idx[axis]];
    values[i] = at(indices[i]);
  }
  return { values: { shape, data: values }, indices: { shape, data: indices } };
}

const TOPKS: readonly {
  shape: readonly number[];
  k: number;
  axis?: number;
  largest?: boolean;
  layout?: Layout;
  dtype?: DType;
}[] = [
  { shape: [7], k: 3 },
  { shape: [2, 5], k: 5 },
  { shape: [2, 5], k: 2, largest: false },
  { shape: [3, 4], k: 2, axis: 0 },
  { shape: [2, 3, 4], k: 2, axis: 1, layout: 'transposed' },
  { shape: [3, 6], k: 4, layout: 'sliced', largest: false },
  { shape: [3, 5], k: 3, layout: 'broadcast' },
  { shape: [2, 16], k: 7 },
  { shape: [1, 33], k: 33 },
  { shape: [2, 33], k: 9, largest: false },
  { shape: [4, 9], k: 9, dtype: 'int32' },
  { shape: [3, 11], k: 5, dtype: 'int32', largest: false, layout: 'transposed' },
  { shape: [3, 1], k: 1 },
  { shape: [3, 37], k: 1 },
  { shape: [2, 100], k: 3, dtype: 'int32' },
  { shape: [2, 100], k: 5, largest: false, layout: 'sliced' },
  { shape: [2, 4], k: 0 },
  { shape: [0, 4], k: 2 },
];

function topkCases(): Case[] {
  const cases: Case[] = TOPKS.map((c, n) => {
    const dtype = c.dtype ?? 'float32';
    const largest = c.largest ?? true;
    return {
      name: `topk ${dtype} ${fmt(c.shape)}${c.layout ? ` ${c.layout}` : ''} k ${c.k} axis ${c.axis ?? -1} ${largest ? 'largest' : 'smallest'}`,
      run: () => {
        const x = input(c.shape, dtype, 3300 + n, c.layout);
        const axis = c.axis ?? c.shape.length - 1;
        const { values, indices } = T.topk(x.t, c.k, { axis: c.axis, largest });
        const ref = refTopk(x.ref, c.k, axis, largest);
        expectTensor(values, ref.values.shape, dtype, ref.values.data, { atol: 0, rtol: 0 }, 'values');
        expectTensor(indices, ref.indices.shape, 'int32', ref.indices.data, undefined, 'indices');
      },
    };
  });
  cases.push(
    {
      name: 'topk known answers: ties lower index first, NaN first when largest and last when smallest, -Infinity kept',
      run: () => {
        const x = T.tensor([
          [3, 1, 3, NaN, 2, -Infinity],
          [0, 0, 1, -1, 5, 0],
        ]);
        const big = T.topk(x, 4);
        expectTensor(big.values, [2, 4], 'float32', [NaN, 3, 3, 2, 5, 1, 0, 0], { atol: 0, rtol: 0 });
        expectTensor(big.indices, [2, 4], 'int32', [3, 0, 2, 4, 4, 2, 0, 1]);
        const small = T.topk(x, 6, { largest: false });
        expectTensor(small.values, [2, 6], 'float32', [-Infinity, 1, 2, 3, 3, NaN, -1, 0, 0, 0, 1, 5], {
          atol: 0,
          rtol: 0,
        });
        expectTensor(small.indices, [2, 6], 'int32', [5, 1, 4, 0, 2, 3, 3, 0, 1, 5, 2, 4]);
        const all = T.topk(T.tensor([-Infinity, -Infinity, -Infinity]), 3);
        expectTensor(all.indices, [3], 'int32', [0, 1, 2]);
      },
    },
    {
      name: 'topk over every n from 1 to 24 and k of 1, about n/3 and n (int32, many ties), largest and smallest',
      run: () => {
        for (let n = 1; n <= 24; n++) {
          for (const k of new Set([1, Math.max(1, Math.round(n / 3)), n])) {
            for (const largest of [true, false]) {
              const x = input([2, n], 'int32', 3400 + n);
              const ref = refTopk(x.ref, k, 1, largest);
              const { values, indices } = T.topk(x.t, k, { largest });
              expectTensor(
                values,
                ref.values.shape,
                'int32',
                ref.values.data,
                undefined,
                `values n ${n} k ${k} ${largest}`,
              );
              expectTensor(
                indices,
                ref.indices.shape,
                'int32',
                ref.indices.data,
                undefined,
                `indices n ${n} k ${k} ${largest}`,
              );
            }
          }
        }
      },
    },
    {
      name: 'topk errors: k out of range or not an integer, bool data, bad axis, scalar, unknown option',
      run: () => {
        const x = T.zeros([2, 3]);
        expect(() => T.topk(x, 4)).toThrow(/^topk: k must be an integer from 0 to 3/);
        expect(() => T.topk(x, -1)).toThrow(T.ArgumentError);
        expect(() => T.topk(x, 1.5)).toThrow(T.ArgumentError);
        expect(() => T.topk(x, 3, { axis: 0 })).toThrow(/from 0 to 2/);
        expect(() => T.topk(T.zeros([3], 'bool'), 1)).toThrow(T.DTypeError);
        expect(() => T.topk(x, 1, { axis: 2 })).toThrow(/^topk: axis 2/);
        expect(() => T.topk(T.scalar(1), 1)).toThrow(T.ShapeError);
        expect(() => T.topk(x, 1, { dim: 0 } as T.TopkOptions)).toThrow(/^topk: unknown option 'dim'/);
        expect(() => T.topk(x, 1, { largest: 'no' } as unknown as T.TopkOptions)).toThrow(T.ArgumentError);
      },
    },
  );
  return cases;
}

export function registerTopk(): void {
  registerCases('topk', topkCases());
}
