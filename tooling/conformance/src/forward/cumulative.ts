import * as T from '@tsdl/tensor';
import type { DType } from '@tsdl/tensor';
import { expect } from 'vitest';
import { footprint } from '../tensor/helpers';
import { type Case, type Layout, expectRef, expectTensor, fmt, input, registerCases } from './harness';
import { type Ref, ravel, unravel } from './reference';

/**
 * cumsum and cumprod (with TensorFlow's exclusive and reverse) against a
 * float64 running sum or product, on every layout, lengths that are and are
 * not powers of two (the scan's steps), size-0 and 0-d inputs, and the dtype
 * rule (bool and int32 accumulate in int32).
 */

function refScan(x: Ref, axis: number, kind: 'sum' | 'prod', exclusive: boolean, reverse: boolean): Ref {
  const data = new Array<number>(x.data.length);
  const n = x.shape.length === 0 ? 1 : x.shape[axis];
  for (let i = 0; i < data.length; i++) {
    const idx = x.shape.length === 0 ? [] : unravel(i, x.shape);
    const at = x.shape.length === 0 ? 0 : idx[axis];
    let acc = kind === 'sum' ? 0 : 1;
    for (let j = 0; j < n; j++) {
      const included = reverse ? (exclusive ? j > at : j >= at) : exclusive ? j < at : j <= at;
      if (!included) continue;
      const v =
        x.shape.length === 0
          ? x.data[0]
          : x.data[
              ravel(
                idx.map((p, d) => (d === axis ? j : p)),
                x.shape,
              )
            ];
      acc = kind === 'sum' ? acc + v : acc * v;
    }
    data[i] = acc;
  }
  return { shape: x.shape.slice(), data };
}

interface ScanCase {
  shape: readonly number[];
  axis: number;
  layout?: Layout;
  dtype?: DType;
}

const SCANS: readonly ScanCase[] = [
  { shape: [2, 5], axis: 1 },
  { shape: [3, 4], axis: 0 },
  { shape: [9], axis: 0 },
  { shape: [16], axis: -1 },
  { shape: [3, 4, 2], axis: -2, layout: 'transposed' },
  { shape: [2, 7], axis: 1, layout: 'sliced' },
  { shape: [3, 5], axis: 0, layout: 'broadcast' },
  { shape: [1, 3], axis: 0 },
  { shape: [0, 3], axis: 0 },
  { shape: [2, 0], axis: 1 },
  { shape: [], axis: 0 },
  { shape: [], axis: -1 },
];

/** Integer cases stay short: a product of 6 values in [-5, 5] fits int32. */
const INT_SCANS: readonly ScanCase[] = [
  { shape: [2, 6], axis: 1, dtype: 'int32' },
  { shape: [5, 2], axis: 0, dtype: 'int32', layout: 'transposed' },
  { shape: [2, 6], axis: -1, dtype: 'bool' },
  { shape: [4, 3], axis: 0, dtype: 'bool', layout: 'sliced' },
];

const FLAGS: readonly T.CumulativeOptions[] = [
  {},
  { exclusive: true },
  { reverse: true },
  { exclusive: true, reverse: true },
];

const flagText = (o: T.CumulativeOptions): string =>
  Object.keys(o).length === 0 ? 'inclusive' : Object.keys(o).join('+');

function scanCases(): Case[] {
  const cases: Case[] = [];
  [...SCANS, ...INT_SCANS].forEach((c, k) => {
    const dtype = c.dtype ?? 'float32';
    const outType: DType = dtype === 'float32' ? 'float32' : 'int32';
    for (const kind of ['sum', 'prod'] as const) {
      for (const flags of FLAGS) {
        cases.push({
          name: `cum${kind} ${dtype} ${fmt(c.shape)}${c.layout ? ` ${c.layout}` : ''} axis ${c.axis} ${flagText(flags)}`,
          run: () => {
            // Products of float values near 1 in magnitude stay well inside float32's range.
            const x = input(c.shape, dtype, 3000 + k, c.layout);
            const axis = c.shape.length === 0 ? 0 : c.axis < 0 ? c.axis + c.shape.length : c.axis;
            const out = kind === 'sum' ? T.cumsum(x.t, c.axis, flags) : T.cumprod(x.t, c.axis, flags);
            expectRef(out, refScan(x.ref, axis, kind, flags.exclusive ?? false, flags.reverse ?? false), outType);
          },
        });
      }
    }
  });
  cases.push(
    {
      name: 'cumsum and cumprod known answers: TensorFlow exclusive/reverse examples',
      run: () => {
        const x = T.tensor([1, 2, 3]);
        expectTensor(T.cumsum(x, 0), [3], 'float32', [1, 3, 6]);
        expectTensor(T.cumsum(x, 0, { exclusive: true }), [3], 'float32', [0, 1, 3]);
        expectTensor(T.cumsum(x, 0, { reverse: true }), [3], 'float32', [6, 5, 3]);
        expectTensor(T.cumsum(x, 0, { exclusive: true, reverse: true }), [3], 'float32', [5, 3, 0]);
        expectTensor(T.cumprod(T.tensor([2, 3, 4]), 0, { exclusive: true }), [3], 'float32', [1, 2, 6]);
        expectTensor(T.cumprod(T.tensor([2, 0, 4]), 0, { reverse: true }), [3], 'float32', [0, 0, 4]);
        expectTensor(T.cumsum(T.tensor([true, false, true, true]), 0), [4], 'int32', [1, 1, 2, 3]);
      },
    },
    {
      name: 'cumsum of 1000 ones along a row is exact (1..1000), and a 0-d tensor is its own cumsum',
      run: () => {
        expectTensor(T.cumsum(T.ones([2, 1000]), 1), [2, 1000], 'float32', [
          ...Array.from({ length: 1000 }, (_, i) => i + 1),
          ...Array.from({ length: 1000 }, (_, i) => i + 1),
        ]);
        expectTensor(T.cumsum(T.scalar(4), 0), [], 'float32', [4]);
        expectTensor(T.cumsum(T.scalar(4), 0, { exclusive: true }), [], 'float32', [0]);
      },
    },
    {
      name: 'cumsum and cumprod errors: bad axis (AxisError), unknown or non-boolean options (ArgumentError), nothing leaked',
      run: () => {
        const x = T.zeros([2, 3]);
        const s = T.scalar(1);
        const before = footprint();
        expect(() => T.cumsum(x, 2)).toThrow(T.AxisError);
        expect(() => T.cumsum(x, 2)).toThrow(/^cumsum: axis 2/);
        expect(() => T.cumprod(x, -3)).toThrow(/^cumprod: axis -3/);
        expect(() => T.cumsum(x, 1.5)).toThrow(T.AxisError);
        expect(() => T.cumsum(s, 1)).toThrow(T.AxisError);
        expect(() => T.cumsum(x, 0, { revers: true } as T.CumulativeOptions)).toThrow(
          /^cumsum: unknown option 'revers'/,
        );
        expect(() => T.cumprod(x, 0, { exclusive: 1 } as unknown as T.CumulativeOptions)).toThrow(T.ArgumentError);
        expect(footprint(), 'tensors and bytes after the errors').toEqual(before);
      },
    },
  );
  return cases;
}

export function registerCumulative(): void {
  registerCases('cumsum and cumprod', scanCases());
}
