import { arange, reshape, tensor, tidy, transpose, zeros } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context';

/**
 * toString prints like NumPy's repr: aligned columns, `1.` for integral
 * floats, nested rows on new lines, and past 1000 elements 3 entries each side
 * of "..." per axis. It reads synchronously; other backends print metadata.
 */
const CASES: [string, () => string, string][] = [
  ['a float32 scalar', () => tensor(3.5).toString(), 'Tensor(3.5, shape=[], dtype=float32)'],
  ['an int32 scalar', () => tensor(7, [], 'int32').toString(), 'Tensor(7, shape=[], dtype=int32)'],
  ['integral floats', () => tensor([1, 2, 3]).toString(), 'Tensor([1., 2., 3.], shape=[3], dtype=float32)'],
  [
    'a 2-D float32 with aligned decimal points',
    () =>
      tensor([
        [1.5, 2],
        [3, -4],
      ]).toString(),
    'Tensor([[ 1.5,  2. ],\n [ 3. , -4. ]], shape=[2,2], dtype=float32)',
  ],
  [
    'a 2-D int32',
    () =>
      tensor(
        [
          [1, 20],
          [-3, 4],
        ],
        undefined,
        'int32',
      ).toString(),
    'Tensor([[ 1, 20],\n [-3,  4]], shape=[2,2], dtype=int32)',
  ],
  ['bool', () => tensor([true, false]).toString(), 'Tensor([ true, false], shape=[2], dtype=bool)'],
  [
    'nan and infinities',
    () => tensor([NaN, Infinity, -Infinity, 0.5]).toString(),
    'Tensor([ nan,  inf, -inf,  0.5], shape=[4], dtype=float32)',
  ],
  [
    'float32 values at 4 significant digits',
    () => tensor([0.1, 1 / 3]).toString(),
    'Tensor([0.1   , 0.3333], shape=[2], dtype=float32)',
  ],
  [
    'a 3-D int32 with blank lines between blocks',
    () => reshape(arange(8), [2, 2, 2]).toString(),
    'Tensor([[[0, 1],\n  [2, 3]],\n\n [[4, 5],\n  [6, 7]]], shape=[2,2,2], dtype=int32)',
  ],
  [
    'a transposed view, in logical order',
    () =>
      transpose(
        tensor(
          [
            [1, 2, 3],
            [4, 5, 6],
          ],
          undefined,
          'int32',
        ),
      ).toString(),
    'Tensor([[1, 4],\n [2, 5],\n [3, 6]], shape=[3,2], dtype=int32)',
  ],
  ['an empty tensor', () => zeros([2, 0]).toString(), 'Tensor([[],\n []], shape=[2,0], dtype=float32)'],
  [
    'a large 1-D tensor elided',
    () => arange(2000).toString(),
    'Tensor([   0,    1,    2, ..., 1997, 1998, 1999], shape=[2000], dtype=int32)',
  ],
  [
    'a large 2-D tensor elided on both axes',
    () => reshape(arange(10000), [100, 100]).toString(),
    'Tensor([[   0,    1,    2, ...,   97,   98,   99],\n' +
      ' [ 100,  101,  102, ...,  197,  198,  199],\n' +
      ' [ 200,  201,  202, ...,  297,  298,  299],\n' +
      ' ...,\n' +
      ' [9700, 9701, 9702, ..., 9797, 9798, 9799],\n' +
      ' [9800, 9801, 9802, ..., 9897, 9898, 9899],\n' +
      ' [9900, 9901, 9902, ..., 9997, 9998, 9999]], shape=[100,100], dtype=int32)',
  ],
];

export function registerFormat(ctx: ConformanceContext): void {
  describe('toString', () => {
    if (ctx.sync) {
      for (const [name, make, want] of CASES) {
        it(name, () => {
          expect(tidy(() => make())).toBe(want);
        });
      }
    } else {
      it('prints metadata on a backend without synchronous reads', () => {
        const t = zeros([2, 3]);
        expect(t.toString()).toMatch(/^Tensor\(shape=\[2,3\], dtype=float32, backend=.+\)$/);
        t.dispose();
      });
    }
    it('a disposed tensor prints as disposed', () => {
      const t = zeros([2]);
      t.dispose();
      expect(t.toString()).toBe('Tensor(disposed, shape=[2], dtype=float32)');
    });
  });
}
