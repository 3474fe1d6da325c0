import { ArgumentError, AxisError, type Tensor, matmul, maximum, reshape, sqrt, tidy, transpose } from '@tsdl/tensor';
import { quote } from '../../names';
import type { LayerArgs, PartialShape } from '../layer';
import { Merge, fmtShapes, mergeOptions } from './merge';

export interface DotArgs extends LayerArgs {
  /** The axis of both inputs to sum over, or [axis of the first, axis of the second]; never 0 (the batch axis). */
  axes: number | [number, number];
  /** Divide each input by its L2 norm along its axis first, so the product is the cosine similarity (default false). */
  normalize?: boolean;
}

/** Keras' lower bound on a norm before dividing by it (backend.epsilon()). */
const EPSILON = 1e-7;

/**
 * Keras' Dot: the dot product of two inputs over one axis of each, per sample
 * (Keras' batch_dot). The output holds the first input's other axes, then the
 * second's; a pair of vectors [batch, n] gives [batch, 1].
 */
export class Dot extends Merge {
  protected override readonly minInputs: number = 2;
  protected override readonly maxInputs: number = 2;
  readonly axes: number | [number, number];
  readonly normalize: boolean;

  constructor(config: DotArgs | number | [number, number]) {
    const a = mergeOptions<DotArgs>(
      'Dot',
      typeof config === 'number' || Array.isArray(config) ? { axes: config } : config,
      ['axes', 'normalize'],
    );
    super(a);
    const axes: unknown = a.axes;
    const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
    if (!isInt(axes) && !(Array.isArray(axes) && axes.length === 2 && axes.every(isInt))) {
      throw new ArgumentError(`${this.label}: axes must be an integer or a list of two integers, got ${quote(axes)}`);
    }
    this.axes = Array.isArray(axes) ? [axes[0], axes[1]] : axes;
    const normalize: unknown = a.normalize ?? false;
    if (typeof normalize !== 'boolean')
      throw new ArgumentError(`${this.label}: normalize must be a boolean, got ${quote(normalize)}`);
    this.normalize = normalize;
  }

  override get className(): string {
    return 'Dot';
  }

  /** Both axes as indices (Keras: a negative axis counts from the end of its own input). */
  private resolveAxes(shapes: readonly PartialShape[]): [number, number] {
    const given = Array.isArray(this.axes) ? this.axes : [this.axes, this.axes];
    return [0, 1].map((i) => {
      const rank = shapes[i].length;
      if (rank < 2)
        throw new AxisError(
          `${this.label}: inputs need a batch axis and at least one more; got input shapes ${fmtShapes(shapes)}`,
        );
      const ax = given[i];
      if (ax < -rank || ax >= rank)
        throw new AxisError(
          `${this.label}: axis ${ax} is out of range for input ${i} of rank ${rank}; got input shapes ${fmtShapes(shapes)}`,
        );
      const r = ax < 0 ? ax + rank : ax;
      if (r === 0)
        throw new AxisError(
          `${this.label}: cannot take the dot product over axis 0, the batch axis; got input shapes ${fmtShapes(shapes)}`,
        );
      return r;
    }) as [number, number];
  }

  protected mergeShapes(shapes: PartialShape[]): PartialShape {
    const [a0, a1] = this.resolveAxes(shapes);
    const [s0, s1] = shapes;
    if (s0[0] !== null && s1[0] !== null && s0[0] !== s1[0])
      this.shapeError('inputs have different batch sizes', shapes);
    if (s0[a0] !== null && s1[a1] !== null && s0[a0] !== s1[a1]) {
      this.shapeError(
        `axis ${a0} of the first input (${s0[a0]}) and axis ${a1} of the second (${s1[a1]}) must have the same size`,
        shapes,
      );
    }
    const out: PartialShape = [
      s0[0] ?? s1[0],
      ...s0.filter((_, d) => d !== 0 && d !== a0),
      ...s1.filter((_, d) => d !== 0 && d !== a1),
    ];
    return out.length === 1 ? [out[0], 1] : out;
  }

  protected merge(inputs: Tensor[]): Tensor {
    const shapes = inputs.map((t) => [...t.shape]);
    const [a0, a1] = this.resolveAxes(shapes);
    const outShape = this.mergeShapes(shapes) as number[];
    return tidy(() => {
      let [x, y] = inputs;
      if (this.normalize) {
        x = l2Normalize(x, a0);
        y = l2Normalize(y, a1);
      }
      const batch = x.shape[0];
      const k = x.shape[a0];
      // x as [batch, rest, k] and y as [batch, k, rest]: one batched matmul.
      const xRest = x.shape.map((_, d) => d).filter((d) => d !== 0 && d !== a0);
      const yRest = y.shape.map((_, d) => d).filter((d) => d !== 0 && d !== a1);
      const xs = reshape(transpose(x, [0, ...xRest, a0]), [batch, -1, k]);
      const ys = reshape(transpose(y, [0, a1, ...yRest]), [batch, k, -1]);
      return reshape(matmul(xs, ys), outShape);
    });
  }

  /** Keras' Dot drops masks; here a masked input is refused, so padded steps never count silently. */
  protected override mergeMask(_inputs: Tensor[], masks: (Tensor | null)[]): Tensor | null {
    if (masks.some((m) => m !== null)) this.refuseMasked();
    return null;
  }

  protected override mergeMasked(masked: boolean[]): boolean {
    if (masked.some((m) => m)) this.refuseMasked();
    return false;
  }

  private refuseMasked(): never {
    throw new ArgumentError(
      `${this.label} does not support masking, but an input carries a mask (from an Embedding with maskZero or a Masking layer); consume the mask first or drop maskZero`,
    );
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      axes: Array.isArray(this.axes) ? [...this.axes] : this.axes,
      normalize: this.normalize,
    };
  }
}

/** x divided by its L2 norm along `axis` (at least EPSILON), as Keras' normalize. */
function l2Normalize(x: Tensor, axis: number): Tensor {
  return tidy(() => x.div(maximum(sqrt(x.square().sum(axis, true)), EPSILON)));
}
