import * as T from '@tsdl/tensor';
import type { DType } from '@tsdl/tensor';
import { expect } from 'vitest';
import { type Case, type Layout, expectRef, expectTensor, fmt, input, registerCases } from './harness';
import { type Ref, gatherBy } from './reference';

/** flip against index arithmetic, on every layout and dtype, several and all axes, size-0, size-1 and 0-d. */

function refFlip(x: Ref, axes: readonly number[]): Ref {
  return gatherBy(x, x.shape, (o) => o.map((v, d) => (axes.includes(d) ? x.shape[d] - 1 - v : v)));
}

const FLIPS: readonly {
  shape: readonly number[];
  axes?: number | readonly number[];
  layout?: Layout;
  dtype?: DType;
}[] = [
  { shape: [5], axes: 0 },
  { shape: [2, 3], axes: [1] },
  { shape: [2, 3], axes: [0, 1] },
  { shape: [2, 3, 4], axes: [-1, 0] },
  { shape: [2, 3, 4], axes: 1, layout: 'transposed' },
  { shape: [3, 4], axes: [0, 1], layout: 'sliced' },
  { shape: [3, 2], axes: 0, layout: 'broadcast' },
  { shape: [2, 3, 2] },
  { shape: [4, 3], axes: 1, dtype: 'int32', layout: 'transposed' },
  { shape: [2, 5], axes: -1, dtype: 'bool' },
  { shape: [1, 4], axes: [0] },
  { shape: [0, 3], axes: [0, 1] },
  { shape: [], axes: [] },
];

function flipCases(): Case[] {
  const cases: Case[] = FLIPS.map((c, k) => ({
    name: `flip ${c.dtype ?? 'float32'} ${fmt(c.shape)}${c.layout ? ` ${c.layout}` : ''} axes ${JSON.stringify(c.axes ?? 'all')}`,
    run: () => {
      const x = input(c.shape, c.dtype ?? 'float32', 3100 + k, c.layout);
      const r = c.shape.length;
      const axes =
        c.axes === undefined
          ? c.shape.map((_, i) => i)
          : (typeof c.axes === 'number' ? [c.axes] : c.axes).map((a) => (a < 0 ? a + r : a));
      expectRef(T.flip(x.t, c.axes), refFlip(x.ref, axes), c.dtype ?? 'float32');
    },
  }));
  cases.push(
    {
      name: 'flip known answer: [[1,2,3],[4,5,6]] on axis 1 and on both axes; the input is unchanged',
      run: () => {
        const x = T.tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]);
        expectTensor(T.flip(x, 1), [2, 3], 'float32', [3, 2, 1, 6, 5, 4]);
        expectTensor(T.flip(x), [2, 3], 'float32', [6, 5, 4, 3, 2, 1]);
        expectTensor(x, [2, 3], 'float32', [1, 2, 3, 4, 5, 6]);
      },
    },
    {
      name: 'flip errors: axis out of range and repeated axes (AxisError naming flip)',
      run: () => {
        const x = T.zeros([2, 3]);
        expect(() => T.flip(x, 2)).toThrow(/^flip: axis 2/);
        expect(() => T.flip(x, [0, -2])).toThrow(T.AxisError);
        expect(() => T.flip(x, [1, 1])).toThrow(/^flip: axis 1 appears more than once/);
      },
    },
  );
  return cases;
}

export function registerFlip(): void {
  registerCases('flip', flipCases());
}
