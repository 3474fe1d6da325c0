import { ArgumentError, type Tensor, tidy } from '@tsdl/tensor';
import { InputLayer } from '../layers/core';
import { type Layer, type PartialShape, SymbolicTensor } from '../layers/layer';

/** The output layer of a node whose activation a fused loss can absorb (Dense's softmax …). */
export interface LogitsLayer {
  activation: string;
  preActivation(x: Tensor): Tensor;
}

export function hasLogits(l: Layer): l is Layer & LogitsLayer {
  return (
    typeof (l as unknown as LogitsLayer).preActivation === 'function' &&
    typeof (l as unknown as LogitsLayer).activation === 'string'
  );
}

/** What running the graph gives: each output's value, or its logits where those were asked for (then the value is null), and masks. */
export interface GraphRun {
  outputs: (Tensor | null)[];
  logits: (Tensor | null)[];
  masks: (Tensor | null)[];
}

const isInputNode = (t: SymbolicTensor): boolean => t.layer instanceof InputLayer && t.inputs.length === 0;

/**
 * The wiring of a functional model, from its symbolic inputs and outputs: the nodes
 * (one per layer application, so a shared layer has several) in an order where every
 * node comes after its inputs, the layers once each, and each node's index among its
 * layer's nodes in this model (Keras' node index, which saved configs and summary's
 * 'Connected to' name).
 */
export class Graph {
  /** Every node, inputs first (in the order given), each after the nodes it reads. */
  readonly nodes: SymbolicTensor[];
  /** The layers in the order their first node runs, each once, InputLayers included. */
  readonly allLayers: Layer[];
  private readonly nodeIndices = new Map<SymbolicTensor, number>();
  private readonly nodesOf = new Map<Layer, SymbolicTensor[]>();
  /** How many nodes read each node (fit folds an output's activation into its loss only where nothing else reads it). */
  private readonly readers = new Map<SymbolicTensor, number>();

