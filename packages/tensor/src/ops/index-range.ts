import type { TypedArray } from '../dtype';
import { isContiguous } from '../shape';
import type { Storage } from '../storage';
import type { Tensor } from '../tensor';
import { lowerings } from '../lowerings/index';

/**
 * Index ranges: the one rule every op that takes indices or class labels follows (gather,
 * scatterAdd, oneHot, softmaxCrossEntropy and its gradient, sequenceMask, nn's class-index
 * losses, Keras' category encodings). A value outside its range is an ArgumentError naming
 * the op, the argument, the value and the range, as in PyTorch; never a silent 0 or NaN.
 * - The call throws it wherever the host knows the values without waiting for a device: on
 *   a backend that reads synchronously (CPU, reference), and on every backend for int32
 *   tensors written from host data (tensor(), arange(), to() …) and views of them.
 * - Elsewhere (indices computed on WebGPU) the device checks them and the next read from
 *   that backend rejects with the error, as PyTorch's CUDA device-side assert does: the
 *   kernel that takes the indices checks them (gather, scatterAdd, fused cross-entropy),
 *   else Backend.checkIndices or its lowering does. Until then the result holds a filler
 *   at a bad index (the Backend contract: gather 0, cross-entropy a NaN row).
 * A known range skips both: storages never change once written, so the range of one written
 * from host data, in range by construction (argmax), or gathered from such a storage bounds
 * every view of it, and a check it proves costs no read and no kernel (fit's label batches).
 */

/** [min, max] of a storage's values, where known without a read. */
const ranges = new WeakMap<Storage, readonly [number, number]>();
/** Copies of int32 storages written from host data on a backend without readSync, up to 4 MiB each. */
const hostCopies = new WeakMap<Storage, Int32Array>();
const HOST_COPY_LIMIT = 1 << 20;

/**
 * Records what the host knows of int32 `t` just written from `values`: their range and, on
 * a backend without readSync, a copy (`owned`: `values` is our own fresh array, kept as is;
 * a caller's may change later).
 */
export function noteHostValues(t: Tensor, values: TypedArray, owned = false): void {
  if (t.dtype !== 'int32' || values.length === 0) return;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  ranges.set(t.storage, [lo, hi]);
  if (t.storage.backend.readSync || values.length > HOST_COPY_LIMIT) return;
  hostCopies.set(t.storage, owned && values instanceof Int32Array ? values : Int32Array.from(values));
}

/** Records bounds that `t`'s values hold by construction (argmax along an axis of size d: [0, d − 1]). */
export function noteValueRange(t: Tensor, lo: number, hi: number): void {
  ranges.set(t.storage, [lo, hi]);
}

/** `out` took its values from `source` at indices checked in range: source's range bounds them. */
export function noteGatheredFrom(out: Tensor, source: Tensor): void {
  const r = ranges.get(source.storage);
  if (r !== undefined) ranges.set(out.storage, r);
}

/** The [min, max] known for a storage's values without a read, or null. */
export function knownRange(s: Storage): readonly [number, number] | null {
  return ranges.get(s) ?? null;
}

/** `t`'s values, row-major, where the host has them without waiting for a device; else null. */
export function hostValues(t: Tensor): TypedArray | null {
  if (t.storage.backend.readSync) return t.dataSync();
  const all = hostCopies.get(t.storage);
  if (all === undefined) return null;
  if (isContiguous(t.shape, t.strides)) return all.subarray(t.offset, t.offset + t.size);
  const out = new Int32Array(t.size);
  for (let i = 0; i < out.length; i++) {
    let p = t.offset;
    let rest = i;
    for (let d = t.rank - 1; d >= 0; d--) {
      p += (rest % t.shape[d]) * t.strides[d];
      rest = Math.floor(rest / t.shape[d]);
    }
    out[i] = all[p];
  }
  return out;
}

/** Every value is in range ('valid'), or is apart from some equal to `ignore` ('ignored'), or the device checks them ('unknown'). */
export type IndexCheck = 'valid' | 'ignored' | 'unknown';

export interface IndexRangeOptions {
  /** A value allowed besides [0, size) (nn's ignoreIndex). */
  readonly ignore?: number;
  /** The op name Backend.checkIndices checks under; null where the kernel taking the indices checks them. */
  readonly deviceCheck: string | null;
}

/**
 * Checks that every value of int32 `t` lies in [0, size) (or equals `options.ignore`) by the
 * rule above: throws `error(value, position)` for the first bad one the host sees, or leaves
 * the check to the device.
 */
export function checkIndexRange(
  t: Tensor,
  size: number,
  error: (value: number, at: number) => Error,
  options: IndexRangeOptions,
): IndexCheck {
  if (t.size === 0) return 'valid';
  const { ignore, deviceCheck } = options;
  const r = ranges.get(t.storage);
  const mayIgnore = ignore !== undefined && r !== undefined && ignore >= r[0] && ignore <= r[1];
  if (r !== undefined && r[0] >= 0 && r[1] < size && !mayIgnore) return 'valid';
  const v = hostValues(t);
  if (v === null) {
    const backend = t.storage.backend;
    if (deviceCheck !== null && backend.checkIndices) backend.checkIndices(t.view(), size, deviceCheck, ignore);
    else if (deviceCheck !== null) lowerings.checkIndices(t, size, deviceCheck, ignore);
    return 'unknown';
  }
  let ignored = false;
  for (let i = 0; i < v.length; i++) {
    if (v[i] === ignore) ignored = true;
    else if (!(v[i] >= 0 && v[i] < size)) throw error(v[i], i);
  }
  return ignored ? 'ignored' : 'valid';
}
