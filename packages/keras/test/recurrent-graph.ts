import { type Tensor, mul, sum } from '@tsdl/tensor';
import { seeded } from './helpers';

/**
 * What the fused-sequence tests (lstm-sequence, fused-sequences) share: a loss over a recurrent
 * layer's outputs and the ops recorded behind a result.
 */

/** A weighted sum of every output, different weights per output, so a swapped or mis-ordered state would show. */
export function lossOf(out: Tensor | Tensor[]): Tensor {
  const outs = Array.isArray(out) ? out : [out];
  return outs.map((o, k) => sum(mul(o, seeded([...o.shape], 40 + k)))).reduce((a, b) => a.add(b));
}

/** The op names of the recorded graph behind `t`. */
export function opsBehind(t: Tensor): Set<string> {
  type Node = { op: string; edges: readonly ({ node?: Node } | null)[] };
  const seen = new Set<Node>();
  const todo = [t.gradFn as unknown as Node];
  while (todo.length) {
    const n = todo.pop();
    if (!n || seen.has(n)) continue;
    seen.add(n);
    for (const e of n.edges) if (e?.node) todo.push(e.node);
  }
  return new Set([...seen].map((n) => n.op));
}
