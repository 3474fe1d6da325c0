import type { Storage } from '../storage';
import type { Tensor } from '../tensor';

/**
 * Range checks of indices and class labels. They read the values to the host, so they
 * run only where the backend reads synchronously (the CPU), and a training loop runs
 * them every step: fit's batches are slices of one label tensor, and a loss checks its
 * labels twice (nn's loss, then the fused kernel). Reading a slice means a copy on the
 * device and a read each time.
 *
 * Storages never change once written (every op returns new storage; assign swaps a
 * tensor's storage rather than writing into it), so the range of a whole storage is
 * read once and remembered. A slice's values lie within its storage's range, so when
 * that range passes a check the slice does too, without reading it; only when it does
 * not are the slice's own values read, to check them exactly and name the bad one.
 */

const storageRanges = new WeakMap<Storage, readonly [number, number]>();

/**
 * Storages made by gathering from another storage: their values are among its values,
 * so its range bounds theirs. fit's shuffled label batches are gathers from one label
 * tensor, whose range is then read once rather than each batch's values every step.
 */
const gatheredFrom = new WeakMap<Storage, Storage>();

/** Records that `out`'s values were all taken from `source`'s storage (gather). */
export function noteGatheredFrom(out: Tensor, source: Tensor): void {
  gatheredFrom.set(out.storage, source.storage);
}

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
 * Bounds [min, max] on the values of an int32 tensor `t`: its storage's range (read once
 * per storage), or that of the storage it was gathered from; for a slice of a storage too
 * large to read whole, its own range. Null where the backend cannot read synchronously
 * or `t` is empty (nothing to check).
 */
export function valueBounds(t: Tensor): readonly [number, number] | null {
  const st = t.storage;
  const read = st.backend.readSync;
  if (!read || t.size === 0) return null;
  if (st.size > Math.max(t.size, WHOLE_STORAGE_LIMIT)) return minMax(t.dataSync(), t.size);
  let r = storageRanges.get(st);
  if (r === undefined) {
    const source = gatheredFrom.get(st);
    const bySource = source !== undefined && source.alive && source.backend === st.backend && source.size <= WHOLE_STORAGE_LIMIT;
    r = storageRange(bySource ? source : st, read);
    storageRanges.set(st, r);
  }
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
 * Throws `error(value, position)` for the first value of `t` outside [0, size), where
 * the backend reads synchronously. Reads `t` itself only when its bounds do not already
 * prove every value in range.
 */
export function checkIndexRange(t: Tensor, size: number, error: (value: number, at: number) => Error): void {
  const b = valueBounds(t);
  if (b === null || (b[0] >= 0 && b[1] < size)) return;
  const v = t.dataSync();
  for (let i = 0; i < v.length; i++) if (!(v[i] >= 0 && v[i] < size)) throw error(v[i], i);
}
