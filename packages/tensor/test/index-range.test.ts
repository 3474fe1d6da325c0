import { describe, expect, it } from 'vitest';
import type { Backend, DataId, View } from '../src/backend';
import type { DType, TypedArray } from '../src/dtype';
import { makeTypedArray } from '../src/dtype';
import { wrap } from '../src/engine';
import { ArgumentError } from '../src/errors';
import { arange, tensor } from '../src/ops/creation';
import { checkIndexRange, valueBounds } from '../src/ops/index-range';
import { argmax } from '../src/ops/reduce';
import { gather, slice } from '../src/ops/shape';
import { softmaxCrossEntropy } from '../src/ops/softmax-ce';
import { sizeOf } from '../src/shape';

/**
 * The range bookkeeping of index and label checks, on a host-array backend with or
 * without `readSync`: without it (as WebGPU) checks must work from what the frontend
 * recorded when tensors were written from host data, and skip what it cannot know.
 */

/** A view's elements, row-major. */
function elements(store: Map<DataId, TypedArray>, v: View): number[] {
  const all = store.get(v.data) as TypedArray;
  const out: number[] = [];
  const walk = (d: number, p: number): void => {
    if (d === v.shape.length) out.push(all[p]);
    else for (let i = 0; i < v.shape[d]; i++) walk(d + 1, p + i * v.strides[d]);
  };
  walk(0, v.offset);
  return out;
}

/** A host backend with what these tests run: storage, gather and a reduce that only shapes its output. */
function hostBackend(name: string, sync: boolean): Backend & { reads: number } {
  const store = new Map<DataId, TypedArray>();
  const put = (a: TypedArray): DataId => {
    const id = {};
    store.set(id, a);
    return id;
  };
  const b = {
    name,
    reads: 0,
    write: (values: TypedArray) => put(values.slice()),
    read: (id: DataId) => Promise.resolve((store.get(id) as TypedArray).slice()),
    free: (id: DataId) => void store.delete(id),
    memory: () => ({ buffers: store.size, bytes: 0 }),
    gather(x: View, indices: View, axis: number): DataId {
      if (axis !== 0 || x.shape.length !== 1) throw new Error('test backend: 1-D gathers only');
      const src = elements(store, x);
      return put(Int32Array.from(elements(store, indices), (i) => src[i]));
    },
    reduce(_op: string, x: View, axes: number, outDtype: DType): DataId {
      return put(makeTypedArray(outDtype, sizeOf(x.shape.slice(0, x.shape.length - axes))));
    },
    readSync: sync
      ? (id: DataId) => {
          b.reads++;
          return (store.get(id) as TypedArray).slice();
        }
      : undefined,
  };
  return b as unknown as Backend & { reads: number };
}

const err = (v: number, at: number) => new ArgumentError(`bad ${v} at ${at}`);