  constructor(
    readonly inputs: readonly SymbolicTensor[],
    readonly outputs: readonly SymbolicTensor[],
    who: string,
  ) {
    if (inputs.length === 0) throw new ArgumentError(`${who}: inputs must not be empty`);
    if (outputs.length === 0) throw new ArgumentError(`${who}: outputs must not be empty`);
    inputs.forEach((t, i) => {
      if (!isInputNode(t))
        throw new ArgumentError(
          `${who}: inputs must come from Input(); inputs[${i}] is the output of ${t.layer.name} (${t.layer.className})`,
        );
      const j = inputs.indexOf(t);
      if (j !== i)
        throw new ArgumentError(`${who}: inputs[${j}] and inputs[${i}] are the same Input ('${t.layer.name}')`);
    });
    const order: SymbolicTensor[] = [...inputs];
    const seen = new Set<SymbolicTensor>(inputs);
    // Iterative depth-first order (a long chain of layers must not overflow the stack).
    for (const out of outputs) {
      const stack: [SymbolicTensor, number][] = [[out, 0]];
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        const [t, next] = top;
        if (seen.has(t)) {
          stack.pop();
          continue;
        }
        if (next < t.inputs.length) {
          top[1]++;
          stack.push([t.inputs[next], 0]);
          continue;
        }
        stack.pop();
        if (isInputNode(t)) {
          throw new ArgumentError(
            `${who}: the outputs are not computed from the given inputs: they read Input '${t.layer.name}', which is not one of the model's inputs`,
          );
        }
        seen.add(t);
        order.push(t);
      }
    }
    this.nodes = order;
    const byName = new Map<string, Layer>();
    for (const n of order) {
      const list = this.nodesOf.get(n.layer);
      if (list) list.push(n);
      else {
        const other = byName.get(n.layer.name);
        if (other)
          throw new ArgumentError(
            `${who}: two different layers are named '${n.layer.name}' (${other.className} and ${n.layer.className}); layer names in a model must be unique`,
          );
        byName.set(n.layer.name, n.layer);
        this.nodesOf.set(n.layer, [n]);
      }
      this.nodeIndices.set(n, (this.nodesOf.get(n.layer) as SymbolicTensor[]).length - 1);
      for (const i of n.inputs) this.readers.set(i, (this.readers.get(i) ?? 0) + 1);
    }
    this.allLayers = [...this.nodesOf.keys()];
  }

  /** The layers that compute (InputLayers left out), in execution order. */
  get layers(): Layer[] {
    return this.allLayers.filter((l) => !(l instanceof InputLayer));
  }

  /** The index of `node` among its layer's nodes in this model. */
  nodeIndex(node: SymbolicTensor): number {
    return this.nodeIndices.get(node) as number;
  }

  /** The nodes of `layer` in this model, in order. */
  layerNodes(layer: Layer): readonly SymbolicTensor[] {
    return this.nodesOf.get(layer) ?? [];
  }

  /**
   * Whether Keras would print the model like a Sequential one: one input, one output, each
   * layer applied once to one input (a chain). Anything else gets a 'Connected to' column.
   */
  get isChain(): boolean {
    return (
      this.inputs.length === 1 &&
      this.outputs.length === 1 &&
      this.nodes.every((n) => n.inputs.length <= 1) &&
      [...this.nodesOf.values()].every((l) => l.length === 1)
    );
  }

  /** Whether output `i`'s value is read only as an output (so its activation may be left to a fused loss). */
  outputOnlyRead(i: number): boolean {
    const o = this.outputs[i];
    return (this.readers.get(o) ?? 0) === 0 && this.outputs.indexOf(o) === i && !isInputNode(o);
  }

  /**
   * Runs the nodes in order on `xs` (one tensor per input) with the inputs' masks. Where
   * `logitsFor[i]` names output i's activation (and nothing else reads that output), its
   * layer's pre-activation values are returned as `logits[i]` and the activation is not
   * computed (`outputs[i]` null): fit's fused loss reads the logits.
   */
  run(
    xs: readonly Tensor[],
    logitsFor: readonly (string | null)[] | null,
    inputMasks: readonly (Tensor | null)[] | null = null,
  ): GraphRun {
    return tidy(() => {
      const values = new Map<SymbolicTensor, Tensor>();
      // Padding masks (from an Embedding with maskZero or a Masking layer) by node; absent: none.
      const masks = new Map<SymbolicTensor, Tensor>();
      this.inputs.forEach((t, i) => {
        values.set(t, xs[i]);
        const m = inputMasks?.[i];
        if (m) masks.set(t, m);
      });
      const logits: (Tensor | null)[] = this.outputs.map(() => null);
      const fused = new Set<SymbolicTensor>();
      if (logitsFor) {
        this.outputs.forEach((o, i) => {
          const want = logitsFor[i];
          if (
            want === null ||
            want === undefined ||
            !this.outputOnlyRead(i) ||
            o.inputs.length !== 1 ||
            o.callArgs !== null
          )
            return;
          if (!hasLogits(o.layer) || o.layer.activation !== want) return;
          fused.add(o);
        });
      }
      for (const node of this.nodes) {
        if (values.has(node)) continue;
        if (fused.has(node)) {
          logits[this.outputs.indexOf(node)] = (node.layer as Layer & LogitsLayer).preActivation(
            values.get(node.inputs[0]) as Tensor,
          );
          continue;
        }
        const r =
          node.inputs.length === 1 && node.callArgs === null
            ? node.layer.callMasked(values.get(node.inputs[0]) as Tensor, masks.get(node.inputs[0]) ?? null)
            : node.layer.runNode(
                node.inputs.map((i) => values.get(i) as Tensor),
                node.inputs.map((i) => masks.get(i) ?? null),
                node.callArgs,
              );
        values.set(node, r.output as Tensor);
        if (r.mask) masks.set(node, r.mask);
      }
      return {
        outputs: this.outputs.map((o) => (fused.has(o) ? null : (values.get(o) as Tensor))),
        logits,
        masks: this.outputs.map((o) => masks.get(o) ?? null),
      };
    });
  }

  /** Each layer's output shape over its nodes here: one shape, or 'multiple' where they differ (as Keras' summary). */
  layerShape(layer: Layer): PartialShape | 'multiple' {
    const shapes = this.layerNodes(layer).map((n) => n.shape);
    return shapes.every((s) => s.join() === shapes[0].join()) ? shapes[0] : 'multiple';
  }

  /** Keras' 'Connected to' entries of a layer: 'dense[0][0]' for every input of every node of it. */
  connections(layer: Layer): string[] {
    return this.layerNodes(layer).flatMap((n) => n.inputs.map((i) => `${i.layer.name}[${this.nodeIndex(i)}][0]`));
  }
}

export { isInputNode };
