import { type Tensor, reshape, slice } from '@tsdl/tensor';

/**
 * The T slices x[0], …, x[T−1] along axis 0, as views.
 *
 * Taken directly, each slice's gradient is the whole of x's shape (the
 * slice's gradient padded with zeros), so backward through T of them writes
 * T² time steps' worth of memory. Halving recursively makes each level of the
 * tree cost one pass over x: O(T log T).
 */
export function unstack(x: Tensor): Tensor[] {
  const out: Tensor[] = [];
  const visit = (v: Tensor): void => {
    const n = v.shape[0];
    if (n === 1) {
      out.push(reshape(v, v.shape.slice(1)));
      return;
    }
    const mid = n >> 1;
    visit(slice(v, [0], [mid]));
    visit(slice(v, [mid], [n]));
  };
  visit(x);
  return out;
}
