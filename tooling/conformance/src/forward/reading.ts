import * as T from '@tsdl/tensor';
import type { Tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { type Layout, input } from './harness';
import type { Ref } from './reference';

/**
 * Reading values back: data(), array(), dataSync() and arraySync() agree
 * with each other and with the logical values, on views (offsets, strides,
 * stride 0), 0-d and size-0 tensors, in every dtype. A backend without
 * readSync (WebGPU) must refuse the synchronous reads with the documented
 * BackendError instead.
 */

/** Nested JS arrays of a reference, booleans for bool (what array() returns). */
function nested(r: Ref, bool: boolean): unknown {
  const conv = (v: number) => (bool ? v !== 0 : v);
  if (r.shape.length === 0) return conv(r.data[0]);
  const build = (axis: number, prefix: number[]): unknown[] =>
    Array.from({ length: r.shape[axis] }, (_, i) => {
      const idx = [...prefix, i];
      if (axis === r.shape.length - 1) {
        let p = 0;
        for (let d = 0; d < idx.length; d++) p = p * r.shape[d] + idx[d];
        return conv(r.data[p]);
      }
      return build(axis + 1, idx);
    });
  return build(0, []);
}

const ARRAY_TYPE = { float32: Float32Array, int32: Int32Array, bool: Uint8Array } as const;

const CASES: readonly { shape: readonly number[]; dtype: 'float32' | 'int32' | 'bool'; layout: Layout }[] = [
  { shape: [2, 3], dtype: 'float32', layout: 'contiguous' },
  { shape: [2, 3, 2], dtype: 'int32', layout: 'transposed' },
  { shape: [3, 2], dtype: 'bool', layout: 'sliced' },
  { shape: [3, 2, 2], dtype: 'float32', layout: 'broadcast' },
  { shape: [], dtype: 'float32', layout: 'contiguous' },
  { shape: [], dtype: 'bool', layout: 'contiguous' },
  { shape: [2, 0], dtype: 'int32', layout: 'contiguous' },
  { shape: [4], dtype: 'float32', layout: 'sliced' },
];

/** The error a backend without readSync gives for every synchronous read (tensor.ts, dataSync). */
const NO_SYNC = /^dataSync: backend '.+' cannot read synchronously; use await t\.data\(\)$/;

/** `sync`: whether the backend under test has readSync (dataSync, arraySync and item work only there). */
export function registerReading(sync: boolean): void {
  describe('reading values', () => {
    it.each(CASES)(
      `data${sync ? ', array, dataSync and arraySync agree' : ' and array give the values'} on $dtype $shape $layout`,
      async ({ shape, dtype, layout }) => {
        // tidy frees the layout's intermediates; x itself outlives the awaits below and is disposed by hand.
        let expected: Ref = { shape: [], data: [] };
        const x = T.tidy(() => {
          const made = input(shape, dtype, 1900, layout);
          expected = made.ref;
          return made.t;
        });
        try {
          const async = await x.data();
          expect(async).toBeInstanceOf(ARRAY_TYPE[dtype]);
          expect(Array.from(async as ArrayLike<number>)).toEqual(expected.data);
          expect(await x.array()).toEqual(nested(expected, dtype === 'bool'));
          if (sync) {
            const values = x.dataSync();
            expect(values).toBeInstanceOf(ARRAY_TYPE[dtype]);
            expect(Array.from(values as ArrayLike<number>)).toEqual(expected.data);
            expect(x.arraySync()).toEqual(nested(expected, dtype === 'bool'));
            if (expected.data.length === 1) expect(x.item()).toBe(expected.data[0]);
          }
        } finally {
          x.dispose();
        }
      },
    );

    it('data() returns a copy: writing to it leaves the tensor unchanged', async () => {
      const x = T.tensor([1, 2, 3]);
      try {
        (await x.data())[1] = 99;
        if (sync) (x.dataSync() as Float32Array)[0] = 99;
        expect(Array.from(await x.data())).toEqual([1, 2, 3]);
      } finally {
        x.dispose();
      }
    });

    it('item() needs exactly one element; reading a disposed tensor throws DisposedError', async () => {
      const x = T.tensor([1, 2]);
      expect(() => x.item()).toThrow(T.ShapeError);
      x.dispose();
      expect(() => x.dataSync()).toThrow(T.DisposedError);
      await expect(x.data()).rejects.toThrow(T.DisposedError);
    });

    it('a view reads its own elements, not its whole storage', async () => {
      const base = T.tensor(
        Array.from({ length: 12 }, (_, i) => i),
        [3, 4],
      );
      const v: Tensor = T.slice(base, [1, 1], [3, 3]);
      try {
        expect(Array.from(await v.data())).toEqual([5, 6, 9, 10]);
        expect(await v.array()).toEqual([
          [5, 6],
          [9, 10],
        ]);
        if (sync) {
          expect(Array.from(v.dataSync())).toEqual([5, 6, 9, 10]);
          expect(v.arraySync()).toEqual([
            [5, 6],
            [9, 10],
          ]);
        }
      } finally {
        T.dispose([base, v]);
      }
    });

    if (!sync) {
      it('dataSync, arraySync and item throw a BackendError that says to await t.data()', () => {
        T.tidy(() => {
          for (const t of [T.tensor([1.5, 2]), T.scalar(3), T.transpose(T.tensor([[1, 2]]))]) {
            expect(() => t.dataSync()).toThrow(T.BackendError);
            expect(() => t.dataSync()).toThrow(NO_SYNC);
            expect(() => t.arraySync()).toThrow(NO_SYNC);
            if (t.size === 1) expect(() => t.item()).toThrow(NO_SYNC);
          }
        });
      });
    }
  });
}
