import type { TypedArray } from '../dtype';
import type { Storage } from '../storage';
import type { Tensor } from '../tensor';
import { lowerings } from '../lowerings/index';
import { gatherSource, hostValues, noteGather, noteHostCopy, storageView } from './known-values';

/**
 * Range checks of indices and class labels, so that a bad one throws at the call, naming it
 * and its position, rather than a kernel giving NaN (or reading 0) for it and a backend
 * without readSync reporting it only at the next read. A training loop runs them every
 * step: fit's batches are slices or gathers of one label tensor, and a loss checks its
 * labels twice (nn's loss, then the fused kernel).
 *
 * Storages never change once written (every op returns new storage; assign swaps a
 * tensor's storage rather than writing into it), so a storage's range is found once and
 * remembered: from the host values it was written from (tensor(), zeros(), arange() …),
 * by construction (argmax along an axis of size d lies in [0, d)), from the storage it
 * was gathered from, or, where the backend reads synchronously (the CPU), by reading it.
 * A view's values lie within its storage's range, so when that range passes a check the
 * view does too, without a read. Only when it does not are the view's own values looked
 * at, to check them exactly and name the bad one: read from the device where it reads
 * synchronously, else recomputed from host copies (known-values.ts). Where neither range
 * nor values are known without waiting for the device (WebGPU, labels computed on it),
 * the device checks them: a kernel that takes the indices (gather, scatterAdd, the fused
 * softmaxCrossEntropy) does so itself, writing a defined value for a bad one; for any
 * other op (oneHot, nn's nllLoss) the backend's `checkIndices` runs one small kernel.
 * Either way the backend reports a bad value when a result is next read (the Backend
 * contract). Known ranges, the common case (fit's labels come from the host), cost no
 * kernel at all.
 */

const storageRanges = new WeakMap<Storage, readonly [number, number]>();

/**
 * A storage up to this many elements (16 MiB of int32) is read whole, once, to check a
 * slice of it; a slice of a larger one is read on its own, so one check of a few values
 * never reads a huge tensor.
 */
const WHOLE_STORAGE_LIMIT = 1 << 22;

