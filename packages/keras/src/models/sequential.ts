import { ArgumentError, DataFormatError, type Tensor, tidy } from '@tsdl/tensor';
import { InputLayer } from '../layers/core';
import { Layer, type PartialShape, SymbolicTensor } from '../layers/layer';
import { quote } from '../names';
import { saveModel } from '../io/save';
import type { MakeLayer } from './functional-config';
import { type GraphRun, type LogitsLayer, hasLogits } from './graph';
import { Model } from './model';
import type { SummaryRow } from './summary';

/**
 * A linear stack of layers: `new Sequential([new Flatten({ inputShape: [28, 28] }), new Dense({ units: 10 })])`,
 * or with an Input first, as Keras' docs write it: `new Sequential([Input({ shape: [784] }), new Dense({ units: 10 })])`.
 */
export class Sequential extends Model {
  private readonly stack: Layer[] = [];
  private builtShape: PartialShape | null = null;
  /** The name of the Input the model was given (it keys name-keyed data); null: none given. */
  private inputName: string | null = null;

  constructor(args: (Layer | SymbolicTensor)[] | { layers?: (Layer | SymbolicTensor)[]; name?: string } = {}) {
    const a = Array.isArray(args) ? { layers: args } : args;
    super({ name: a.name });
    for (const l of a.layers ?? []) this.add(l);
  }

  override get className(): string {
    return 'Sequential';
  }

  get layers(): Layer[] {
    return [...this.stack];
  }

  /**
   * Appends a layer; the first layer's inputShape (if given) builds the model at once. An
   * Input (`Input({ shape })` or an InputLayer), as Keras allows, only first: it gives the
   * input shape and is not a layer of the model.
   */
  add(layer: Layer | SymbolicTensor): void {
    if (layer instanceof SymbolicTensor) {
      if (!(layer.layer instanceof InputLayer) || layer.inputs.length > 0) {
        throw new ArgumentError(
          `${this.name}.add: a symbolic tensor can only be added as the model's Input (from Input()); got the output of ${layer.layer.name} (${layer.layer.className})`,
        );
      }
      this.addInput(layer.layer);
      return;
    }
    if (layer instanceof InputLayer) {
      this.addInput(layer);
      return;
    }
    if (!(layer instanceof Layer))
      throw new ArgumentError(`${this.name}.add: expected a layer or an Input, got ${quote(layer)}`);
    if (layer === (this as Layer)) throw new ArgumentError(`${this.name}: a model cannot contain itself`);
    if (this.stack.some((l) => l.name === layer.name)) {
      throw new ArgumentError(
        `${this.name}: a layer named '${layer.name}' is already in the model; layer names must be unique`,
      );
    }
    this.registerModule(layer.name, layer);
    this.stack.push(layer);
    // A first layer with an inputShape, or a model whose input shape is known, builds the model at once.
    const given = layer.inputShapeArg
      ? [null, ...layer.inputShapeArg]
      : layer instanceof Model && layer.inputNames.length === 1
        ? (layer.inputShape as PartialShape | null)
        : null;
    if (this.stack.length === 1 && !this.builtShape && given) this.build(given);
    else if (this.built && this.builtShape) this.build(this.builtShape);
  }

  private addInput(input: InputLayer): void {
    if (this.stack.length > 0 || this.inputName !== null) {
      throw new ArgumentError(
        `${this.name}.add: an Input ('${input.name}') can only come first, before any layer, and only once`,
      );
    }
    this.inputName = input.name;
    this.build([null, ...input.shape]);
  }

  override build(inputShape: PartialShape): void {
    let shape = inputShape;
    let masked = false;
    for (const l of this.stack) {
      l.expectOneOutput(`Sequential model '${this.name}'`);
      l.ensureBuilt(shape);
      // A layer that cannot take the mask an earlier one makes fails here, when the model is put together.
      masked = l.outputMasked(masked);
      shape = l.computeOutputShape(shape);
    }
    this.builtShape = inputShape;
    this.built = true;
  }

  private shapes(): PartialShape[] {
    if (!this.builtShape)
      throw new ArgumentError(
        `${this.name}: the model is not built yet; give the first layer an inputShape or call fit/predict first`,
      );
    const out: PartialShape[] = [];
    let s = this.builtShape;
    for (const l of this.stack) out.push((s = l.computeOutputShape(s)));
    return out;
  }

  get outputShape(): PartialShape {
    const s = this.shapes();
    return s[s.length - 1] ?? (this.builtShape as PartialShape);
  }

  get outputShapes(): PartialShape[] {
    return [this.outputShape];
  }

