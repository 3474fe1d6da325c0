import { type Tensor, mul, sum } from '@tsdl/tensor';
import { seeded } from './helpers';

/**
 * The fused-sequence tests' loss (lstm-sequence, fused-sequences): a weighted sum of every output
 * of a recurrent layer, different weights per output, so a swapped or mis-ordered state would show.
 */
export function lossOf(out: Tensor | Tensor[]): Tensor {
  const outs = Array.isArray(out) ? out : [out];
  return outs.map((o, k) => sum(mul(o, seeded([...o.shape], 40 + k)))).reduce((a, b) => a.add(b));
}
