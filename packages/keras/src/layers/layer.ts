import { ArgumentError, ShapeError, type Tensor, Tensor as TensorClass } from '@tsdl/tensor';
import { Module } from '@tsdl/nn';
import { makeWeight } from '../initializers';
import { quote } from '../names';
import { checkWeightSize, optionalBool, sampleShape } from './options';

/** A shape with the batch dimension (and any unknown one) as null, as Keras prints `(None, 784)`. */
export type Shape = (number | null)[];

/** The options every layer takes (beside its own). */
export const LAYER_OPTIONS = ['name', 'inputShape', 'trainable'] as const;

export interface LayerArgs {
  name?: string;
  /** The shape of one sample (no batch dimension); makes the layer build at once. */
  inputShape?: number[];
  trainable?: boolean;
}

/**
 * A placeholder flowing through layers to build a functional model:
 * `const x = Input({ shape: [784] }); const y = new Dense(10).apply(x);`.
 */
export class SymbolicTensor {
  private static next = 0;
  readonly id = SymbolicTensor.next++;
  constructor(
    readonly shape: Shape,
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
  /** Weight names in creation order (for getWeights/setWeights and saving). */
  private readonly weightNames: string[] = [];
  private readonly trainableArg: boolean;

  constructor(args: LayerArgs = {}) {
    super();
    const name: unknown = args.name;
    if (name !== undefined && name !== null && (typeof name !== 'string' || name === '')) {
      throw new ArgumentError(`${this.className}: name must be a non-empty string, got ${quote(name)}`);
    }
    this.name = (name as string | undefined | null) ?? uniqueName(snake(this.className));
    this.inputShapeArg = args.inputShape === undefined || args.inputShape === null ? undefined : sampleShape(this.className, 'inputShape', args.inputShape);
    this.trainableArg = optionalBool(this.className, 'trainable', args.trainable, true);
  }

  /** The layer as error messages name it: 'conv2d_1 (Conv2D)'. */
  protected get label(): string {
    return `${this.name} (${this.className})`;
  }

  /** The Keras class name ('Dense', 'Conv2D' …), used in names, summaries and saved configs (stable under minification). */
  get className(): string {
    return 'Layer';
  }

  /** Creates the weights for an input shape (batch dimension included, as null). */
  build(_inputShape: Shape): void {
    this.built = true;
  }

  /** The output shape for an input shape (batch dimension included). */
  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  /** The layer's constructor arguments as JSON (name included). */
  getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = { name: this.name, trainable: this.trainableArg };
    if (this.inputShapeArg) c.inputShape = this.inputShapeArg;
    return c;
  }

  get trainable(): boolean {
    return this.trainableArg;
  }

  /** Creates a weight with a Keras initializer; non-trainable weights are buffers (no gradient). */
  protected addWeight(name: string, shape: number[], initializer: string, options: { trainable?: boolean; seed?: number } = {}): Tensor {
    checkWeightSize(this.label, name, shape);
    let w: Tensor;
    try {
      w = makeWeight(initializer, shape, options.seed);
    } catch (e) {
      // A size the backend cannot hold: say which layer and weight asked for it.
      if (e instanceof ShapeError) throw new ShapeError(`${this.label}: cannot make weight '${name}' of shape [${shape.join(',')}]: ${e.message}`);
      throw e;
    }
    const trainable = (options.trainable ?? true) && this.trainableArg;
    const t = trainable ? this.registerParameter(name, w) : this.registerBuffer(name, w);
    this.weightNames.push(name);
    return t;
  }

  /** This layer's weights (trainable and not), in creation order, with their names. */
  namedWeights(): [string, Tensor][] {
    const all = new Map<string, Tensor>([...this.namedParameters(), ...this.namedBuffers()]);
    return this.weightNames.map((n) => [n, all.get(n) as Tensor]);
  }

  /** Builds the layer for `inputShape` if it is not built yet, checking the rank it expects. */
  ensureBuilt(inputShape: Shape): void {
    if (!this.built) this.build(inputShape);
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
    if (!this.built && x instanceof TensorClass) this.ensureBuilt([null, ...x.shape.slice(1)]);
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
    if (typeof x === 'function') return super.apply(x);
    if (x instanceof SymbolicTensor || (Array.isArray(x) && x[0] instanceof SymbolicTensor)) {
      const inputs: unknown[] = Array.isArray(x) ? [...x] : [x];
      let i = 0;
      if (!Array.isArray(x)) while (rest[i] instanceof SymbolicTensor) inputs.push(rest[i++]);
      const callArgs: unknown = rest[i];
      if (rest.length > i + 1 || inputs.some((t) => !(t instanceof SymbolicTensor))) {
        throw new ArgumentError(`${this.label}: apply takes symbolic tensors (from Input() or layer.apply()) and then at most one options object`);
      }
      if (callArgs !== undefined && (callArgs === null || typeof callArgs !== 'object' || Array.isArray(callArgs))) {
        throw new ArgumentError(`${this.label}: the options of apply must be an object, got ${quote(callArgs)}`);
      }
      return this.applySymbolic(inputs as SymbolicTensor[], (callArgs as Record<string, unknown> | undefined) ?? null);
    }
    if (x instanceof TensorClass) return (this.call as unknown as (t: Tensor, ...r: unknown[]) => Tensor)(x, ...rest);
    throw new ArgumentError(`${this.name}: apply expects a Tensor or a SymbolicTensor`);
  }

  /**
   * Records a node of a functional model for `inputs`. Most layers take one input and
   * no call options; layers with several (MultiHeadAttention) override this and `runNode`.
   */
  applySymbolic(inputs: SymbolicTensor[], callArgs: Record<string, unknown> | null): SymbolicTensor {
    if (inputs.length !== 1) throw new ArgumentError(`${this.label} takes one input, got ${inputs.length} symbolic tensors`);
    if (callArgs !== null) throw new ArgumentError(`${this.label}: apply takes no call options, got ${quote(callArgs)}`);
    const x = inputs[0];
    this.expectOneOutput('a functional model');
    this.ensureBuilt(x.shape);
    return new SymbolicTensor(this.computeOutputShape(x.shape), this, [x], this.outputMasked(x.masked));
  }

  /** Runs the layer at a node of a functional model: its inputs' values and masks, and the node's call options. */
  runNode(inputs: Tensor[], masks: (Tensor | null)[], _callArgs: Readonly<Record<string, unknown>> | null): { output: Tensor | Tensor[]; mask: Tensor | null } {
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
  protected expectRank(inputShape: Shape, rank: number, what: string): void {
    if (inputShape.length !== rank) {
      throw new ShapeError(
        `${this.name} (${this.className}): expects ${what} of rank ${rank} (batch included), got shape (${inputShape.map((d) => d ?? 'None').join(', ')})`,
      );
    }
  }
}

/** Formats a shape as Keras does: (None, 28, 28, 1). */
export function fmtKerasShape(shape: Shape): string {
  return `(${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')}${shape.length === 1 ? ',' : ''})`;
}
