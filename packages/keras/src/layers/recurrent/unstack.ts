import { type Tensor, reshape, slice } from '@tsdl/tensor';

/**
 * The T views x[0], …, x[T−1] along axis 0. Taken by halving rather than one
 * slice each: a slice's gradient has its source's full shape, so T direct
 * slices cost backward T² steps' worth of memory, the halving tree T log T
 * (the same reasoning as @tsdl/nn's recurrent layers, which keep theirs private).
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
