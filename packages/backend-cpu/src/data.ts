import type { DType, TypedArray } from '@tsdl/tensor';
import type { DataId, View } from '@tsdl/tensor/backend';
import { makeTypedArray } from '@tsdl/tensor/backend';

/**
 * Makes a zero-filled storage array for a kernel's output: a plain array, or
 * a view into the wasm heap when the backend keeps storage there. `zero:
 * false` lets a kernel that writes every element skip the fill.
 */
export type Alloc = (dtype: DType, n: number, zero?: boolean) => TypedArray;

/** Storage in ordinary JavaScript memory. */
export const jsAlloc: Alloc = makeTypedArray;

/** A CPU storage: a typed array the backend owns. */
export interface CpuData {
  readonly a: TypedArray;
}

export function arr(id: DataId): TypedArray {
  return (id as CpuData).a;
}

/** Live storages and bytes, for memory(). */
export class Accounting {
  buffers = 0;
  bytes = 0;

  wrap(a: TypedArray): CpuData {
    this.buffers++;
    this.bytes += a.byteLength;
    return { a };
  }

  alloc(dtype: DType, size: number): CpuData {
    return this.wrap(makeTypedArray(dtype, size));
  }

  free(id: DataId): void {
    this.buffers--;
    this.bytes -= arr(id).byteLength;
  }
}

export function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/** True when the view reads a dense row-major block starting at its offset. */
export function isDense(v: View): boolean {
  let s = 1;
  for (let i = v.shape.length - 1; i >= 0; i--) {
    if (v.shape[i] === 1) continue;
    if (v.strides[i] !== s) return false;
    s *= v.shape[i];
  }
  return true;
}

/**
 * The view's values as a dense row-major array: the storage itself (or a
 * subarray, no copy) when it already is, else a strided copy.
 */
export function dense(v: View): TypedArray {
  const a = arr(v.data);
  const n = sizeOfShape(v.shape);
  if (isDense(v)) return v.offset === 0 && a.length === n ? a : a.subarray(v.offset, v.offset + n);
  const out = makeTypedArray(v.dtype, n);
  const rank = v.shape.length;
  const inner = v.shape[rank - 1];
  const innerStride = v.strides[rank - 1];
  const idx = new Array<number>(rank).fill(0);
  let base = v.offset;
  let p = 0;
  // Walk the outer dims with a counter; copy the innermost dim in a tight loop.
  while (p < n) {
    for (let j = 0, o = base; j < inner; j++, o += innerStride) out[p++] = a[o];
    let d = rank - 2;
    for (; d >= 0; d--) {
      idx[d]++;
      base += v.strides[d];
      if (idx[d] < v.shape[d]) break;
      base -= v.strides[d] * v.shape[d];
      idx[d] = 0;
    }
    if (d < 0) break;
  }
  return out;
}
