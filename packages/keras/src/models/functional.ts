import { ArgumentError, ShapeError, type Tensor, Tensor as TensorClass } from '@tsdl/tensor';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { type Layer, type PartialShape, SymbolicTensor, fmtKerasShape } from '../layers/layer';
import { quote } from '../names';
import { saveModel } from '../io/save';
import { type MakeLayer, functionalConfig, functionalFromConfig } from './functional-config';
import { Graph, type GraphRun, type LogitsLayer, hasLogits } from './graph';
import { Model } from './model';
import type { SummaryRow } from './summary';

export interface FunctionalArgs {
  /** The model's inputs, from Input(): one, or a list (data then comes as a list in this order, or an object keyed by their names). */
  inputs: SymbolicTensor | SymbolicTensor[];
  /** The model's outputs: one, or a list (predict then returns a list). */
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
  trainable?: boolean;
}

/** Whether two shapes agree where both are known (same rank; a null size matches any). */
const compatible = (expected: PartialShape, got: PartialShape): boolean =>
  expected.length === got.length && expected.every((d, i) => i === 0 || d === null || got[i] === null || d === got[i]);

/**
 * A model defined by wiring layers: `const x = Input({ shape: [784] });
 * const y = new Dense({ units: 10 }).apply(new Dense({ units: 64, activation: 'relu' }).apply(x));
 * const m = model({ inputs: x, outputs: y });`. Several inputs and outputs are lists
 * (`model({ inputs: [a, b], outputs: [y1, y2] })`); a layer applied at several places shares
 * its weights; a model is itself a layer, which other models may apply.
 */
export class Functional<O extends Tensor | Tensor[] = Tensor> extends Model<O> {
  /** The model's inputs and outputs, in order (Keras' model.inputs / model.outputs). */
  readonly inputs: SymbolicTensor[];
  readonly outputs: SymbolicTensor[];
  private readonly graph: Graph;
  private readonly listOutputs: boolean;

  constructor(args: FunctionalArgs) {
    const a = camelCaseKeys(args, 'model');
    if (a === null || typeof a !== 'object' || Array.isArray(a))
      throw new ArgumentError(`model: expected an options object ({ inputs, outputs, name }), got ${quote(a)}`);
    rejectUnknownOptions('model', a, ['inputs', 'outputs', 'name', 'trainable']);
    const list = (v: unknown, what: string): SymbolicTensor[] => {
      const l = Array.isArray(v) ? v : [v];
      if (!l.every((t) => t instanceof SymbolicTensor)) {
        throw new ArgumentError(
          `model: ${what} must be symbolic tensors (from Input() and layer.apply()), or a list of them; got ${quote(v)}`,
        );
      }
      return l as SymbolicTensor[];
    };
    const inputs = list(a.inputs, 'inputs');
    const outputs = list(a.outputs, 'outputs');
    super({ name: a.name ?? 'functional' });
    this.graph = new Graph(inputs, outputs, `model '${this.name}'`);
    this.inputs = [...inputs];
    this.outputs = [...outputs];
    this.listOutputs = Array.isArray(a.outputs);
    const names = new Map<string, number>();
    outputs.forEach((o, i) => {
      const j = names.get(o.layer.name);
      if (j !== undefined) {
        throw new ArgumentError(
          `model '${this.name}': outputs[${j}] and outputs[${i}] both come from layer '${o.layer.name}'; each output needs its own layer (its name keys targets, losses and logs)`,
        );
      }
      names.set(o.layer.name, i);
    });
    for (const l of this.graph.layers) {
      if (l === (this as unknown as Layer))
        throw new ArgumentError(`model '${this.name}': a model cannot contain itself`);
      this.registerModule(l.name, l);
    }
    this.built = true;
    // As Keras: a frozen model freezes every layer in it.
    if (a.trainable !== undefined && a.trainable !== null) {
      if (typeof a.trainable !== 'boolean')
        throw new ArgumentError(`model: trainable must be true or false, got ${quote(a.trainable)}`);
      if (!a.trainable) this.trainable = false;
    }
  }

  override get className(): string {
    return 'Functional';
  }

  get layers(): Layer[] {
    return this.graph.layers;
  }

  protected override layersByName(): Layer[] {
    return this.graph.allLayers;
  }

  get outputShape(): PartialShape {
    if (this.outputs.length !== 1)
      throw new ArgumentError(`model '${this.name}' has ${this.outputs.length} outputs; see outputShapes`);
    return this.outputs[0].shape;
  }

  get outputShapes(): PartialShape[] {
    return this.outputs.map((o) => o.shape);
  }

  get inputNames(): string[] {
    return this.inputs.map((t) => t.layer.name);
  }

  get outputNames(): string[] {
    return this.outputs.map((t) => t.layer.name);
  }

  protected inputShapes(): (PartialShape | null)[] {
    return this.inputs.map((t) => t.shape);
  }

  protected get strictInputs(): boolean {
    return true;
  }

  protected get outputsAsList(): boolean {
    return this.listOutputs;
  }

  override build(inputShape: PartialShape): void {
    this.checkInputShapes([inputShape]);
    this.built = true;
  }

  protected fusableOutput(i: number): (Layer & LogitsLayer) | null {
    const o = this.outputs[i];
    if (!o || !this.graph.outputOnlyRead(i) || o.inputs.length !== 1 || o.callArgs !== null) return null;
    return hasLogits(o.layer) ? o.layer : null;
  }

  protected run(x: Tensor, logitsFor: string | null): { output: Tensor | null; logits: Tensor | null } {
    const r = this.graph.run([x], [logitsFor]);
    return { output: r.outputs[0], logits: r.logits[0] };
  }

