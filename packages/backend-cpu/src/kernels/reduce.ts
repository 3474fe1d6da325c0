import { type DType, type TypedArray } from '@tsdl/tensor';
import { type ReduceOp, type View, isColumnLayout, reduceIdentity } from '@tsdl/tensor/backend';
import { type Alloc, arr, dense, jsAlloc, sizeOfShape } from '../data';

/**
 * Reductions over the trailing `inner` elements of a view. Row reductions
 * read a dense copy; the common "sum over the batch" case, where the reduced
 * axes lead in memory, is reduced column-wise in place without a transpose.
 */

/** Reduces each row of a dense [outer, inner] array. */
function reduceRows(op: ReduceOp, a: TypedArray, outer: number, inner: number, out: TypedArray): void {
  for (let o = 0; o < outer; o++) {
    const base = o * inner;
    let acc = reduceIdentity(op);
    switch (op) {
      case 'sum':
        for (let j = 0; j < inner; j++) acc += a[base + j];
        break;
      case 'prod':
        for (let j = 0; j < inner; j++) acc *= a[base + j];
        break;
      case 'max':
        for (let j = 0; j < inner; j++) {
          const v = a[base + j];
          if (v > acc || Number.isNaN(v)) acc = v;
          if (Number.isNaN(acc)) break;
        }
        break;
      case 'min':
        for (let j = 0; j < inner; j++) {
          const v = a[base + j];
          if (v < acc || Number.isNaN(v)) acc = v;
          if (Number.isNaN(acc)) break;
        }
        break;
      case 'argmax': {
        let best = -Infinity;
        for (let j = 0; j < inner; j++) {
          const v = a[base + j];
          if (v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
            best = v;
            acc = j;
          }
        }
        break;
      }
      case 'argmin': {
        let best = Infinity;
        for (let j = 0; j < inner; j++) {
          const v = a[base + j];
          if (v < best || (Number.isNaN(v) && !Number.isNaN(best))) {
            best = v;
            acc = j;
          }
        }
        break;
      }
      case 'any':
        for (let j = 0; j < inner && acc === 0; j++) if (a[base + j] !== 0) acc = 1;
        break;
      case 'all':
        for (let j = 0; j < inner && acc === 1; j++) if (a[base + j] === 0) acc = 0;
        break;
    }
    out[o] = acc;
  }
}

/**
 * A faster column sum (the wasm kernel): the sum over `rows` rows of `cols` contiguous float32
 * values starting at element `offset` of `a`, written to `out`; false when it cannot serve them.
 */
export type ColumnSumAccel = (a: TypedArray, offset: number, rows: number, cols: number, out: TypedArray) => boolean;

export function reduce(
  op: ReduceOp,
  v: View,
  axes: number,
  outDtype: DType,
  alloc: Alloc = jsAlloc,
  columnSum?: ColumnSumAccel,
): TypedArray {
  const split = v.shape.length - axes;
  const outer = sizeOfShape(v.shape.slice(0, split));
  const inner = sizeOfShape(v.shape.slice(split));
  const out = alloc(outDtype, outer);
  if (outer === 0) return out;
  if (inner === 0) {
    out.fill(reduceIdentity(op));
    return out;
  }
  if ((op === 'sum' || op === 'max' || op === 'min') && outer > 1 && inner > 1 && isColumnLayout(v, split, outer)) {
    const a = arr(v.data);
    if (op === 'sum' && columnSum?.(a, v.offset, inner, outer, out)) return out;
    const acc = new Float64Array(outer).fill(reduceIdentity(op));
    for (let r = 0; r < inner; r++) {
      const base = v.offset + r * outer;
      if (op === 'sum') for (let o = 0; o < outer; o++) acc[o] += a[base + o];
      else if (op === 'max') for (let o = 0; o < outer; o++) acc[o] = Math.max(acc[o], a[base + o]);
      else for (let o = 0; o < outer; o++) acc[o] = Math.min(acc[o], a[base + o]);
    }
    for (let o = 0; o < outer; o++) out[o] = acc[o];
    return out;
  }
  reduceRows(op, dense(v), outer, inner, out);
  return out;
}
