import { describe, expect, it } from 'vitest';
import type { Backend, DataId, View } from '../src/backend';
import type { DType, TypedArray } from '../src/dtype';
import { makeTypedArray } from '../src/dtype';
import { wrap } from '../src/engine';
import { ArgumentError } from '../src/errors';
import { arange, tensor } from '../src/ops/creation';
import { checkIndexRange } from '../src/ops/index-range';
import { argmax } from '../src/ops/reduce';
import { gather, oneHot, slice } from '../src/ops/shape';
import { softmaxCrossEntropy } from '../src/ops/softmax-ce';
import { sizeOf } from '../src/shape';

/**
 * The index-range rule (ops/index-range.ts) on a host-array backend with or without
 * `readSync`: the host throws at the call where it knows the values, a known range that
 * proves them skips every read and device check, and the rest is left to the device.
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

describe('on a backend without readSync (as WebGPU)', () => {
  const backend = hostBackend('async', false);
  const int = (values: number[]) => tensor(Int32Array.from(values), [values.length], 'int32', { backend });
  /** int32 values the host has no record of, as if computed on the device. */
  const computed = (values: number[]) =>
    wrap(backend, backend.write(Int32Array.from(values), 'int32'), [values.length], 'int32');
  const checksAfter = (fn: () => unknown): DeviceCheck[] => {
    backend.checks.length = 0;
    fn();
    return backend.checks.slice();
  };

  it('throws at the call naming the first bad value and its position, for host-written int32 and any view of it', () => {
    const labels = int([0, 2, 5, 1, -3]);
    expect(() => checkIndexRange(labels, 3, err, HOST_ONLY)).toThrow('bad 5 at 2');
    expect(() => checkIndexRange(slice(labels, [3], [5]), 3, err, HOST_ONLY)).toThrow('bad -3 at 1');
    // A slice of the bad tensor holding only good values passes: its own values are checked.
    expect(checkIndexRange(slice(labels, [0], [2]), 3, err, HOST_ONLY)).toBe('valid');
    expect(checkIndexRange(labels.reshape([5, 1]).transpose([1, 0]), 6, err, { ignore: -3, deviceCheck: null })).toBe(
      'ignored',
    );
    const grid = tensor(
      [
        [4, 9],
        [5, 6],
      ],
      undefined,
      'int32',
      { backend },
    );
    expect(() => checkIndexRange(grid.transpose([1, 0]), 9, err, HOST_ONLY)).toThrow('bad 9 at 2');
    expect(() => checkIndexRange(arange(2, 12, 3, undefined, { backend }), 11, err, HOST_ONLY)).toThrow('bad 11 at 3');
    // Fractions given as int32 are truncated first.
    expect(() => checkIndexRange(tensor([0.5, 2.9], [2], 'int32', { backend }), 2, err, HOST_ONLY)).toThrow(
      'bad 2 at 1',
    );
  });

  it('keeps a copy of a caller-owned array, so changing it later changes no check', () => {
    const values = Int32Array.of(0, 7, 1);
    const labels = tensor(values, [3], 'int32', { backend });
    values[1] = 1;
    expect(() => checkIndexRange(labels, 3, err, HOST_ONLY)).toThrow('bad 7 at 1');
  });

  it('softmaxCrossEntropy, gather and oneHot throw ArgumentError naming the op and the value', () => {
    const logits = tensor(new Float32Array(12), [4, 3], 'float32', { backend });
    expect(() => softmaxCrossEntropy(logits, int([0, 1, 3, 2]))).toThrow(ArgumentError);
    expect(() => softmaxCrossEntropy(logits, int([0, 1, 3, 2]))).toThrow(
      'softmaxCrossEntropy: label 3 at row 2 is out of range for 3 classes',
    );
    expect(() => gather(int([5, 6, 7]), int([0, -1]))).toThrow(
      'gather: index -1 is out of range for an axis of size 3',
    );
    expect(
      checksAfter(() =>
        expect(() => oneHot(int([0, 3]), 3)).toThrow(
          'oneHot: index 3 at position 1 is out of range for depth 3 (expected 0 to 2)',
        ),
      ),
    ).toEqual([]);
    expect(() => oneHot(int([-1]), 3)).toThrow(ArgumentError);
  });

  it('a known range that proves the values skips the device check: gathers of host labels, argmax', () => {
    const labels = int([0, 2, 1, 2]);
    const batch = gather(labels, int([3, 0]));
    expect(checksAfter(() => expect(checkIndexRange(batch, 3, err, { deviceCheck: 'nllLoss' })).toBe('valid'))).toEqual(
      [],
    );
    const x = tensor(new Float32Array(24), [2, 3, 4], 'float32', { backend });
    expect(checksAfter(() => checkIndexRange(argmax(x, 1), 3, err, { deviceCheck: 'oneHot' }))).toEqual([]);
    expect(checksAfter(() => checkIndexRange(argmax(x, -1, true), 4, err, { deviceCheck: 'oneHot' }))).toEqual([]);
    // The range of a flat argmax is [0, 23], which does not prove [0, 4): checked on the device.
    expect(checksAfter(() => checkIndexRange(argmax(x), 4, err, { deviceCheck: 'oneHot' }))).toEqual([
      { values: [0], size: 4, op: 'oneHot' },
    ]);
  });

  it('a gathered batch whose source range does not prove it, and device-made values, go to the device', () => {
    const labels = int([0, 1, 2, 9, 1, 0]);
    const order = int([5, 1, 0, 3, 2, 4]);
    const good = gather(labels, slice(order, [0], [3]));
    // The host knows the batch's range ([0, 9]) but not its values.
    expect(checksAfter(() => expect(checkIndexRange(good, 3, err, HOST_ONLY)).toBe('unknown'))).toEqual([]);
    expect(checksAfter(() => checkIndexRange(good, 3, err, { deviceCheck: 'nllLoss' }))).toEqual([
      { values: [0, 1, 0], size: 3, op: 'nllLoss' },
    ]);
    // Gathered through unchecked indices, values need not come from the source: no range.
    const unchecked = gather(int([1, 2, 3]), computed([0, 2]));
    expect(checksAfter(() => checkIndexRange(unchecked, 4, err, { deviceCheck: 'oneHot' }))).toEqual([
      { values: [1, 3], size: 4, op: 'oneHot' },
    ]);
  });

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
    expect(
      checksAfter(() => expect(() => oneHot(computed([1, 4]), 3)).toThrow('oneHot: device check found 4')),
    ).toEqual([{ values: [1, 4], size: 3, op: 'oneHot' }]);
  });

  it('runs nothing on the device where the kernel checks itself, where the host knows the values, or for no values', () => {
    expect(checksAfter(() => expect(checkIndexRange(computed([0, 8]), 3, err, HOST_ONLY)).toBe('unknown'))).toEqual([]);
    expect(checksAfter(() => gather(int([1, 2, 3]), computed([0, 2])))).toEqual([]);
    expect(
      checksAfter(() =>
        expect(() => checkIndexRange(int([0, 2]), 2, err, { deviceCheck: 'nllLoss' })).toThrow('bad 2 at 1'),
      ),
    ).toEqual([]);
    expect(checksAfter(() => checkIndexRange(computed([]), 3, err, { deviceCheck: 'nllLoss' }))).toEqual([]);
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

  it('knows the values of a tensor moved with to() or toAsync() from a backend with readSync', async () => {
    const from = hostBackend('sync-source', true);
    const labels = tensor(Int32Array.of(0, 5, 1), [3], 'int32', { backend: from });
    expect(() => checkIndexRange(labels.to(backend), 3, err, HOST_ONLY)).toThrow('bad 5 at 1');
    const moved = await labels.toAsync(backend);
    expect(() => checkIndexRange(slice(moved, [1], [3]), 3, err, HOST_ONLY)).toThrow('bad 5 at 0');
  });
});

describe('on a backend with readSync', () => {
  it('reads nothing where a known range proves the values, reads to name a bad one, never asks the device', () => {
    const backend = hostBackend('sync', true);
    const labels = tensor(Int32Array.of(2, 0, 1), [3], 'int32', { backend });
    expect(checkIndexRange(labels, 3, err, HOST_ONLY)).toBe('valid');
    expect(gather(labels, tensor(Int32Array.of(1), [1], 'int32', { backend })).size).toBe(1);
    expect(backend.reads).toBe(0);
    expect(() => checkIndexRange(labels, 2, err, HOST_ONLY)).toThrow('bad 2 at 0');
    expect(backend.reads).toBe(1);
    // Computed on the device: read at every check, which throws at the call.
    const computed = wrap(backend, backend.write(Int32Array.of(0, 7), 'int32'), [2], 'int32');
    expect(checkIndexRange(computed, 8, err, { deviceCheck: 'oneHot' })).toBe('valid');
    expect(() => checkIndexRange(computed.reshape([1, 2]), 3, err, { deviceCheck: 'oneHot' })).toThrow('bad 7 at 1');
    expect(backend.reads).toBe(3);
    expect(backend.checks).toEqual([]);
  });
});
