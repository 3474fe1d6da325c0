import { ArgumentError, type Tensor, tidy } from '@tsdl/tensor';
import { type Layer, type Shape } from '../layers/layer';
import { saveModel } from '../io/save';
import { Model } from './model';
import type { SummaryRow } from './summary';

/** A linear stack of layers: `new Sequential([new Flatten({ inputShape: [28, 28] }), new Dense({ units: 10 })])`. */
export class Sequential extends Model {
  private readonly stack: Layer[] = [];
  private inputShape: Shape | null = null;

  constructor(args: Layer[] | { layers?: Layer[]; name?: string } = {}) {
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

  protected override lastLayer(): Layer | undefined {
    return this.stack[this.stack.length - 1];
  }

  /** Appends a layer; the first layer's inputShape (if given) builds the model at once. */
  add(layer: Layer): void {
    if (layer instanceof Model && layer === this) throw new ArgumentError(`${this.name}: a model cannot contain itself`);
    if (this.stack.some((l) => l.name === layer.name)) {
      throw new ArgumentError(`${this.name}: a layer named '${layer.name}' is already in the model; layer names must be unique`);
    }
    this.registerModule(layer.name, layer);
    this.stack.push(layer);
    if (this.stack.length === 1 && layer.inputShapeArg) this.build([null, ...layer.inputShapeArg]);
    else if (this.built && this.inputShape) this.build(this.inputShape);
  }

  override build(inputShape: Shape): void {
    let shape = inputShape;
    let masked = false;
    for (const l of this.stack) {
      l.expectOneOutput(`Sequential model '${this.name}'`);
      l.ensureBuilt(shape);
      // A layer that cannot take the mask an earlier one makes fails here, when the model is put together.
      masked = l.outputMasked(masked);
      shape = l.computeOutputShape(shape);
    }
    this.inputShape = inputShape;
    this.built = true;
  }

  private shapes(): Shape[] {
    if (!this.inputShape) throw new ArgumentError(`${this.name}: the model is not built yet; give the first layer an inputShape or call fit/predict first`);
    const out: Shape[] = [];
    let s = this.inputShape;
    for (const l of this.stack) out.push((s = l.computeOutputShape(s)));
    return out;
  }

  get outputShape(): Shape {
    const s = this.shapes();
    return s[s.length - 1] ?? (this.inputShape as Shape);
  }

  protected run(x: Tensor, logitsFor: string | null): { output: Tensor | null; logits: Tensor | null } {
    if (this.stack.length === 0) throw new ArgumentError(`${this.name}: the model has no layers`);
    return tidy(() => {
      let h = x;
      // The padding mask an Embedding (maskZero) or Masking layer makes, carried to the layers that read it.
      let mask: Tensor | null = null;
      const last = this.stack.length - 1;
      for (let i = 0; i < last; i++) ({ output: h, mask } = this.stack[i].callMasked(h, mask) as { output: Tensor; mask: Tensor | null });
      const out = this.outputLayer();
      // The output layer's own mask is not used (Keras would weight the loss by it).
      if (logitsFor !== null && out && out.activation === logitsFor) return { output: null, logits: out.preActivation(h) };
      return { output: this.stack[last].callMasked(h, mask).output as Tensor, logits: null };
    });
  }

  protected summaryRows(): SummaryRow[] {
    const shapes = this.shapes();
    return this.stack.map((layer, i) => ({ layer, outputShape: shapes[i] }));
  }

  override getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      buildInputShape: this.inputShape ? this.inputShape.slice(1) : null,
      layers: this.stack.map((l) => ({ className: l.className, config: l.getConfig() })),
    };
  }

  async save(path: string, options: { includeOptimizer?: boolean } = {}): Promise<void> {
    await saveModel(this, path, options);
  }
}
