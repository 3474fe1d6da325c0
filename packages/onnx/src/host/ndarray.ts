import { ShapeError } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { isFloatType } from '../data-types';
import type { HostArray } from '../tensor-proto';

/**
 * Small n-d arithmetic on the host, for the values a graph computes about
 * shapes (Shape → Gather → Unsqueeze → Concat → Reshape): they are a handful
 * of int64 numbers that must be known before the next op can be built, so they
 * never go to the device. Plain loops; these arrays hold tens of elements.
 */

/** Values of an ONNX type: float32 rounding for float types, exact doubles otherwise. */
export function hostArray(type: number, shape: readonly number[], values: ArrayLike<number>): HostArray {
  const data = isFloatType(type) ? Float32Array.from(values) : Float64Array.from(values);
  return { type, shape: [...shape], data };
}

export function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** ONNX's multidirectional (NumPy) broadcasting of shapes. */
export function broadcastShape(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1)
      throw new ShapeError(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast`);
    out[i] = x === 1 ? y : x;
  }
  return out;
}

/** For each flat index of `shape`, the flat index into an array of `from` broadcast to it. */
function broadcastIndex(from: readonly number[], shape: readonly number[]): (i: number) => number {
  const rank = shape.length;
  const fs = stridesOf(from);
  const strides = shape.map((d, k) => {
    const j = k - (rank - from.length);
    return j < 0 || from[j] === 1 ? 0 : fs[j];
  });
  const os = stridesOf(shape);
  return (i) => {
    let off = 0;
    for (let k = 0; k < rank; k++) {
      const q = Math.floor(i / os[k]) % shape[k];
      off += q * strides[k];
    }
    return off;
  };
}

export function mapUnary(a: HostArray, type: number, fn: (x: number) => number): HostArray {
  return hostArray(type, a.shape, Array.from(a.data, fn));
}

export function mapBinary(
  op: string,
  a: HostArray,
  b: HostArray,
  type: number,
  fn: (x: number, y: number) => number,
): HostArray {
  const shape = broadcastShape(op, a.shape, b.shape);
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  const n = sizeOfShape(shape);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = fn(a.data[ia(i)], b.data[ib(i)]);
  return hostArray(type, shape, out);
}

export function where(cond: HostArray, a: HostArray, b: HostArray): HostArray {
  const shape = broadcastShape('Where', broadcastShape('Where', cond.shape, a.shape), b.shape);
  const ic = broadcastIndex(cond.shape, shape);
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  const n = sizeOfShape(shape);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = cond.data[ic(i)] ? a.data[ia(i)] : b.data[ib(i)];
  return hostArray(a.type, shape, out);
}

export function expand(a: HostArray, shape: readonly number[]): HostArray {
  const out = broadcastShape('Expand', a.shape, shape);
  const ia = broadcastIndex(a.shape, out);
  return hostArray(
    a.type,
    out,
    Array.from({ length: sizeOfShape(out) }, (_, i) => a.data[ia(i)]),
  );
}

export function transpose(a: HostArray, perm: readonly number[]): HostArray {
  const shape = perm.map((p) => a.shape[p]);
  const is = stridesOf(a.shape);
  const os = stridesOf(shape);
  const n = sizeOfShape(shape);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let k = 0; k < shape.length; k++) off += (Math.floor(i / os[k]) % shape[k]) * is[perm[k]];
    out[i] = a.data[off];
  }
  return hostArray(a.type, shape, out);
}

/** Elements start + k·step of each axis (normalized: in range, any sign of step), `counts[k]` of them. */
export function strided(
  a: HostArray,
  starts: readonly number[],
  steps: readonly number[],
  counts: readonly number[],
): HostArray {
  const is = stridesOf(a.shape);
  const os = stridesOf(counts);
  const n = sizeOfShape(counts);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let k = 0; k < counts.length; k++) off += (starts[k] + (Math.floor(i / os[k]) % counts[k]) * steps[k]) * is[k];
    out[i] = a.data[off];
  }
  return hostArray(a.type, counts, out);
}

/** NumPy's take along an axis, with indices already in range. */
export function gather(a: HostArray, indices: HostArray, axis: number): HostArray {
  const outer = sizeOfShape(a.shape.slice(0, axis));
  const inner = sizeOfShape(a.shape.slice(axis + 1));
  const dim = a.shape[axis];
  const shape = [...a.shape.slice(0, axis), ...indices.shape, ...a.shape.slice(axis + 1)];
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < indices.data.length; j++) {
      const base = (o * dim + indices.data[j]) * inner;
      for (let i = 0; i < inner; i++) out.push(a.data[base + i]);
    }
  }
  return hostArray(a.type, shape, out);
}

export function concat(parts: readonly HostArray[], axis: number): HostArray {
  const first = parts[0];
  for (const p of parts) {
    if (p.shape.length !== first.shape.length || p.shape.some((d, k) => k !== axis && d !== first.shape[k])) {
      throw new ShapeError(
        `Concat: shapes ${parts.map((q) => fmtShape(q.shape)).join(', ')} differ on an axis other than ${axis}`,
      );
    }
  }
  const outer = sizeOfShape(first.shape.slice(0, axis));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const block = sizeOfShape(p.shape.slice(axis));
      for (let i = 0; i < block; i++) out.push(p.data[o * block + i]);
    }
  }
  const shape = [...first.shape];
  shape[axis] = parts.reduce((s, p) => s + p.shape[axis], 0);
  return hostArray(first.type, shape, out);
}

export function tile(a: HostArray, reps: readonly number[]): HostArray {
  const shape = a.shape.map((d, k) => d * reps[k]);
  const is = stridesOf(a.shape);
  const os = stridesOf(shape);
  const n = sizeOfShape(shape);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let k = 0; k < shape.length; k++) off += ((Math.floor(i / os[k]) % shape[k]) % a.shape[k]) * is[k];
    out[i] = a.data[off];
  }
  return hostArray(a.type, shape, out);
}

/** Reduces over `axes` (sorted, distinct) with an associative fold from `init`. */
export function reduce(
  a: HostArray,
  axes: readonly number[],
  keepDims: boolean,
  type: number,
  init: number,
  fold: (acc: number, x: number) => number,
  finish: (acc: number, n: number) => number = (x) => x,
): HostArray {
  const keptShape = a.shape.map((d, k) => (axes.includes(k) ? 1 : d));
  const acc = new Array<number>(sizeOfShape(keptShape)).fill(init);
  const is = stridesOf(a.shape);
  const ks = stridesOf(keptShape);
  for (let i = 0; i < a.data.length; i++) {
    let off = 0;
    for (let k = 0; k < a.shape.length; k++) {
      if (!axes.includes(k)) off += (Math.floor(i / is[k]) % a.shape[k]) * ks[k];
    }
    acc[off] = fold(acc[off], a.data[i]);
  }
  const n = sizeOfShape(axes.map((k) => a.shape[k]));
  const shape = keepDims ? keptShape : a.shape.filter((_, k) => !axes.includes(k));
  return hostArray(
    type,
    shape,
    acc.map((v) => finish(v, n)),
  );
}
