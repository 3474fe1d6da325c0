import { type TypedArray } from '@tsdl/tensor';
import { type View, contiguousStrides, sizeOf } from '@tsdl/tensor/backend';

/**
 * Strided views, element by element: every kernel of the reference backend reads its
 * inputs through these two helpers, so none of them cares how a view is laid out
 * (transposed, sliced, broadcast with stride 0, offset).
 */

/** The storage position of each element of `v`, in row-major order of its shape (an odometer). */
export function positions(v: Pick<View, 'shape' | 'strides' | 'offset'>): Float64Array {
  const n = sizeOf(v.shape);
  const out = new Float64Array(n);
  const rank = v.shape.length;
  const at = new Array<number>(rank).fill(0);
  let p = v.offset;
  for (let i = 0; i < n; i++) {
    out[i] = p;
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

/** A view's values as a dense row-major copy (`values` is its storage's array). */
export function denseOf(v: View, values: TypedArray): TypedArray {
  const pos = positions(v);
  const out = new (values.constructor as new (n: number) => TypedArray)(pos.length);
  for (let i = 0; i < pos.length; i++) out[i] = values[pos[i]];
  return out;
}

/** Where a block of `shape` sits inside a dense array of `outer` shape at `corner`: its positions. */
export function placement(shape: readonly number[], outer: readonly number[], corner: readonly number[]): Float64Array {
  const strides = contiguousStrides(outer);
  const offset = corner.reduce((s, c, d) => s + c * strides[d], 0);
  return positions({ shape, strides, offset });
}
