import type { Backend, Tensor } from '@tsdl/tensor';
import { GraphNode, type Edge } from './node';
import { NON_DIFFERENTIABLE, gradientRule } from './registry';

/** The shape of a JS-number input (a scalar). */
const NO_SHAPE: readonly number[] = [];

/**
 * The tape hook: tensor's dispatch calls this after every op that has an input
 * requiring grad. It links the output to a graph node; non-differentiable ops
 * and non-float outputs are left out of the graph.
 */
export function record(
  op: string,
  inputs: readonly (Tensor | number)[],
  attrs: unknown,
  outputs: readonly Tensor[],
): void {
  if (NON_DIFFERENTIABLE.has(op)) return;
  const output = outputs[0];
  if (outputs.length !== 1 || output.dtype !== 'float32') return;
  // One pass over the inputs (this runs for every recorded op of a training step).
  const edges: Edge[] = [];
  const shapes: (readonly number[])[] = [];
  const backends: (Backend | null)[] = [];
  for (const x of inputs) {
    if (typeof x === 'number') {
      edges.push(null);
      shapes.push(NO_SHAPE);
      backends.push(null);
    } else {
      edges.push(!x.requiresGrad ? null : x.gradFn instanceof GraphNode ? { node: x.gradFn, index: 0 } : { leaf: x });
      shapes.push(x.shape);
      backends.push(x.backend);
    }
  }
  const node = new GraphNode(op, attrs, gradientRule(op), inputs, output, edges, shapes, backends);
  node.retain();
  output.gradFn = node;
  output.requiresGrad = true;
}
