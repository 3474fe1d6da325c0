import { ArgumentError, type Tensor, tidy } from '@tsdl/tensor';
import { InputLayer } from '../layers/core';
import { type Layer, type Shape, SymbolicTensor } from '../layers/layer';
import { saveModel } from '../io/save';
import { Model } from './model';
import type { SummaryRow } from './summary';

export interface FunctionalArgs {
  inputs: SymbolicTensor;
  outputs: SymbolicTensor;
  name?: string;
}

/**
 * A model defined by wiring layers: `const x = Input({ shape: [784] });
 * const y = new Dense({ units: 10 }).apply(new Dense({ units: 64, activation: 'relu' }).apply(x));
 * const m = model({ inputs: x, outputs: y });` (one input and one output).
 */
export class Functional extends Model {
  readonly inputs: SymbolicTensor;
  readonly outputs: SymbolicTensor;
  /** Symbolic tensors in execution order, the input first. */
  private readonly nodes: SymbolicTensor[];

  constructor(args: FunctionalArgs) {
    super({ name: args.name ?? 'functional' });
    if (!(args?.inputs instanceof SymbolicTensor) || !(args.outputs instanceof SymbolicTensor)) {
      throw new ArgumentError('model: inputs and outputs must be symbolic tensors (from Input() and layer.apply())');
    }
    if (!(args.inputs.layer instanceof InputLayer)) throw new ArgumentError('model: inputs must come from Input()');
    this.inputs = args.inputs;
    this.outputs = args.outputs;
    this.nodes = topoSort(args.outputs);
    if (this.nodes[0] !== args.inputs) throw new ArgumentError('model: the outputs are not computed from the given inputs');
    for (const l of this.layers) this.registerModule(l.name, l);
    this.built = true;
  }

  override get className(): string {
    return 'Functional';
  }

  get layers(): Layer[] {
    const seen = new Set<Layer>();
    for (const n of this.nodes) if (!(n.layer instanceof InputLayer)) seen.add(n.layer);
    return [...seen];
  }

  get outputShape(): Shape {
    return this.outputs.shape;
  }

  override build(_inputShape: Shape): void {
    this.built = true;
  }

  protected run(x: Tensor, logitsFor: string | null): { output: Tensor | null; logits: Tensor | null } {
    return tidy(() => {
      const values = new Map<SymbolicTensor, Tensor>([[this.inputs, x]]);
      // Padding masks (from an Embedding with maskZero or a Masking layer) by node; absent: none.
      const masks = new Map<SymbolicTensor, Tensor>();
      for (const node of this.nodes) {
        if (node === this.inputs) continue;
        const input = values.get(node.inputs[0]) as Tensor;
        const out = node === this.outputs ? this.outputLayer() : null;
        // The output node is last in execution order, so nothing else reads its value.
        if (logitsFor !== null && out && node.layer === out && out.activation === logitsFor) return { output: null, logits: out.preActivation(input) };
        const r =
          node.inputs.length === 1 && node.callArgs === null
            ? node.layer.callMasked(input, masks.get(node.inputs[0]) ?? null)
            : node.layer.runNode(
                node.inputs.map((i) => values.get(i) as Tensor),
                node.inputs.map((i) => masks.get(i) ?? null),
                node.callArgs,
              );
        values.set(node, r.output as Tensor);
        if (r.mask) masks.set(node, r.mask);
      }
      return { output: values.get(this.outputs) as Tensor, logits: null };
    });
  }

  /** The layer producing the output, if its activation can fold into the loss. */
  protected override outputLayer() {
    const l = this.outputs.layer as Layer & { activation?: unknown; preActivation?: unknown };
    return typeof l.preActivation === 'function' && typeof l.activation === 'string'
      ? (l as Layer & { activation: string; preActivation(x: Tensor): Tensor })
      : null;
  }

  /**
   * One row per node, the input included. Every layer here has one input, so the
   * graph is a chain, which Keras prints like a Sequential model (no 'Connected to').
   */
  protected summaryRows(): SummaryRow[] {
    return this.nodes.map((n) => ({ layer: n.layer, outputShape: n.shape }));
  }

  override getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      layers: this.nodes.map((n) => ({
        className: n.layer.className,
        config: n.layer.getConfig(),
        inbound: n.inputs.map((i) => i.layer.name),
        ...(n.callArgs === null ? {} : { callArgs: n.callArgs }),
      })),
      inputLayer: this.inputs.layer.name,
      outputLayer: this.outputs.layer.name,
    };
  }

  async save(path: string, options: { includeOptimizer?: boolean } = {}): Promise<void> {
    await saveModel(this, path, options);
  }
}

/** Symbolic tensors reachable backwards from `out`, inputs before the nodes that use them. */
function topoSort(out: SymbolicTensor): SymbolicTensor[] {
  const order: SymbolicTensor[] = [];
  const seen = new Set<SymbolicTensor>();
  const visit = (t: SymbolicTensor): void => {
    if (seen.has(t)) return;
    seen.add(t);
    for (const i of t.inputs) visit(i);
    order.push(t);
  };
  visit(out);
  return order;
}

/** Keras' functional constructor: `model({ inputs, outputs })`. */
export function model(args: FunctionalArgs): Functional {
  return new Functional(args);
}
