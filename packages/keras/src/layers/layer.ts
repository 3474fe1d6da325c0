import { ArgumentError, ShapeError, type Tensor, Tensor as TensorClass, tidy, zeros } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { noGrad } from '@tsdl/autograd';
import { Module } from '@tsdl/nn';
import { makeWeight } from '../initializers';
import { quote } from '../names';
import { checkWeightSize, optionalBool, positiveInt, sampleShape } from './options';

/** A shape with the batch dimension (and any unknown one) as null, as Keras prints `(None, 784)`. */
export type PartialShape = (number | null)[];

/** The options every layer takes (beside its own). */
export const LAYER_OPTIONS = ['name', 'inputShape', 'inputDim', 'trainable'] as const;

export interface LayerArgs {
  name?: string;
  /** The shape of one sample (no batch dimension); makes the layer build at once. */
  inputShape?: number[];
  /** Keras' input_dim: the same as `inputShape: [inputDim]` (except on Embedding, where it is the vocabulary size). */
  inputDim?: number;
  /** false: the layer's weights are frozen (not trained); settable later as `layer.trainable = false`. */
  trainable?: boolean;
}

/** Layers with an option of their own named inputDim (Keras' Embedding: the vocabulary size), which therefore is no input shape. */
const OWN_INPUT_DIM = new Set(['Embedding']);

/** The input shape `args` gives: inputShape, or Keras' inputDim as [inputDim]. */
function inputShapeOf(layer: string, args: LayerArgs): number[] | undefined {
  const shape =
    args.inputShape === undefined || args.inputShape === null
      ? undefined
      : sampleShape(layer, 'inputShape', args.inputShape);
  if (args.inputDim === undefined || args.inputDim === null || OWN_INPUT_DIM.has(layer)) return shape;
  const dim = positiveInt(layer, 'inputDim', args.inputDim);
  if (shape && (shape.length !== 1 || shape[0] !== dim)) {
    throw new ArgumentError(
      `${layer}: inputDim ${dim} and inputShape [${shape.join(', ')}] disagree; give one of them (inputDim: n is inputShape: [n])`,
    );
  }
  return [dim];
}

/** Where a sub-layer found in a property of another layer sits: that layer and the property (arrays: 'blocks_0'). */
interface Tracked {
  parent: Layer;
  key: string;
}

/**
 * A placeholder flowing through layers to build a functional model:
 * `const x = Input({ shape: [784] }); const y = new Dense(10).apply(x);`.
 */
export class SymbolicTensor {
  private static next = 0;
  readonly id = SymbolicTensor.next++;
  constructor(
    readonly shape: PartialShape,
    /** The layer that produced it. */
    readonly layer: Layer,
    /** The symbolic inputs that layer was applied to. */
    readonly inputs: readonly SymbolicTensor[],
    /** Whether the tensor will carry a padding mask (see Layer.computeMask). */
    readonly masked = false,
    /** JSON options of the layer's call at this node (MultiHeadAttention's useCausalMask), saved with the model; null: none. */
    readonly callArgs: Readonly<Record<string, unknown>> | null = null,
  ) {}
}

/**
 * Layers defined without mask code that pass a mask through unchanged, as
 * Keras' do (supports_masking with the default compute_mask): they work on
 * each time step alone, so a padded step stays a padded step.
 */
const PASSES_MASK = new Set(['Dense', 'Dropout', 'Activation', 'BatchNormalization', 'LayerNormalization']);

const nameCounts = new Map<string, number>();

