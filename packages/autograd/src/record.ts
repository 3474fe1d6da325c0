import type { Backend, Tensor } from '@tsdl/tensor';
import { GraphNode, type Edge } from './node';
import { NON_DIFFERENTIABLE, gradientRule } from './registry';

/**
 * The tape hook: tensor's dispatch calls this after every op that has an input
 * requiring grad. It links the output to a graph node; non-differentiable ops
 * and non-float outputs are left out of the graph.
 */
export function record(op: string, inputs: readonly (Tensor | number)[], attrs: unknown, outputs: readonly Tensor[]): void {
  if (NON_DIFFERENTIABLE.has(op)) return;
  const output = outputs[0];
  if (outputs.length !== 1 || output.dtype !== 'float32') return;
  const edges: Edge[] = inputs.map((x) => {
    if (typeof x === 'number' || !x.requiresGrad) return null;
    return x.gradFn instanceof GraphNode ? { node: x.gradFn, index: 0 } : { leaf: x };
  });
  const shapes = inputs.map((x) => (typeof x === 'number' ? [] : x.shape));
  const backends: (Backend | null)[] = inputs.map((x) => (typeof x === 'number' ? null : x.backend));
  const node = new GraphNode(op, attrs, gradientRule(op), inputs, output, edges, shapes, backends);
  node.retain();
  output.gradFn = node;
  output.requiresGrad = true;
}
