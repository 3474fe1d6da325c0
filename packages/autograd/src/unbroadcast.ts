import { type Tensor, reshape, sum } from '@tsdl/tensor';

/**
 * Sums a gradient of a broadcast shape back to the shape its input had. A
 * gradient that is not a broadcast of `shape` is returned unchanged, so the
 * engine reports the rule's wrong shape instead of reshaping it into place.
 */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  if (g.rank === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.rank - shape.length;
  if (lead < 0) return g;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
    else if (g.shape[i] !== shape[i - lead]) return g;
  }
  return reshape(sum(g, axes, true), shape);
}
