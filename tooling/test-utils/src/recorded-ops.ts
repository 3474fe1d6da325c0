import type { Tensor } from '@tsdl/tensor';

/**
 * The names of the ops recorded in the autograd graph behind `t` (empty when nothing was
 * recorded): tests use it to see which path a layer took, e.g. one fused op or a per-step loop.
 */
export function opsBehind(t: Tensor): Set<string> {
  // autograd's GraphNode, as far as this walk needs it (tensor types gradFn as opaque).
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