/** Keras' automatic layer names: dense, dense_1, dense_2 … */
export function uniqueName(base: string): string {
  const n = nameCounts.get(base) ?? 0;
  nameCounts.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

/** Keras' to_snake_case: 'MaxPooling2D' → 'max_pooling2d', 'BatchNormalization' → 'batch_normalization'. */
function snake(name: string): string {
  return name
    .replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * A Keras layer: an nn Module that creates its weights on first use from the
 * input shape (`build`), knows its output shape (`computeOutputShape`), can be
 * applied to real or symbolic tensors, and describes itself as JSON
 * (`getConfig`) so models can be saved and rebuilt.
 */
export abstract class Layer extends Module {
  readonly name: string;
  readonly inputShapeArg: number[] | undefined;
  built = false;
  /** This layer's own weights by name, in creation order (for getWeights/setWeights and saving). */
  readonly #weights = new Map<string, Tensor>();
  /** Names of the own weights that train (not BatchNormalization's moving statistics). */
  readonly #trainableKind = new Set<string>();
  #trainable: boolean;
  /** Set when this layer was found in a property of another layer (see trackSublayers). */
  #tracked: Tracked | null = null;
  /** Output shapes found by running the layer (see computeOutputShape), by input shape. */
  readonly #probedShapes = new Map<string, PartialShape | null>();

  constructor(args: LayerArgs = {}) {
    super();
    const name: unknown = args.name;
    if (name !== undefined && name !== null && (typeof name !== 'string' || name === '')) {
      throw new ArgumentError(`${this.className}: name must be a non-empty string, got ${quote(name)}`);
    }
    this.name = (name as string | undefined | null) ?? uniqueName(snake(this.className));
    this.inputShapeArg = inputShapeOf(this.className, args);
    this.#trainable = optionalBool(this.className, 'trainable', args.trainable, true);
  }

  /** The layer as error messages name it: 'conv2d_1 (Conv2D)'. */
  protected get label(): string {
    return `${this.name} (${this.className})`;
  }

  /**
   * The Keras class name ('Dense', 'Conv2D' …), used in names, summaries and saved configs.
   * tsdl's layers return a literal (stable under minification); a custom layer gets its
   * JavaScript class name unless it overrides this, as Keras names a subclass after itself.
   */
  get className(): string {
    return this.constructor.name;
  }

  /** Creates the weights for an input shape (batch dimension included, as null). */
  build(_inputShape: PartialShape): void {
    this.built = true;
  }

  /**
   * The output shape for an input shape (batch dimension included). By default the input
   * shape, except for a layer that holds layers (a custom block): its output shape is
   * found by running it once on zeros, as Keras 3 runs call symbolically.
   */
  computeOutputShape(inputShape: PartialShape): PartialShape {
    if (this.trackedChildren().length === 0) return inputShape;
    return this.probe(inputShape) ?? inputShape;
  }

  /** The layer's constructor arguments as JSON (name included). */
  getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = { name: this.name, trainable: this.#trainable };
    if (this.inputShapeArg) c.inputShape = this.inputShapeArg;
    return c;
  }

  /** Whether the layer's weights train. */
  get trainable(): boolean {
    return this.#trainable;
  }

  /**
   * Freezes (false) or unfreezes the layer and every layer inside it (a model's layers, a
   * custom layer's sub-layers), as Keras: frozen weights stop requiring gradients, so the
   * optimizer skips them (PyTorch's requires_grad_(False)), and a frozen
   * BatchNormalization runs in inference mode. Takes effect at the next training step.
   */
  set trainable(on: boolean) {
    if (typeof on !== 'boolean')
      throw new ArgumentError(`${this.label}: trainable must be true or false, got ${quote(on)}`);
    const seen = new Set<Layer>();
    const visit = (l: Layer): void => {
      if (seen.has(l)) return;
      seen.add(l);
      l.#trainable = on;
      for (const name of l.#trainableKind) (l.#weights.get(name) as Tensor).requiresGrad = on;
      for (const c of l.children()) if (c instanceof Layer) visit(c);
    };
    visit(this);
  }

  /** Creates a weight with a Keras initializer; `trainable: false` makes a buffer (no gradient, ever: moving statistics). */
  protected addWeight(
    name: string,
    shape: number[],
    initializer: string,
    options: { trainable?: boolean; seed?: number } = {},
  ): Tensor {
    checkWeightSize(this.label, name, shape);
    let w: Tensor;
    try {
      w = makeWeight(initializer, shape, options.seed);
    } catch (e) {
      // A size the backend cannot hold: say which layer and weight asked for it.
      if (e instanceof ShapeError)
        throw new ShapeError(`${this.label}: cannot make weight '${name}' of shape [${shape.join(',')}]: ${e.message}`);
      throw e;
    }
    const trains = options.trainable ?? true;
    const t = trains ? this.registerParameter(name, w) : this.registerBuffer(name, w);
    // A weight made while the layer is frozen starts frozen.
    if (trains) {
      t.requiresGrad = this.#trainable;
      this.#trainableKind.add(name);
    }
    this.#weights.set(name, t);
    return t;
  }

  /**
   * This layer's weights (trainable and not), in creation order, with their names; then
   * those of the layers it holds in properties, named '<property>/<weight>' ('conv1/kernel').
   * A model names each weight '<layer>/<weight>' in front of these.
   */
  namedWeights(): [string, Tensor][] {
    const out: [string, Tensor][] = [...this.#weights];
    const seen = new Set(this.#weights.values());
    for (const [key, child] of this.trackedEntries()) {
      for (const [k, w] of child.namedWeights()) {
        // A weight reached twice (a sub-layer held in two properties) is listed once.
        if (seen.has(w)) continue;
        seen.add(w);
        out.push([`${key}/${k}`, w]);
      }
    }
    return out;
  }

  /** Every weight (namedWeights' tensors, not copies: do not dispose them). Keras' layer.weights. */
  get weights(): Tensor[] {
    return this.namedWeights().map(([, w]) => w);
  }

  /** The weights that train: those that require gradients. Keras' trainable_weights (the tensors themselves). */
  get trainableWeights(): Tensor[] {
    return this.weights.filter((w) => w.requiresGrad);
  }

  /** The weights that do not train: frozen ones and statistics such as BatchNormalization's moving mean. */
  get nonTrainableWeights(): Tensor[] {
    return this.weights.filter((w) => !w.requiresGrad);
  }

  /** Copies of the weights, in namedWeights' order (the caller disposes them). Keras' get_weights. */
  getWeights(): Tensor[] {
    return this.namedWeights().map(([, w]) => w.clone());
  }

  /** Replaces the weights' values (same order and shapes as getWeights); everything is checked before anything is written. */
  setWeights(weights: readonly Tensor[]): void {
    const own = this.namedWeights();
    if (!Array.isArray(weights) || weights.length !== own.length) {
      throw new ArgumentError(
        `${this.label}.setWeights: got ${Array.isArray(weights) ? weights.length : quote(weights)} tensors for ${own.length} weights`,
      );
    }
    own.forEach(([name, w], i) => {
      const v: unknown = weights[i];
      if (!(v instanceof TensorClass))
        throw new ArgumentError(`${this.label}.setWeights: weight ${i} ('${name}') must be a Tensor, got ${quote(v)}`);
      if (v.shape.join() !== w.shape.join())
        throw new ShapeError(
          `${this.label}.setWeights: '${name}' has shape ${fmtShape(w.shape)}, got ${fmtShape(v.shape)}`,
        );
    });
    own.forEach(([, w], i) => w.assign(weights[i]));
  }

  /**
   * The name a weight of this layer has in a saved model: '<layer>/<weight>', or for a
   * layer found in a property of another, that layer's path and the property
   * ('block/conv1/kernel'). Used to check a saved file's shapes before building.
   */
  weightPath(name: string): string {
    const t = this.#tracked;
    return t ? t.parent.weightPath(`${t.key}/${name}`) : `${this.name}/${name}`;
  }

  /**
   * Builds the layer for `inputShape` if it is not built yet. A layer holding layers in its
   * properties then runs once on zeros (in inference mode, without gradients), so that they
   * build too and their weights exist for summary, getWeights and loading, as Keras 3 builds
   * sub-layers by running call symbolically.
   */
  ensureBuilt(inputShape: PartialShape): void {
    if (this.built) return;
    this.buildNow(inputShape);
    if (this.trackedChildren().some((c) => !c.built)) this.probe(inputShape);
  }

  /** Runs build (finding sub-layers before and after it: build may make them) and marks the layer built. */
  private buildNow(inputShape: PartialShape): void {
    this.trackSublayers();
    this.build(inputShape);
    this.built = true;
    this.trackSublayers();
  }

  /**
   * Runs the layer on zeros of `inputShape` (batch 1; float32, then int32 for a layer
   * that takes indices) and returns its output shape, or null when the shape has unknown
   * sizes or the run fails (the layer then builds at its first real call, which reports
   * any error). Results are kept per input shape.
   */
  private probe(inputShape: PartialShape): PartialShape | null {
    const key = inputShape.join();
    if (this.#probedShapes.has(key)) return this.#probedShapes.get(key) as PartialShape | null;
    let out: PartialShape | null = null;
    if (inputShape.slice(1).every((d) => d !== null)) {
      const shape = [1, ...(inputShape.slice(1) as number[])];
      const wasTraining = this.training;
      this.eval();
      try {
        for (const dtype of ['float32', 'int32'] as const) {
          try {
            out = noGrad(() =>
              tidy(() => {
                const y = this.call(...([zeros(shape, dtype)] as Parameters<this['forward']>)) as unknown;
                return y instanceof TensorClass ? [inputShape[0], ...y.shape.slice(1)] : null;
              }),
            );
            break;
          } catch {
            // Not an input this layer takes: try the next dtype, or build at the first call.
          }
        }
      } finally {
        this.train(wasTraining);
      }
    }
    this.#probedShapes.set(key, out);
    return out;
  }

  // ---- layers held in properties (Keras tracks `self.conv1 = Conv2D(...)`) ----

  /**
   * Registers every layer this layer holds in an own property (`this.conv1 = new Conv2D(…)`,
   * or an array of layers: `this.blocks = [...]`, registered as 'blocks_0', 'blocks_1' …)
   * that is not registered yet, under the property's name, so that its weights count in
   * namedWeights, summary, getWeights, trainable and saving. JavaScript cannot see the
   * assignment, so this runs before everything that walks the layer tree (build, call,
   * namedModules and the traversals built on it, children, stateDict, apply).
   */
  protected trackSublayers(seen: Set<Layer> = new Set()): void {
    if (seen.has(this)) return;
    seen.add(this);
    const registered = new Set(super.children());
    const adopt = (key: string, l: Layer): void => {
      if (registered.has(l) || l === this || this.hasAncestor(l)) return;
      this.registerModule(key, l);
      registered.add(l);
      l.#tracked ??= { parent: this, key };
    };
    for (const key of Object.keys(this)) {
      const v: unknown = (this as Record<string, unknown>)[key];
      if (v instanceof Layer) adopt(key, v);
      else if (Array.isArray(v) && v.length > 0 && v.every((e) => e instanceof Layer))
        v.forEach((l: Layer, i) => adopt(`${key}_${i}`, l));
    }
    for (const c of registered) if (c instanceof Layer) c.trackSublayers(seen);
  }

  private hasAncestor(l: Layer): boolean {
    for (let t = this.#tracked; t; t = t.parent.#tracked) if (t.parent === l) return true;
    return false;
  }

  /** The sub-layers found in this layer's properties, with their registered names. */
  private trackedEntries(): [string, Layer][] {
    this.trackSublayers();
    return super
      .namedChildren()
      .filter(
        (e): e is [string, Layer] =>
          e[1] instanceof Layer && e[1].#tracked?.parent === this && e[1].#tracked.key === e[0],
      );
  }

  private trackedChildren(): Layer[] {
    return this.trackedEntries().map(([, l]) => l);
  }

  override namedModules(prefix = ''): [string, Module][] {
    this.trackSublayers();
    return super.namedModules(prefix);
  }

  override children(): Module[] {
    this.trackSublayers();
    return super.children();
  }

  override namedChildren(): [string, Module][] {
    this.trackSublayers();
    return super.namedChildren();
  }

  override stateDict(): Record<string, Tensor> {
    this.trackSublayers();
    return super.stateDict();
  }

  override toString(): string {
    this.trackSublayers();
    return super.toString();
  }

  // ---- masks (Keras' padding masks: [batch, time] bool, true where a step is real) ----

  /** Whether a mask on the input passes through unchanged (Keras' supports_masking). */
  get supportsMasking(): boolean {
    return PASSES_MASK.has(this.className);
  }

  /** Whether `forward` reads the input's mask, given as `{ mask }` in its second argument (recurrent layers, pooling). */
  get takesMask(): boolean {
    return false;
  }

  /** How many tensors the layer returns (more than 1: an LSTM with returnState); models take layers with one. */
  get outputCount(): number {
    return 1;
  }

  /**
   * The mask of the output for an input carrying `mask` (null: none). By default the
   * mask passes through a layer that supports masking; any other layer refuses it, as
   * tf.keras does, rather than let padded steps count as data.
   */
  computeMask(_input: Tensor, mask: Tensor | null): Tensor | null {
    if (mask !== null) this.refuseMask();
    return mask;
  }

  /** The symbolic counterpart of computeMask: whether the output carries a mask when the input does. */
  outputMasked(inputMasked: boolean): boolean {
    if (inputMasked) this.refuseMask();
    return inputMasked;
  }

  private refuseMask(): void {
    if (this.supportsMasking || this.takesMask) return;
    throw new ArgumentError(
      `${this.label} does not support masking, but its input carries a mask (from an Embedding with maskZero or a Masking layer before it); ` +
        'consume the mask first (a recurrent layer without returnSequences, GlobalAveragePooling1D) or drop maskZero',
    );
  }

  /** Runs the layer on `x` whose mask is `mask` (null: none); returns the output and its mask. */
  callMasked(x: Tensor, mask: Tensor | null): { output: Tensor | Tensor[]; mask: Tensor | null } {
    // The output mask first: a layer that refuses a mask does so before computing anything.
    const outMask = this.computeMask(x, mask);
    const call = this.call as unknown as (x: Tensor, options?: { mask: Tensor }) => Tensor | Tensor[];
    const output = mask !== null && this.takesMask ? call.call(this, x, { mask }) : call.call(this, x);
    return { output, mask: outMask };
  }

  /** Runs the layer on a tensor, building its weights from the input's shape on first use. */
  override call(...inputs: Parameters<this['forward']>): ReturnType<this['forward']> {
    const x: unknown = inputs[0];
    // Checked before building the shape: a built layer (every call after the first) allocates nothing here.
    if (!this.built && x instanceof TensorClass) this.buildNow([null, ...x.shape.slice(1)]);
    return super.call(...inputs);
  }

  /**
   * Applies the layer: to a real tensor it computes, to a SymbolicTensor it
   * records a node of a functional model. (Given a function, it is nn's
   * Module.apply: calls it on every sub-module.) A layer with several inputs
   * (MultiHeadAttention) takes them as further arguments, `apply(query, value)`,
   * or as a list, `apply([query, value])`, with its call options last.
   */
  override apply(x: any, ...rest: any[]): any {
    if (typeof x === 'function') {
      this.trackSublayers();
      return super.apply(x);
    }
    if (x instanceof SymbolicTensor || (Array.isArray(x) && x[0] instanceof SymbolicTensor)) {
      const inputs: unknown[] = Array.isArray(x) ? [...x] : [x];
      let i = 0;
      if (!Array.isArray(x)) while (rest[i] instanceof SymbolicTensor) inputs.push(rest[i++]);
      const callArgs: unknown = rest[i];
      if (rest.length > i + 1 || inputs.some((t) => !(t instanceof SymbolicTensor))) {
        throw new ArgumentError(
          `${this.label}: apply takes symbolic tensors (from Input() or layer.apply()) and then at most one options object`,
        );
      }
      if (callArgs !== undefined && (callArgs === null || typeof callArgs !== 'object' || Array.isArray(callArgs))) {
        throw new ArgumentError(`${this.label}: the options of apply must be an object, got ${quote(callArgs)}`);
      }
      return this.applySymbolic(inputs as SymbolicTensor[], (callArgs as Record<string, unknown> | undefined) ?? null);
    }
    // A list of tensors is the inputs as separate arguments ([query, value] → apply(query, value)).
    if (Array.isArray(x) && x.length > 0 && x.every((t) => t instanceof TensorClass))
      return this.apply(x[0], ...x.slice(1), ...rest);
    if (x instanceof TensorClass) {
      // Only a layer with several inputs (one that overrides applySymbolic: MultiHeadAttention) takes
      // more tensors; a one-input layer would silently drop them (Dense's apply(x, y) ignoring y).
      const more = rest.filter((r) => r instanceof TensorClass).length;
      if (more > 0 && this.applySymbolic === Layer.prototype.applySymbolic) {
        throw new ArgumentError(
          `${this.label} takes one input, got ${1 + more} tensors; to combine tensors use a merge layer (new Add().apply([a, b]), Concatenate …)`,
        );
      }
      return (this.call as unknown as (t: Tensor, ...r: unknown[]) => Tensor)(x, ...rest);
    }
    throw new ArgumentError(
      `${this.label}: apply expects a Tensor, a SymbolicTensor or a list of them, got ${quote(x)}`,
    );
  }

  /**
   * Records a node of a functional model for `inputs`. Most layers take one input and
   * no call options; layers with several (MultiHeadAttention) override this and `runNode`.
   */
  applySymbolic(inputs: SymbolicTensor[], callArgs: Record<string, unknown> | null): SymbolicTensor {
    if (inputs.length !== 1)
      throw new ArgumentError(`${this.label} takes one input, got ${inputs.length} symbolic tensors`);
    if (callArgs !== null)
      throw new ArgumentError(`${this.label}: apply takes no call options, got ${quote(callArgs)}`);
    const x = inputs[0];
    this.expectOneOutput('a functional model');
    this.ensureBuilt(x.shape);
    return new SymbolicTensor(this.computeOutputShape(x.shape), this, [x], this.outputMasked(x.masked));
  }

  /** Runs the layer at a node of a functional model: its inputs' values and masks, and the node's call options. */
  runNode(
    inputs: Tensor[],
    masks: (Tensor | null)[],
    _callArgs: Readonly<Record<string, unknown>> | null,
  ): { output: Tensor | Tensor[]; mask: Tensor | null } {
    return this.callMasked(inputs[0], masks[0]);
  }

  /** Throws an ArgumentError naming the layer when it returns several tensors (models here wire one output per layer). */
  expectOneOutput(where: string): void {
    const n = this.outputCount;
    if (n !== 1) {
      throw new ArgumentError(
        `${this.label} returns ${n} tensors (returnState, or a Bidirectional mergeMode of null), but ${where} takes layers with one output; call the layer directly`,
      );
    }
  }

  /** Throws a ShapeError naming the layer when the input's rank is not `rank`. */
  protected expectRank(inputShape: PartialShape, rank: number, what: string): void {
    if (inputShape.length !== rank) {
      throw new ShapeError(
        `${this.name} (${this.className}): expects ${what} of rank ${rank} (batch included), got shape (${inputShape.map((d) => d ?? 'None').join(', ')})`,
      );
    }
  }
}

/** Formats a shape as Keras does: (None, 28, 28, 1). */
export function fmtKerasShape(shape: PartialShape): string {
  return `(${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')}${shape.length === 1 ? ',' : ''})`;
}
