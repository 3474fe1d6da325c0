import type { TypedArray } from '@tsdl/tensor';
import type { View } from '@tsdl/tensor/backend';
import { type Alloc, dense, jsAlloc, sizeOfShape } from '../data';

/** Concat, pad, gather and scatter-add: copies organised as outer × (axis) × inner blocks. */

export function concat(
  xs: readonly View[],
  axis: number,
  outShape: readonly number[],
  alloc: Alloc = jsAlloc,
): TypedArray {
  const out = alloc(xs[0].dtype, sizeOfShape(outShape));
  const outer = sizeOfShape(outShape.slice(0, axis));
  const inner = sizeOfShape(outShape.slice(axis + 1));
  const rowOut = outShape[axis] * inner;
  let at = 0;
  for (const v of xs) {
    const src = dense(v);
    const row = v.shape[axis] * inner;
    for (let o = 0; o < outer; o++) out.set(src.subarray(o * row, (o + 1) * row), o * rowOut + at);
    at += row;
  }
  return out;
}

export function pad(
  v: View,
  pads: readonly (readonly [number, number])[],
  value: number,
  alloc: Alloc = jsAlloc,
): TypedArray {
  const outShape = v.shape.map((d, i) => d + pads[i][0] + pads[i][1]);
  const out = alloc(v.dtype, sizeOfShape(outShape));
  if (value !== 0) out.fill(value);
  const n = sizeOfShape(v.shape);
  if (n === 0) return out;
  const src = dense(v);
  const rank = v.shape.length;
  if (rank === 0) {
    out[0] = src[0];
    return out;
  }
  const outStrides = outShape.map((_, i) => sizeOfShape(outShape.slice(i + 1)));
  const inner = v.shape[rank - 1];
  const idx = new Array<number>(rank).fill(0);
  // Copy one innermost row at a time to its place in the padded output.
  for (let p = 0; p < n; p += inner) {
    let o = pads[rank - 1][0];
    for (let d = 0; d < rank - 1; d++) o += (idx[d] + pads[d][0]) * outStrides[d];
    out.set(src.subarray(p, p + inner), o);
    for (let d = rank - 2; d >= 0; d--) {
      if (++idx[d] < v.shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

export function gather(xv: View, iv: View, axis: number, alloc: Alloc = jsAlloc): TypedArray {
  const x = dense(xv);
  const ind = dense(iv);
  const outer = sizeOfShape(xv.shape.slice(0, axis));
  const inner = sizeOfShape(xv.shape.slice(axis + 1));
  const d = xv.shape[axis];
  const out = alloc(xv.dtype, outer * ind.length * inner);
  let p = 0;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < ind.length; k++) {
      const base = (o * d + ind[k]) * inner;
      if (inner === 1) out[p++] = x[base];
      else {
        out.set(x.subarray(base, base + inner), p);
        p += inner;
      }
    }
  }
  return out;
}

export function scatterAdd(
  uv: View,
  iv: View,
  axis: number,
  outShape: readonly number[],
  alloc: Alloc = jsAlloc,
): TypedArray {
  const u = dense(uv);
  const ind = dense(iv);
  const outer = sizeOfShape(outShape.slice(0, axis));
  const inner = sizeOfShape(outShape.slice(axis + 1));
  const d = outShape[axis];
  const out = alloc(uv.dtype, sizeOfShape(outShape));
  let p = 0;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < ind.length; k++) {
      const base = (o * d + ind[k]) * inner;
      for (let j = 0; j < inner; j++) out[base + j] += u[p++];
    }
  }
  return out;
}