function minMax(values: ArrayLike<number>, n: number): readonly [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/**
 * Records the range of an int32 tensor just written from host `values` (one pass over
 * data already on the host), and where needed a host copy of them (see noteHostCopy).
 */
export function noteHostValues(t: Tensor, values: TypedArray, owned = false): void {
  if (t.dtype !== 'int32' || values.length === 0) return;
  storageRanges.set(t.storage, minMax(values, values.length));
  noteHostCopy(t.storage, values, owned);
}

/** Records bounds that `t`'s values hold by construction (argmax along an axis: [0, d − 1]). */
export function noteValueRange(t: Tensor, lo: number, hi: number): void {
  storageRanges.set(t.storage, [lo, hi]);
}

/**
 * Records that `out`'s values were all taken from `source` at `indices` along `axis`
 * (a gather whose indices were checked in range): its range bounds theirs, and the host
 * can recompute them where it knows source's and the indices' values. fit's shuffled
 * label batches are such gathers.
 */
export function noteGatheredFrom(out: Tensor, source: Tensor, indices: Tensor, axis: number): void {
  noteGather(out.storage, storageView(source), storageView(indices), axis);
}

/**
 * Bounds [min, max] on the values of an int32 tensor `t`: its storage's remembered range
 * (from host values, construction, or the storage it was gathered from), else where the
 * backend reads synchronously its storage's range read once, or for a slice of a storage
 * too large to read whole, its own range. Null where none is known without a device
 * read the backend cannot do synchronously, or `t` is empty (nothing to check).
 */
export function valueBounds(t: Tensor): readonly [number, number] | null {
  if (t.size === 0) return null;
  const st = t.storage;
  const known = storageBounds(st);
  if (known !== null) return known;
  const read = st.backend.readSync;
  if (!read) return null;
  if (st.size > Math.max(t.size, WHOLE_STORAGE_LIMIT)) return minMax(t.dataSync(), t.size);
  return storageRange(st, read);
}

/** A storage's bounds without reading it, or by reading (once) the storage it was gathered from. */
function storageBounds(st: Storage): readonly [number, number] | null {
  let r = storageRanges.get(st);
  if (r !== undefined) return r;
  const source = gatherSource(st);
  if (source === undefined) return null;
  const read = source.backend.readSync;
  const readable = read !== undefined && source.alive && source.size <= WHOLE_STORAGE_LIMIT;
  r = storageBounds(source) ?? (readable ? storageRange(source, read) : undefined);
  if (r === undefined) return null;
  storageRanges.set(st, r);
  return r;
}

/** The remembered range of a whole live storage, read on first use. */
function storageRange(st: Storage, read: NonNullable<Storage['backend']['readSync']>): readonly [number, number] {
  let r = storageRanges.get(st);
  if (r === undefined) {
    r = minMax(read.call(st.backend, st.data), st.size);
    storageRanges.set(st, r);
  }
  return r;
}

/**
 * What a check established: every value lies in range ('valid'), or does apart from
 * some equal to the allowed `ignore` value ('ignored'), or nothing on the host, since
 * neither a range nor the values are known without waiting for the device ('unknown';
 * the device may still check them, see IndexRangeOptions.deviceCheck).
 */
export type IndexCheck = 'valid' | 'ignored' | 'unknown';

export interface IndexRangeOptions {
  /** A value allowed besides [0, size) (nn's ignoreIndex). */
  readonly ignore?: number;
  /**
   * Where the host cannot check the values: the op name under which the backend checks
   * them on its device (Backend.checkIndices, one small kernel) and reports a bad one
   * at the next read; null where the kernel the indices go to checks and reports them
   * itself (gather, scatterAdd, the fused softmaxCrossEntropy), so nothing extra runs.
   */
  readonly deviceCheck: string | null;
}

/**
 * Throws `error(value, position)` for the first value of `t` outside [0, size) (other
 * than `options.ignore`, where given). Looks at `t`'s own values only when its bounds do
 * not already prove every value in range: read synchronously where the backend can, else
 * recomputed on the host where it knows them; else ('unknown') leaves the check to the
 * device (`options.deviceCheck`).
 */
export function checkIndexRange(
  t: Tensor,
  size: number,
  error: (value: number, at: number) => Error,
  options: IndexRangeOptions,
): IndexCheck {
  const { ignore } = options;
  const b = valueBounds(t);
  if (b === null) return t.size === 0 ? 'valid' : checkOnDevice(t, size, options);
  const mayIgnore = ignore !== undefined && ignore >= b[0] && ignore <= b[1];
  if (b[0] >= 0 && b[1] < size && !mayIgnore) return 'valid';
  const v = t.storage.backend.readSync ? t.dataSync() : hostValues(storageView(t));
  if (v === null) return checkOnDevice(t, size, options);
  let ignored = false;
  for (let i = 0; i < v.length; i++) {
    if (v[i] === ignore) ignored = true;
    else if (!(v[i] >= 0 && v[i] < size)) throw error(v[i], i);
  }
  return ignored ? 'ignored' : 'valid';
}

/**
 * Asks the backend to check values the host does not know (see IndexRangeOptions.deviceCheck),
 * or runs the check's lowering (core kernels, reported at the next Tensor.data()).
 */
function checkOnDevice(t: Tensor, size: number, options: IndexRangeOptions): IndexCheck {
  const backend = t.storage.backend;
  if (options.deviceCheck === null) return 'unknown';
  if (backend.checkIndices) backend.checkIndices(t.view(), size, options.deviceCheck, options.ignore);
  else lowerings.checkIndices(t, size, options.deviceCheck, options.ignore);
  return 'unknown';
}
