import type { TypedArray } from '../dtype';
import { isContiguous, sizeOf } from '../shape';
import type { Storage } from '../storage';
import type { Tensor } from '../tensor';

/**
 * The values of int32 storages as the host knows them without reading the device, for
 * index and label checks on backends that cannot read synchronously (WebGPU). Storages
 * never change once written, so a host copy taken when one is written from host data
 * stays true, and so does a gather's recipe (which storage it took which rows from);
 * from those a check can recompute a view's values, or a shuffled batch's, on the host.
 */

/** A tensor's geometry over its storage, kept without the Tensor (which may be disposed). */
export interface StorageView {
  readonly storage: Storage;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

interface GatherRecipe {
  readonly source: StorageView;
  readonly indices: StorageView;
  readonly axis: number;
}

/**
 * Storages up to this many elements (4 MiB of int32) keep a host copy: labels and index
 * tensors are far smaller, and a large int32 tensor (token ids) costs no host memory.
 */
const HOST_COPY_LIMIT = 1 << 20;

const hostCopies = new WeakMap<Storage, Int32Array>();
const gathers = new WeakMap<Storage, GatherRecipe>();

export function storageView(t: Tensor): StorageView {
  return { storage: t.storage, shape: t.shape, strides: t.strides, offset: t.offset };
}

/**
 * Keeps a copy of the values an int32 storage was written from, where the backend cannot
 * read synchronously (elsewhere a check reads the device instead). `owned`: `values` is
 * the caller's own fresh array, kept as is; otherwise copied, since a user's array may
 * change after the tensor is made.
 */
export function noteHostCopy(st: Storage, values: TypedArray, owned: boolean): void {
  if (st.backend.readSync || values.length > HOST_COPY_LIMIT) return;
  hostCopies.set(st, owned && values instanceof Int32Array ? values : Int32Array.from(values));
}

/** Records that `out` holds source's rows (along `axis`) at `indices`, all checked in range. */
export function noteGather(out: Storage, source: StorageView, indices: StorageView, axis: number): void {
  gathers.set(out, { source, indices, axis });
}

/** The storage a gathered storage took its values from. */
export function gatherSource(st: Storage): Storage | undefined {
  return gathers.get(st)?.source.storage;
}

/** A view's values, row-major, computed on the host; null where the host does not know them. */
export function hostValues(v: StorageView): Int32Array | null {
  const all = storageValues(v.storage);
  if (all === null) return null;
  const n = sizeOf(v.shape);
  if (v.offset === 0 && n === all.length && isContiguous(v.shape, v.strides)) return all;
  return strided(all, v);
}

function storageValues(st: Storage): Int32Array | null {
  const copy = hostCopies.get(st);
  if (copy !== undefined) return copy;
  const g = gathers.get(st);
  if (g === undefined) return null;
  const src = hostValues(g.source);
  if (src === null) return null;
  const idx = hostValues(g.indices);
  return idx === null ? null : gatherRows(src, g.source.shape, idx, g.axis);
}

/** The elements of view `v` over `all`, row-major (an odometer over the view's indices). */
function strided(all: Int32Array, v: StorageView): Int32Array {
  const rank = v.shape.length;
  const out = new Int32Array(sizeOf(v.shape));
  const at = new Array<number>(rank).fill(0);
  let p = v.offset;
  for (let i = 0; i < out.length; i++) {
    out[i] = all[p];
    for (let d = rank - 1; d >= 0; d--) {
      if (++at[d] < v.shape[d]) {
        p += v.strides[d];
        break;
      }
      p -= (v.shape[d] - 1) * v.strides[d];
      at[d] = 0;
    }
  }
  return out;
}

/** gather on the host: src (row-major, `shape`) at `idx` along `axis`; null for an index the device would not have read. */
function gatherRows(src: Int32Array, shape: readonly number[], idx: Int32Array, axis: number): Int32Array | null {
  const d = shape[axis];
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  const out = new Int32Array(outer * idx.length * inner);
  let p = 0;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < idx.length; j++) {
      const r = idx[j];
      if (!(r >= 0 && r < d)) return null;
      const from = (o * d + r) * inner;
      for (let k = 0; k < inner; k++) out[p++] = src[from + k];
    }
  }
  return out;
}