describe('index ranges on a backend without readSync', () => {
  const backend = hostBackend('async', false);
  const int = (values: number[]) => tensor(Int32Array.from(values), [values.length], 'int32', { backend });

  it('remembers the range of int32 tensors written from host values, and not of float32 or device-made ones', () => {
    expect(valueBounds(int([3, -1, 7, 2]))).toEqual([-1, 7]);
    expect(valueBounds(tensor([[4, 9], [5, 6]], undefined, 'int32', { backend }))).toEqual([4, 9]);
    expect(valueBounds(arange(2, 12, 3, undefined, { backend }))).toEqual([2, 11]);
    // Fractions given as int32 are truncated before the range is taken.
    expect(valueBounds(tensor([0.5, 2.9], [2], 'int32', { backend }))).toEqual([0, 2]);
    expect(valueBounds(tensor([1, 2], [2], 'float32', { backend }))).toBeNull();
    expect(valueBounds(wrap(backend, backend.write(Int32Array.of(1, 2), 'int32'), [2], 'int32'))).toBeNull();
  });

  it('throws naming the first bad value and its position, read from the host copy', () => {
    const labels = int([0, 2, 5, 1, -3]);
    expect(() => checkIndexRange(labels, 3, err)).toThrow('bad 5 at 2');
    expect(() => checkIndexRange(slice(labels, [3], [5]), 3, err)).toThrow('bad -3 at 1');
    // A slice of the bad tensor holding only good values passes: its own values are checked.
    expect(checkIndexRange(slice(labels, [0], [2]), 3, err)).toBe('valid');
    expect(checkIndexRange(labels.reshape([5, 1]).transpose([1, 0]), 6, err, -3)).toBe('ignored');
  });

  it('softmaxCrossEntropy and gather throw ArgumentError naming the op and the value', () => {
    const logits = tensor(new Float32Array(12), [4, 3], 'float32', { backend });
    expect(() => softmaxCrossEntropy(logits, int([0, 1, 3, 2]))).toThrow(ArgumentError);
    expect(() => softmaxCrossEntropy(logits, int([0, 1, 3, 2]))).toThrow('softmaxCrossEntropy: label 3 at row 2 is out of range for 3 classes');
    expect(() => gather(int([5, 6, 7]), int([0, -1]))).toThrow('gather: index -1 is out of range for an axis of size 3');
  });

  it('checks a batch gathered through a permutation by its own values, computed on the host', () => {
    const labels = int([0, 1, 2, 9, 1, 0]);
    const order = int([5, 1, 0, 3, 2, 4]);
    const good = gather(labels, slice(order, [0], [3]));
    expect(valueBounds(good)).toEqual([0, 9]); // the source's range bounds it ...
    expect(checkIndexRange(good, 3, err)).toBe('valid'); // ... and its own values pass
    expect(() => checkIndexRange(gather(labels, slice(order, [2], [6])), 3, err)).toThrow('bad 9 at 1');
    // A gather of a gather: computed through both recipes.
    expect(() => checkIndexRange(gather(gather(labels, order), int([4, 3])), 3, err)).toThrow('bad 9 at 1');
  });

  it('keeps a copy of a caller-owned array, so changing it later changes no check', () => {
    const values = Int32Array.of(0, 7, 1);
    const labels = tensor(values, [3], 'int32', { backend });
    values[1] = 1;
    expect(() => checkIndexRange(labels, 3, err)).toThrow('bad 7 at 1');
  });

  it('knows argmax lies in [0, d - 1] for the reduced axis, or the whole size', () => {
    const x = tensor(new Float32Array(24), [2, 3, 4], 'float32', { backend });
    expect(valueBounds(argmax(x, 1))).toEqual([0, 2]);
    expect(valueBounds(argmax(x, -1, true))).toEqual([0, 3]);
    expect(valueBounds(argmax(x))).toEqual([0, 23]);
  });

  it('checks nothing where neither range nor values are known without a device read', () => {
    const computed = wrap(backend, backend.write(Int32Array.of(0, 8), 'int32'), [2], 'int32');
    expect(checkIndexRange(computed, 3, err)).toBe('unknown');
    // Gathered through unchecked indices, values need not come from the source: no range.
    expect(valueBounds(gather(int([1, 2, 3]), computed))).toBeNull();
    // Known bounds that fail without known values (argmax over 5 classes, checked against 3).
    const am = argmax(tensor(new Float32Array(10), [2, 5], 'float32', { backend }), 1);
    expect(checkIndexRange(am, 3, err)).toBe('unknown');
  });
});

describe('index ranges of tensors moved between backends', () => {
  it('keeps the range and values of a tensor moved with to() or toAsync() to a backend without readSync', async () => {
    const from = hostBackend('sync-source', true);
    const to = hostBackend('async-target', false);
    const labels = tensor(Int32Array.of(0, 5, 1), [3], 'int32', { backend: from });
    expect(() => checkIndexRange(labels.to(to), 3, err)).toThrow('bad 5 at 1');
    const moved = await labels.toAsync(to);
    expect(valueBounds(moved)).toEqual([0, 5]);
    expect(() => checkIndexRange(slice(moved, [1], [3]), 3, err)).toThrow('bad 5 at 0');
  });
});

describe('index ranges on a backend with readSync', () => {
  it('reads a host-written tensor for neither its range nor an in-range check, and reads to name a bad value', () => {
    const backend = hostBackend('sync', true);
    const labels = tensor(Int32Array.of(2, 0, 1), [3], 'int32', { backend });
    expect(checkIndexRange(labels, 3, err)).toBe('valid');
    expect(backend.reads).toBe(0);
    expect(() => checkIndexRange(labels, 2, err)).toThrow('bad 2 at 0');
    expect(backend.reads).toBe(1);
    const computed = wrap(backend, backend.write(Int32Array.of(0, 4, 1), 'int32'), [3], 'int32');
    expect(valueBounds(computed)).toEqual([0, 4]); // read once, then remembered
    expect(valueBounds(slice(computed, [1], [2]))).toEqual([0, 4]);
    expect(backend.reads).toBe(2);
  });
});