  /** The Input's name if one was given, else Keras 2's '<first layer>_input'. */
  get inputNames(): string[] {
    return [this.inputName ?? `${this.stack[0]?.name ?? this.name}_input`];
  }

  get outputNames(): string[] {
    return [this.stack[this.stack.length - 1]?.name ?? this.name];
  }

  protected inputShapes(): (PartialShape | null)[] {
    return [this.builtShape];
  }

  protected get strictInputs(): boolean {
    return false;
  }

  protected get outputsAsList(): boolean {
    return false;
  }

  protected fusableOutput(i: number): (Layer & LogitsLayer) | null {
    const last = this.stack[this.stack.length - 1];
    return i === 0 && last && hasLogits(last) ? last : null;
  }

  protected run(x: Tensor, logitsFor: string | null): { output: Tensor | null; logits: Tensor | null } {
    return this.runFrom(x, null, logitsFor);
  }

  /** run, starting from the input's padding mask (a Sequential model used as a layer), returning the output's. */
  private runFrom(
    x: Tensor,
    inputMask: Tensor | null,
    logitsFor: string | null,
  ): { output: Tensor | null; logits: Tensor | null; mask: Tensor | null } {
    if (this.stack.length === 0) throw new ArgumentError(`${this.name}: the model has no layers`);
    return tidy(() => {
      let h = x;
      // The padding mask an Embedding (maskZero) or Masking layer makes, carried to the layers that read it.
      let mask: Tensor | null = inputMask;
      const last = this.stack.length - 1;
      for (let i = 0; i < last; i++)
        ({ output: h, mask } = this.stack[i].callMasked(h, mask) as { output: Tensor; mask: Tensor | null });
      const out = this.outputLayer();
      // The output layer's own mask is not used by fit (Keras would weight the loss by it).
      if (logitsFor !== null && out && out.activation === logitsFor)
        return { output: null, logits: out.preActivation(h), mask: null };
      const r = this.stack[last].callMasked(h, mask);
      return { output: r.output as Tensor, logits: null, mask: r.mask };
    });
  }

  protected runAll(xs: Tensor[], logitsFor: readonly (string | null)[] | null): GraphRun {
    if (xs.length !== 1)
      throw new ArgumentError(`${this.name}: a Sequential model takes one input, got ${xs.length} tensors`);
    const r = this.runFrom(xs[0], null, logitsFor?.[0] ?? null);
    return { outputs: [r.output], logits: [r.logits], masks: [r.mask] };
  }

  // ---- as a layer of another model ----

  override computeOutputShape(inputShape: PartialShape): PartialShape {
    if (!this.built) this.build(inputShape);
    return this.stack.reduce((s, l) => l.computeOutputShape(s), inputShape);
  }

  override outputMasked(inputMasked: boolean): boolean {
    return this.stack.reduce((m, l) => l.outputMasked(m), inputMasked);
  }

  override callMasked(x: Tensor, mask: Tensor | null): { output: Tensor; mask: Tensor | null } {
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    const r = this.runFrom(x, mask, null);
    return { output: r.output as Tensor, mask: r.mask };
  }

  protected summaryRows(): SummaryRow[] {
    const shapes = this.shapes();
    return this.stack.map((layer, i) => ({ layer, outputShape: shapes[i] }));
  }

  override getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      ...(this.trainable ? {} : { trainable: false }),
      buildInputShape: this.builtShape ? this.builtShape.slice(1) : null,
      ...(this.inputName === null ? {} : { inputName: this.inputName }),
      layers: this.stack.map((l) => ({ className: l.className, config: l.getConfig() })),
    };
  }

  /** Rebuilds a saved Sequential model (also one nested in another model's config). */
  static fromConfig(config: Record<string, unknown>, makeLayer: MakeLayer): Sequential {
    if (!Array.isArray(config.layers))
      throw new DataFormatError(`Sequential config: layers must be a list, got ${quote(config.layers)}`);
    const m = new Sequential({ name: config.name as string | undefined });
    const shape = config.buildInputShape;
    if (typeof config.inputName === 'string')
      m.add(new InputLayer({ shape: shape as number[], name: config.inputName }));
    (config.layers as { className: string; config: Record<string, unknown> }[]).forEach((entry, i) =>
      m.add(makeLayer(entry, i)),
    );
    if (!m.built && Array.isArray(shape)) m.build([null, ...(shape as number[])]);
    if (config.trainable === false) m.trainable = false;
    return m;
  }

  async save(path: string, options: { includeOptimizer?: boolean } = {}): Promise<void> {
    await saveModel(this, path, options);
  }
}
