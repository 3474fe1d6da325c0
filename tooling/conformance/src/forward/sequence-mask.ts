import * as T from '@tsdl/tensor';
import { expect } from 'vitest';
import { footprint } from '../tensor/helpers';
import { type Case, afterReadRejects, expectTensor, registerCases } from './harness';

/**
 * sequenceMask (tf.sequence_mask): known masks for 1-D and 2-D lengths, the
 * default maxLen (the longest length), other dtypes, empty lengths, and bad
 * lengths, which throw (or, computed on a device that cannot read
 * synchronously, make the next read reject) naming the op.
 */

const ints = (v: readonly number[], shape: readonly number[] = [v.length]): T.Tensor =>
  T.tensor(new Int32Array(v), shape, 'int32');

function maskCases(sync: boolean): Case[] {
  const cases: Case[] = [
    {
      name: 'sequenceMask of [1, 3, 0, 2]: maxLen defaults to the longest length',
      run: () => {
        expectTensor(T.sequenceMask(ints([1, 3, 0, 2])), [4, 3], 'bool', [1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0]);
        // A view's own longest length, not its storage's.
        expectTensor(T.sequenceMask(T.slice(ints([5, 1, 2, 6]), [1], [3])), [2, 2], 'bool', [1, 0, 1, 1]);
      },
    },
    {
      name: 'sequenceMask with maxLen 5, 2-D lengths, float32 and int32 masks',
      run: () => {
        expectTensor(T.sequenceMask(ints([2, 5]), 5), [2, 5], 'bool', [1, 1, 0, 0, 0, 1, 1, 1, 1, 1]);
        expectTensor(
          T.sequenceMask(ints([1, 0, 2, 2], [2, 2]), 3, 'float32'),
          [2, 2, 3],
          'float32',
          [1, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 0],
        );
        expectTensor(T.sequenceMask(ints([0, 1]), 2, 'int32'), [2, 2], 'int32', [0, 0, 1, 0]);
        expectTensor(T.sequenceMask(ints([3, 1]), 3), [2, 3], 'bool', [1, 1, 1, 1, 0, 0]);
      },
    },
    {
      name: 'sequenceMask of empty lengths, of all-zero lengths (maxLen 0), and a 0-d length',
      run: () => {
        expectTensor(T.sequenceMask(ints([])), [0, 0], 'bool', []);
        expectTensor(T.sequenceMask(ints([0, 0])), [2, 0], 'bool', []);
        expectTensor(T.sequenceMask(ints([2], []), 4), [4], 'bool', [1, 1, 0, 0]);
      },
    },
    {
      name: 'sequenceMask errors: non-int32 lengths, lengths below 0 or above maxLen, bad maxLen or dtype; nothing leaked',
      run: () => {
        const floats = T.tensor([1, 2]);
        const negative = ints([2, -1]);
        const long = ints([2, 6]);
        const ok = ints([1, 2]);
        const before = footprint();
        expect(() => T.sequenceMask(floats)).toThrow(/^sequenceMask: lengths must be int32, got float32/);
        expect(() => T.sequenceMask(negative)).toThrow(/^sequenceMask: length -1 at position 1 .* is outside \[0, 2\]/);
        expect(() => T.sequenceMask(long, 5)).toThrow(/^sequenceMask: length 6 at position 1 .* is outside \[0, 5\]/);
        expect(() => T.sequenceMask(ok, -1)).toThrow(/^sequenceMask: maxLen must be an integer >= 0, got -1/);
        expect(() => T.sequenceMask(ok, 2.5)).toThrow(T.ArgumentError);
        expect(() => T.sequenceMask(ok, 3, 'int8' as T.DType)).toThrow(T.DTypeError);
        expect(footprint(), 'tensors and bytes after the errors').toEqual(before);
      },
    },
  ];
  if (sync) {
    cases.push({
      name: 'sequenceMask of lengths computed on the device: maxLen read from them, a bad one throws at the call',
      run: () => {
        const lengths = T.add(ints([1, 2]), ints([1, 1]));
        expectTensor(T.sequenceMask(lengths), [2, 3], 'bool', [1, 1, 0, 1, 1, 1]);
        expect(() => T.sequenceMask(lengths, 2)).toThrow(/^sequenceMask: length 3 at position 1/);
      },
    });
  } else {
    cases.push({
      name: 'sequenceMask of lengths computed on the device: maxLen is required, and a bad length makes the read reject naming the op',
      run: () => {
        const lengths = T.add(ints([1, 2]), ints([1, 1]));
        expect(() => T.sequenceMask(lengths)).toThrow(/^sequenceMask: .*cannot read them synchronously; pass maxLen/);
        const mask = T.sequenceMask(lengths, 2);
        afterReadRejects(mask, (e) => {
          expect(e).toBeInstanceOf(T.ArgumentError);
          expect((e as Error).message).toMatch(/^sequenceMask: /);
        });
        expectTensor(T.sequenceMask(lengths, 3), [2, 3], 'bool', [1, 1, 0, 1, 1, 1]);
      },
    });
  }
  return cases;
}

export function registerSequenceMask(sync: boolean): void {
  registerCases('sequenceMask', maskCases(sync));
}
