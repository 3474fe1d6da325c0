import * as T from '@tsdl/tensor';
import { expect } from 'vitest';
import { type Case, expectTensor, registerCases } from './harness';

/** unstack: known answers on each axis and layout, size-0 and size-1 axes, errors. */

function unstackCases(): Case[] {
  return [
    {
      name: 'unstack known answer: [[1,2,3],[4,5,6]] on axis 0, 1 and -1',
      run: () => {
        const x = T.tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]);
        const rows = T.unstack(x);
        expect(rows.length).toBe(2);
        expectTensor(rows[0], [3], 'float32', [1, 2, 3]);
        expectTensor(rows[1], [3], 'float32', [4, 5, 6]);
        const cols = T.unstack(x, 1);
        expect(cols.length).toBe(3);
        cols.forEach((c, i) => expectTensor(c, [2], 'float32', [i + 1, i + 4]));
        expectTensor(T.unstack(x, -1)[2], [2], 'float32', [3, 6]);
      },
    },
    {
      name: 'unstack of a transposed int32 view and of a [1,...] and [0,...] axis',
      run: () => {
        const x = T.transpose(
          T.tensor(
            [
              [1, 2],
              [3, 4],
              [5, 6],
            ],
            [3, 2],
            'int32',
          ),
        );
        const parts = T.unstack(x, 0);
        expectTensor(parts[0], [3], 'int32', [1, 3, 5]);
        expectTensor(parts[1], [3], 'int32', [2, 4, 6]);
        const one = T.unstack(T.ones([1, 2]));
        expect(one.length).toBe(1);
        expectTensor(one[0], [2], 'float32', [1, 1]);
        expect(T.unstack(T.zeros([0, 3]))).toEqual([]);
      },
    },
    {
      name: 'unstack of 7 steps keeps every slice in order (halving tree)',
      run: () => {
        const x = T.reshape(T.arange(0, 14), [7, 2]);
        T.unstack(x).forEach((s, i) => expectTensor(s, [2], 'int32', [2 * i, 2 * i + 1]));
      },
    },
    {
      name: 'unstack errors: axis out of range, a 0-d tensor, a non-tensor (naming unstack)',
      run: () => {
        expect(() => T.unstack(T.zeros([2, 3]), 2)).toThrow(/^unstack: axis 2/);
        expect(() => T.unstack(T.scalar(1))).toThrow(T.AxisError);
        expect(() => T.unstack([1, 2] as never)).toThrow(/^unstack: argument 1 \(x\) must be a Tensor/);
      },
    },
  ];
}

export function registerUnstack(): void {
  registerCases('unstack', unstackCases());
}
