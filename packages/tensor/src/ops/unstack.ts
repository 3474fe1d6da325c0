import type { Tensor } from '../tensor';
import { normalizeAxis } from '../shape';
import { tensorArg } from './internal';
import { reshape, slice, transpose } from './shape';

/**
 * The slices of `x` along `axis`, each without that axis (tf.unstack,
 * torch.unbind), as views.
 *
 * Taken one slice at a time, each slice's gradient has x's whole shape (the
 * slice's gradient padded with zeros), so backward through all T of them
 * writes T² slices' worth of memory, which dominated a recurrent layer's
 * backward over long sequences. Halving recursively makes each level of the
 * tree one pass over x: O(T log T). The halves in between are views whose
 * handles are released as soon as their children exist.
 */
export function unstack(x: Tensor, axis = 0): Tensor[] {
  tensorArg('unstack', x, 1, 'x');
  const a = normalizeAxis('unstack', axis, x.rank);
  if (x.shape[a] === 0) return [];
  const front = a === 0 ? x : transpose(x, [a, ...x.shape.map((_, i) => i).filter((i) => i !== a)]);
  const out: Tensor[] = [];
  const visit = (v: Tensor): void => {
    const n = v.shape[0];
    if (n === 1) {
      out.push(reshape(v, v.shape.slice(1)));
    } else {
      const mid = n >> 1;
      visit(slice(v, [0], [mid]));
      visit(slice(v, [mid], [n]));
    }
    if (v !== x) v.dispose();
  };
  visit(front);
  return out;
}
