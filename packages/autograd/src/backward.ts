import { GradientError, ShapeError, Tensor, add, onesLike, reshape, tidy } from '@tsdl/tensor';
import { fmtShape, setGradEnabled, shapesEqual } from '@tsdl/tensor/internal';
import { GraphNode } from './node';
import { SavedTensor } from './saved';
import { unbroadcast } from './unbroadcast';

export interface BackwardOptions {
  /** Keep saved tensors so backward can run through this graph again (default: createGraph, as PyTorch). */
  retainGraph?: boolean;
  /** Record the backward pass itself, for higher-order gradients. */
  createGraph?: boolean;
}

/** Nodes reachable from `root`, ordered so every node comes after all nodes that consume its output. */
function topoOrder(root: GraphNode): GraphNode[] {
  const order: GraphNode[] = [];
  const seen = new Set<GraphNode>([root]);
  // Iterative post-order DFS, so deep graphs (long training unrolls) cannot overflow the stack;
  // nodes and their next edge index on two stacks (no pair allocated per node).
  const nodes: GraphNode[] = [root];
  const next: number[] = [0];
  while (nodes.length > 0) {
    const top = nodes.length - 1;
    const node = nodes[top];
    const i = next[top];
    if (i < node.edges.length) {
      next[top] = i + 1;
      const e = node.edges[i];
      if (e && 'node' in e && !seen.has(e.node)) {
        seen.add(e.node);
        nodes.push(e.node);
        next.push(0);
      }
    } else {
      nodes.pop();
      next.pop();
      order.push(node);
    }
  }
  return order.reverse();
}

/**
 * The reverse pass from `root` with gradient `seed` (ones for a scalar). Calls
 * `onLeaf` once per leaf with its total gradient, which the caller owns.
 */
export function runBackward(
  root: Tensor,
  seed: Tensor | undefined,
  options: BackwardOptions,
  onLeaf: (leaf: Tensor, grad: Tensor) => void,
): void {
  root.assertAlive('backward');
  if (!root.requiresGrad) {
    throw new GradientError(
      `backward: the tensor (shape ${fmtShape(root.shape)}) does not require grad; set requiresGrad = true on an input before computing it`,
    );
  }
  if (seed === undefined && root.size !== 1) {
    throw new GradientError(
      `backward: the tensor has shape ${fmtShape(root.shape)}; a gradient seed of that shape is needed for a non-scalar (e.g. backward(onesLike(t)))`,
    );
  }
  if (seed !== undefined && !shapesEqual(seed.shape, root.shape)) {
    throw new ShapeError(
      `backward: seed shape ${fmtShape(seed.shape)} does not match the tensor's shape ${fmtShape(root.shape)}`,
    );
  }
  const createGraph = options.createGraph ?? false;
  // A recorded backward pass refers back to this graph's saved tensors, so it is kept by default.
  const retainGraph = options.retainGraph ?? createGraph;
  const prev = setGradEnabled(createGraph);
  const leafGrads = new Map<Tensor, Tensor>();
  let results: Tensor[];
  try {
    // Everything made here is freed on exit except the leaf gradients, which
    // tidy hands to the caller's scope.
    results = tidy(() => {
      // A new handle on the caller's seed: a pass-through rule (add, cast …) would otherwise hand
      // the seed itself to a leaf as its .grad, and disposing one would dispose the other. A
      // reshape to its own shape is that handle without a copy (tensors are immutable, so
      // sharing the storage is safe) and, recorded like any op, keeps a seed that requires
      // grad connected under createGraph.
      const s = seed !== undefined ? reshape(seed, seed.shape) : onesLike(root);
      const rootNode = root.gradFn;
      if (!(rootNode instanceof GraphNode)) {
        leafGrads.set(root, s);
        return [...leafGrads.values()];
      }
      const grads = new Map<GraphNode, Tensor>([[rootNode, s]]);
      for (const node of topoOrder(rootNode)) {
        const dy = grads.get(node);
        if (!dy) continue;
        grads.delete(node);
        for (const [edge, g] of applyRule(node, dy, createGraph)) {
          if ('node' in edge) {
            const acc = grads.get(edge.node);
            grads.set(edge.node, acc ? add(acc, g) : g);
          } else {
            const acc = leafGrads.get(edge.leaf);
            leafGrads.set(edge.leaf, acc ? add(acc, g) : g);
          }
        }
        if (!retainGraph) node.freeSaved();
      }
      return [...leafGrads.values()];
    });
  } finally {
    setGradEnabled(prev);
  }
  let i = 0;
  for (const leaf of leafGrads.keys()) onLeaf(leaf, results[i++]);
}

/** Runs one node's rule and returns each input's gradient, summed back to the input's shape. */
function applyRule(
  node: GraphNode,
  dy: Tensor,
  createGraph: boolean,
): [NonNullable<GraphNode['edges'][number]>, Tensor][] {
  if (node.isFreed) {
    throw new GradientError(
      `backward: the graph through '${node.op}' was already freed by an earlier backward(); pass { retainGraph: true } to the first call`,
    );
  }
  if (!node.entry) throw new GradientError(`backward: no gradient rule is registered for op '${node.op}'`);
  const inputs = node.savedInputs.map((s) => (s instanceof SavedTensor ? s.materialize(createGraph) : s));
  const output = node.savedOutput?.materialize(createGraph);
  const inGrads = node.entry.rule(dy, {
    inputs: inputs as (Tensor | number)[],
    output: output as Tensor,
    attrs: node.attrs,
    inputShapes: node.inputShapes,
    needs: node.needs,
    backends: node.backends,
  });
  const out: [NonNullable<GraphNode['edges'][number]>, Tensor][] = [];
  node.edges.forEach((edge, i) => {
    const g = inGrads[i];
    if (!edge || !g) return;
    const shaped = unbroadcast(g, node.inputShapes[i]);
    if (!shapesEqual(shaped.shape, node.inputShapes[i])) {
      throw new GradientError(
        `backward: the rule for '${node.op}' gave a gradient of shape ${fmtShape(shaped.shape)} for an input of shape ${fmtShape(node.inputShapes[i])}`,
      );
    }
    out.push([edge, shaped]);
  });
  return out;
}

/** PyTorch-style backward: accumulates into `.grad` of every leaf that requires grad. */
export function backward(root: Tensor, seed?: Tensor, options: BackwardOptions = {}): void {
  runBackward(root, seed, options, (leaf, g) => {
    if (leaf.isDisposed) {
      g.dispose();
      return;
    }
    // .grad outlives any tidy() around backward, as in PyTorch; zeroGrad() frees it.
    if (leaf.grad && !leaf.grad.isDisposed) {
      const sum = tidy(() => add(leaf.grad as Tensor, g)).keep();
      leaf.grad.dispose();
      g.dispose();
      leaf.grad = sum;
    } else {
      leaf.grad = g.keep();
    }
  });
}