  protected runAll(xs: Tensor[], logitsFor: readonly (string | null)[] | null): GraphRun {
    if (xs.length !== this.inputs.length)
      throw new ArgumentError(
        `model '${this.name}' takes ${this.inputs.length} inputs (${this.inputNames.join(', ')}), got ${xs.length} tensors`,
      );
    return this.graph.run(xs, logitsFor);
  }

  // ---- as a layer of another model ----

  /** How many tensors the model returns when another model applies it (such a model takes one). */
  override get outputCount(): number {
    return this.outputs.length;
  }

  /** Throws a ShapeError naming the model unless `shapes` fit its inputs. */
  private checkInputShapes(shapes: readonly PartialShape[]): void {
    if (shapes.length !== this.inputs.length) {
      throw new ArgumentError(
        `model '${this.name}' takes ${this.inputs.length} inputs (${this.inputNames.join(', ')}), got ${shapes.length}`,
      );
    }
    shapes.forEach((s, i) => {
      const want = this.inputs[i].shape;
      if (!compatible(want, s))
        throw new ShapeError(
          `model '${this.name}': input '${this.inputNames[i]}' expects shape ${fmtKerasShape(want)}, got ${fmtKerasShape(s)}`,
        );
    });
  }

  private refuseMaskedInputs(masked: boolean[]): void {
    if (masked.some((m) => m)) {
      throw new ArgumentError(
        `model '${this.name}' used as a layer does not take padding masks, but an input carries one; consume the mask first or put the masking layers inside the model`,
      );
    }
  }

  override applySymbolic(inputs: SymbolicTensor[], callArgs: Record<string, unknown> | null): SymbolicTensor {
    if (callArgs !== null)
      throw new ArgumentError(`model '${this.name}': apply takes no call options, got ${quote(callArgs)}`);
    this.expectOneOutput('a model applied as a layer');
    this.checkInputShapes(inputs.map((t) => t.shape));
    this.refuseMaskedInputs(inputs.map((t) => t.masked));
    const out = this.outputs[0];
    return new SymbolicTensor([inputs[0].shape[0], ...out.shape.slice(1)], this, inputs, out.masked);
  }

  override runNode(inputs: Tensor[], masks: (Tensor | null)[]): { output: Tensor; mask: Tensor | null } {
    this.refuseMaskedInputs(masks.map((m) => m !== null));
    const r = this.graph.run(inputs, null);
    return { output: r.outputs[0] as Tensor, mask: r.masks[0] };
  }

  override computeOutputShape(inputShape: PartialShape): PartialShape {
    this.checkInputShapes([inputShape]);
    this.expectOneOutput('a model applied as a layer');
    return [inputShape[0], ...this.outputs[0].shape.slice(1)];
  }

  override outputMasked(inputMasked: boolean): boolean {
    this.refuseMaskedInputs([inputMasked]);
    return this.outputs[0].masked;
  }

  /** Runs the model as a one-input layer (of a Sequential model: one output, a list of one included). */
  override callMasked(x: Tensor, mask: Tensor | null): { output: Tensor; mask: Tensor | null } {
    this.refuseMaskedInputs([mask !== null]);
    this.expectOneOutput('a model applied as a layer');
    const r = this.graph.run([x], null);
    return { output: r.outputs[0] as Tensor, mask: r.masks[0] };
  }

  /** Applied to tensors: `m.apply([a, b])` or `m.apply(a, b)` for several inputs, as Keras' `m([a, b])`. */
  override apply(x: any, ...rest: any[]): any {
    if (Array.isArray(x) && x.length > 0 && x.every((t) => t instanceof TensorClass))
      return (this.call as unknown as (...xs: Tensor[]) => unknown)(...(x as Tensor[]));
    return super.apply(x, ...rest);
  }

  /**
   * One row per node for a chain of layers (as Keras prints those, like a Sequential
   * model); otherwise one row per layer with Keras' 'Connected to' column, naming each
   * input of each of its nodes as 'layer[node][0]'.
   */
  protected summaryRows(): SummaryRow[] {
    if (this.graph.isChain) return this.graph.nodes.map((n) => ({ layer: n.layer, outputShape: n.shape }));
    return this.graph.allLayers.map((l) => ({
      layer: l,
      outputShape: this.graph.layerShape(l),
      connectedTo: this.graph.connections(l),
    }));
  }

  override getConfig(): Record<string, unknown> {
    return functionalConfig(this.name, this.trainable, this.graph, this.listOutputs);
  }

  /** Rebuilds a saved functional model (also one nested in another model's config); `source` names the file in errors. */
  static fromConfig(
    config: Record<string, unknown>,
    makeLayer: MakeLayer,
    source?: string,
  ): Functional<Tensor | Tensor[]> {
    const { inputs, outputs, listOutputs } = functionalFromConfig(config, makeLayer, source ?? 'Functional config');
    const m = new Functional<Tensor | Tensor[]>({
      inputs,
      outputs: listOutputs ? outputs : outputs[0],
      name: config.name as string | undefined,
    });
    if (config.trainable === false) m.trainable = false;
    return m;
  }

  async save(path: string, options: { includeOptimizer?: boolean } = {}): Promise<void> {
    await saveModel(this, path, options);
  }
}

/**
 * Keras' functional constructor: `model({ inputs, outputs })`. With a list of outputs,
 * predict returns a list of tensors.
 */
export function model(args: {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: SymbolicTensor;
  name?: string;
  trainable?: boolean;
}): Functional<Tensor>;
export function model(args: {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: SymbolicTensor[];
  name?: string;
  trainable?: boolean;
}): Functional<Tensor[]>;
export function model(args: FunctionalArgs): Functional<Tensor | Tensor[]>;
export function model(args: FunctionalArgs): Functional<Tensor | Tensor[]> {
  return new Functional<Tensor | Tensor[]>(args);
}
