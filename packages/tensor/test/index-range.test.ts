import { describe, expect, it } from 'vitest';
import type { Backend, DataId, View } from '../src/backend';
import type { DType, TypedArray } from '../src/dtype';
import { makeTypedArray } from '../src/dtype';
import { wrap } from '../src/engine';
import { ArgumentError } from '../src/errors';
import { arange, tensor } from '../src/ops/creation';
import { checkIndexRange, valueBounds } from '../src/ops/index-range';
import { argmax } from '../src/ops/reduce';
import { gather, oneHot, slice } from '../src/ops/shape';
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

interface DeviceCheck {
  values: number[];
  size: number;
  op: string;
  ignore?: number;
}

/**
 * A host backend with what these tests run: storage, gather and a reduce that only shapes
 * its output; and a checkIndices that records each call and, as the contract allows, throws
 * at once for a bad value (a GPU reports it at the next read instead).
 */
function hostBackend(name: string, sync: boolean): Backend & { reads: number; checks: DeviceCheck[] } {
  const store = new Map<DataId, TypedArray>();
  const put = (a: TypedArray): DataId => {
    const id = {};
    store.set(id, a);
    return id;
  };
  const b = {
    name,
    reads: 0,
    checks: [] as DeviceCheck[],
    checkIndices(indices: View, size: number, op: string, ignore?: number): void {
      const values = elements(store, indices);
      b.checks.push(ignore === undefined ? { values, size, op } : { values, size, op, ignore });
      const bad = values.find((v) => v !== ignore && !(v >= 0 && v < size));
      if (bad !== undefined) throw new ArgumentError(`${op}: device check found ${bad}`);
    },
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
  return b as unknown as Backend & { reads: number; checks: DeviceCheck[] };
}

const err = (v: number, at: number) => new ArgumentError(`bad ${v} at ${at}`);
/** Options of a check whose kernel would report bad indices itself: nothing runs on the device. */
const HOST_ONLY = { deviceCheck: null };

describe('index ranges on a backend without readSync', () => {
  const backend = hostBackend('async', false);
  const int = (values: number[]) => tensor(Int32Array.from(values), [values.length], 'int32', { backend });

  it('remembers the range of int32 tensors written from host values, and not of float32 or device-made ones', () => {
    expect(valueBounds(int([3, -1, 7, 2]))).toEqual([-1, 7]);
    expect(
      valueBounds(
        tensor(
          [
            [4, 9],
            [5, 6],
          ],
          undefined,
          'int32',
          { backend },
        ),
      ),
    ).toEqual([4, 9]);
    expect(valueBounds(arange(2, 12, 3, undefined, { backend }))).toEqual([2, 11]);
    // Fractions given as int32 are truncated before the range is taken.
    expect(valueBounds(tensor([0.5, 2.9], [2], 'int32', { backend }))).toEqual([0, 2]);
    expect(valueBounds(tensor([1, 2], [2], 'float32', { backend }))).toBeNull();
    expect(valueBounds(wrap(backend, backend.write(Int32Array.of(1, 2), 'int32'), [2], 'int32'))).toBeNull();
  });

  it('throws naming the first bad value and its position, read from the host copy', () => {
    const labels = int([0, 2, 5, 1, -3]);
    expect(() => checkIndexRange(labels, 3, err, HOST_ONLY)).toThrow('bad 5 at 2');
    expect(() => checkIndexRange(slice(labels, [3], [5]), 3, err, HOST_ONLY)).toThrow('bad -3 at 1');
    // A slice of the bad tensor holding only good values passes: its own values are checked.
    expect(checkIndexRange(slice(labels, [0], [2]), 3, err, HOST_ONLY)).toBe('valid');
    expect(checkIndexRange(labels.reshape([5, 1]).transpose([1, 0]), 6, err, { ignore: -3, deviceCheck: null })).toBe(
      'ignored',
    );
  });

  it('softmaxCrossEntropy and gather throw ArgumentError naming the op and the value', () => {
    const logits = tensor(new Float32Array(12), [4, 3], 'float32', { backend });
    expect(() => softmaxCrossEntropy(logits, int([0, 1, 3, 2]))).toThrow(ArgumentError);
    expect(() => softmaxCrossEntropy(logits, int([0, 1, 3, 2]))).toThrow(
      'softmaxCrossEntropy: label 3 at row 2 is out of range for 3 classes',
    );
    expect(() => gather(int([5, 6, 7]), int([0, -1]))).toThrow(
      'gather: index -1 is out of range for an axis of size 3',
    );
  });

  it('checks a batch gathered through a permutation by its own values, computed on the host', () => {
    const labels = int([0, 1, 2, 9, 1, 0]);
    const order = int([5, 1, 0, 3, 2, 4]);
    const good = gather(labels, slice(order, [0], [3]));
    expect(valueBounds(good)).toEqual([0, 9]); // the source's range bounds it ...
    expect(checkIndexRange(good, 3, err, HOST_ONLY)).toBe('valid'); // ... and its own values pass
    expect(() => checkIndexRange(gather(labels, slice(order, [2], [6])), 3, err, HOST_ONLY)).toThrow('bad 9 at 1');
    // A gather of a gather: computed through both recipes.
    expect(() => checkIndexRange(gather(gather(labels, order), int([4, 3])), 3, err, HOST_ONLY)).toThrow('bad 9 at 1');
  });

  it('keeps a copy of a caller-owned array, so changing it later changes no check', () => {
    const values = Int32Array.of(0, 7, 1);
    const labels = tensor(values, [3], 'int32', { backend });
    values[1] = 1;
    expect(() => checkIndexRange(labels, 3, err, HOST_ONLY)).toThrow('bad 7 at 1');
  });

  it('knows argmax lies in [0, d - 1] for the reduced axis, or the whole size', () => {
    const x = tensor(new Float32Array(24), [2, 3, 4], 'float32', { backend });
    expect(valueBounds(argmax(x, 1))).toEqual([0, 2]);
    expect(valueBounds(argmax(x, -1, true))).toEqual([0, 3]);
    expect(valueBounds(argmax(x))).toEqual([0, 23]);
  });

  it('checks nothing where neither range nor values are known without a device read', () => {
    const computed = wrap(backend, backend.write(Int32Array.of(0, 8), 'int32'), [2], 'int32');
    expect(checkIndexRange(computed, 3, err, HOST_ONLY)).toBe('unknown');
    // Gathered through unchecked indices, values need not come from the source: no range.
    expect(valueBounds(gather(int([1, 2, 3]), computed))).toBeNull();
    // Known bounds that fail without known values (argmax over 5 classes, checked against 3).
    const am = argmax(tensor(new Float32Array(10), [2, 5], 'float32', { backend }), 1);
    expect(checkIndexRange(am, 3, err, HOST_ONLY)).toBe('unknown');
  });
});

describe('checks on the device, where the host knows neither range nor values', () => {
  const backend = hostBackend('async-checks', false);
  const int = (values: number[]) => tensor(Int32Array.from(values), [values.length], 'int32', { backend });
  /** int32 values the host has no record of, as if computed on the device. */
  const computed = (values: number[]) =>
    wrap(backend, backend.write(Int32Array.from(values), 'int32'), [values.length], 'int32');
  const checksAfter = (fn: () => unknown): DeviceCheck[] => {
    backend.checks.length = 0;
    fn();
    return backend.checks.slice();
  };

  it('asks the backend to check the view under the op name given, with the ignored value', () => {
    const c = computed([9, 1, -100, 2]);
    let result: string | undefined;
    expect(
      checksAfter(
        () => (result = checkIndexRange(slice(c, [1], [4]), 3, err, { ignore: -100, deviceCheck: 'nllLoss' })),
      ),
    ).toEqual([{ values: [1, -100, 2], size: 3, op: 'nllLoss', ignore: -100 }]);
    // The host still knows nothing: an ignored value may be among them, so callers mask.
    expect(result).toBe('unknown');
    // Known bounds that fail without known values (argmax over 5 classes, checked against 3) are checked there too.
    const am = argmax(tensor(new Float32Array(10), [2, 5], 'float32', { backend }), 1);
    expect(checksAfter(() => checkIndexRange(am, 3, err, { deviceCheck: 'oneHot' }))).toEqual([
      { values: [0, 0], size: 3, op: 'oneHot' },
    ]);
  });

  it('runs nothing on the device where the kernel checks itself, where the host knows the values, or for no values', () => {
    expect(checksAfter(() => checkIndexRange(computed([0, 8]), 3, err, HOST_ONLY))).toEqual([]);
    expect(checksAfter(() => gather(int([1, 2, 3]), computed([0, 2])))).toEqual([]);
    const labels = int([0, 2, 1, 2]);
    expect(checksAfter(() => checkIndexRange(labels, 3, err, { deviceCheck: 'nllLoss' }))).toEqual([]);
    expect(checksAfter(() => checkIndexRange(gather(labels, int([3, 0])), 3, err, { deviceCheck: 'nllLoss' }))).toEqual(
      [],
    );
    expect(
      checksAfter(() =>
        expect(() => checkIndexRange(labels, 2, err, { deviceCheck: 'nllLoss' })).toThrow('bad 2 at 1'),
      ),
    ).toEqual([]);
    expect(checksAfter(() => checkIndexRange(computed([]), 3, err, { deviceCheck: 'nllLoss' }))).toEqual([]);
  });

  it('oneHot checks its indices: on the host where it knows them, else on the device under its name', () => {
    expect(
      checksAfter(() =>
        expect(() => oneHot(int([0, 3]), 3)).toThrow(
          'oneHot: index 3 at position 1 is out of range for depth 3 (expected 0 to 2)',
        ),
      ),
    ).toEqual([]);
    expect(() => oneHot(int([-1]), 3)).toThrow(ArgumentError);
    expect(
      checksAfter(() => expect(() => oneHot(computed([1, 4]), 3)).toThrow('oneHot: device check found 4')),
    ).toEqual([{ values: [1, 4], size: 3, op: 'oneHot' }]);
  });

  it('softmaxCrossEntropy asks for a device check only where the backend has no fused kernel to check the labels', () => {
    const logits = tensor(new Float32Array(6), [2, 3], 'float32', { backend });
    expect(
      checksAfter(() =>
        expect(() => softmaxCrossEntropy(logits, computed([0, 5]))).toThrow(
          'softmaxCrossEntropy: device check found 5',
        ),
      ),
    ).toEqual([{ values: [0, 5], size: 3, op: 'softmaxCrossEntropy' }]);
    const fused = backend as unknown as Record<string, unknown>;
    fused.softmaxCrossEntropy = (x: View) => backend.write(new Float32Array(x.shape[0]), 'float32');
    try {
      expect(checksAfter(() => softmaxCrossEntropy(logits, computed([0, 5])))).toEqual([]);
    } finally {
      delete fused.softmaxCrossEntropy;
    }
  });

  it('a backend that reads synchronously is never asked: the host reads the values', () => {
    const sync = hostBackend('sync-checks', true);
    const c = wrap(sync, sync.write(Int32Array.of(0, 7), 'int32'), [2], 'int32');
    expect(() => checkIndexRange(c, 3, err, { deviceCheck: 'oneHot' })).toThrow('bad 7 at 1');
    expect(sync.checks).toEqual([]);
  });
});

describe('index ranges of tensors moved between backends', () => {
  it('keeps the range and values of a tensor moved with to() or toAsync() to a backend without readSync', async () => {
    const from = hostBackend('sync-source', true);
    const to = hostBackend('async-target', false);
    const labels = tensor(Int32Array.of(0, 5, 1), [3], 'int32', { backend: from });
    expect(() => checkIndexRange(labels.to(to), 3, err, HOST_ONLY)).toThrow('bad 5 at 1');
    const moved = await labels.toAsync(to);
    expect(valueBounds(moved)).toEqual([0, 5]);
    expect(() => checkIndexRange(slice(moved, [1], [3]), 3, err, HOST_ONLY)).toThrow('bad 5 at 0');
  });
});

describe('index ranges on a backend with readSync', () => {
  it('reads a host-written tensor for neither its range nor an in-range check, and reads to name a bad value', () => {
    const backend = hostBackend('sync', true);
    const labels = tensor(Int32Array.of(2, 0, 1), [3], 'int32', { backend });
    expect(checkIndexRange(labels, 3, err, HOST_ONLY)).toBe('valid');
    expect(backend.reads).toBe(0);
    expect(() => checkIndexRange(labels, 2, err, HOST_ONLY)).toThrow('bad 2 at 0');
    expect(backend.reads).toBe(1);
    const computed = wrap(backend, backend.write(Int32Array.of(0, 4, 1), 'int32'), [3], 'int32');
    expect(valueBounds(computed)).toEqual([0, 4]); // read once, then remembered
    expect(valueBounds(slice(computed, [1], [2]))).toEqual([0, 4]);
    expect(backend.reads).toBe(2);
  });
});
