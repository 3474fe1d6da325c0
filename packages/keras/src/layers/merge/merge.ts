import { ArgumentError, ShapeError, type Tensor, Tensor as TensorClass, logicalAnd, tidy } from '@tsdl/tensor';
import { camelCaseKeys, rejectUnknownOptions } from '../../config-keys';
import { quote } from '../../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, SymbolicTensor, fmtKerasShape } from '../layer';

/** The options object of a merge layer's constructor, snake_case keys camelCased and unknown ones refused. */
export function mergeOptions<T extends object>(owner: string, config: T | undefined, extra: readonly string[]): T {
  const args = camelCaseKeys(config ?? ({} as T), owner);
  if (args === null || typeof args !== 'object' || Array.isArray(args))
    throw new ArgumentError(`${owner}: expected an options object, got ${quote(args)}`);
  rejectUnknownOptions(owner, args, [...LAYER_OPTIONS, ...extra]);
  return args;
}

/** Shapes as a merge layer's errors list them: (None, 4) and (None, 5). */
export const fmtShapes = (shapes: readonly PartialShape[]): string => shapes.map(fmtKerasShape).join(', ');

/**
 * Keras' merge layers: one output from a list of inputs (`Add`, `Concatenate`,
 * `Dot` …). `apply([a, b])` records a node of a functional model on symbolic
 * tensors and computes on real ones. A merge layer has no weights; its input
 * shapes are checked when it is applied (symbolically: when the model is put
 * together) and on every call, with errors naming the layer and the shapes.
 */
export abstract class Merge extends Layer {
  /** Inputs the layer takes at least / at most (Subtract and Dot: exactly 2). */
  protected readonly minInputs: number = 1;
  protected readonly maxInputs: number = Infinity;

  constructor(args: LayerArgs) {
    super(args);
    this.built = true;
  }

  /** The output shape for the input shapes (batch included); a ShapeError naming the layer when they do not merge. */
  protected abstract mergeShapes(shapes: PartialShape[]): PartialShape;

  /** The merge of real tensors whose shapes mergeShapes accepted. */
  protected abstract merge(inputs: Tensor[]): Tensor;

  /**
   * The output's padding mask from the inputs' ([batch, time] bool, null: none). As
   * Keras' Merge: a step is real where it is real in every input that has a mask.
   */
  protected mergeMask(_inputs: Tensor[], masks: (Tensor | null)[]): Tensor | null {
    const given = masks.filter((m): m is Tensor => m !== null);
    if (given.length === 0) return null;
    return tidy(() => given.reduce((a, b) => logicalAnd(a, b)));
  }

  /** Whether the output carries a mask when the inputs do (`masked[i]`); symbolic counterpart of mergeMask. */
  protected mergeMasked(masked: boolean[]): boolean {
    return masked.some((m) => m);
  }

  /** Throws unless `n` inputs is a number this layer takes. */
  private checkCount(n: number, what: string): void {
    if (n < this.minInputs || n > this.maxInputs) {
      const want =
        this.minInputs === this.maxInputs
          ? `exactly ${this.minInputs}`
          : this.maxInputs === Infinity
            ? `at least ${this.minInputs}`
            : `${this.minInputs} to ${this.maxInputs}`;
      throw new ArgumentError(`${this.label} should be applied to a list of ${want} inputs, got ${n} ${what}`);
    }
  }

  override applySymbolic(inputs: SymbolicTensor[], callArgs: Record<string, unknown> | null): SymbolicTensor {
    if (callArgs !== null)
      throw new ArgumentError(`${this.label}: apply takes no call options, got ${quote(callArgs)}`);
    this.checkCount(inputs.length, 'symbolic tensors');
    const shape = this.mergeShapes(inputs.map((t) => t.shape));
    return new SymbolicTensor(shape, this, inputs, this.mergeMasked(inputs.map((t) => t.masked)));
  }

  override runNode(inputs: Tensor[], masks: (Tensor | null)[]): { output: Tensor; mask: Tensor | null } {
    // The mask first: a merge that refuses masks does so before computing anything.
    const mask = this.mergeMask(inputs, masks);
    try {
      return { output: this.forward(inputs), mask };
    } catch (e) {
      mask?.dispose();
      throw e;
    }
  }

  /** Merges real tensors: `layer.call([a, b])`, as Keras' `layer([a, b])`. */
  override forward(inputs: Tensor[]): Tensor {
    if (!Array.isArray(inputs) || !inputs.every((t) => t instanceof TensorClass)) {
      throw new ArgumentError(`${this.label} takes a list of tensors ([a, b]), got ${quote(inputs)}`);
    }
    this.checkCount(inputs.length, 'tensors');
    this.mergeShapes(inputs.map((t) => [...t.shape]));
    return this.merge(inputs);
  }

  /**
   * `apply([a, b])`: on symbolic tensors a node of a functional model, on tensors the merged
   * tensor. Tensors given as separate arguments (`apply(a, b)`) are taken as the list too.
   */
  override apply(x: any, ...rest: any[]): any {
    if (typeof x === 'function') return super.apply(x);
    if (x instanceof TensorClass) return this.apply([x, ...rest]);
    if (x instanceof SymbolicTensor) return super.apply([x, ...rest]);
    if (Array.isArray(x) && x.length > 0 && x.every((t) => t instanceof TensorClass)) {
      if (rest.length > 0)
        throw new ArgumentError(`${this.label}: apply takes one list of tensors, got ${rest.length} more argument(s)`);
      return (this.call as unknown as (xs: Tensor[]) => Tensor)(x as Tensor[]);
    }
    if (Array.isArray(x) && x.some((t) => t instanceof SymbolicTensor)) return super.apply(x, ...rest);
    throw new ArgumentError(`${this.label}: apply expects a list of Tensors or of SymbolicTensors, got ${quote(x)}`);
  }

  /** A Sequential model or a one-input wrapper builds and runs a layer through these; a merge needs a list. */
  override ensureBuilt(): void {
    this.refuseOneInput();
  }

  override callMasked(): never {
    this.refuseOneInput();
  }

  override computeOutputShape(): PartialShape {
    this.refuseOneInput();
  }

  private refuseOneInput(): never {
    throw new ArgumentError(
      `${this.label} merges a list of inputs, so it cannot run in a Sequential model or a one-input wrapper; use a functional model: layer.apply([a, b])`,
    );
  }

  /** Throws the ShapeError every merge uses: the layer, what is wrong and the shapes. */
  protected shapeError(why: string, shapes: readonly PartialShape[]): never {
    throw new ShapeError(`${this.label}: ${why}; got input shapes ${fmtShapes(shapes)}`);
  }
}
