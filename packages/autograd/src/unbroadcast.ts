import { type Tensor, reshape, sum } from '@tsdl/tensor';
import { shapesEqual } from '@tsdl/tensor/internal';

/**
 * Sums a gradient of a broadcast shape back to the shape its input had. A
 * gradient that is not a broadcast of `shape` is returned unchanged, so the
 * engine reports the rule's wrong shape instead of reshaping it into place.
 */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  if (lead < 0) return g;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
    else if (g.shape[i] !== shape[i - lead]) return g;
  }
  // Summing without kept dims usually gives `shape` itself (a bias: [N, C] → [C]); reshape only when not.
  const summed = sum(g, axes);
  return shapesEqual(summed.shape, shape) ? summed : reshape(summed, shape);
}
