import { ArgumentError, ShapeError, type Tensor, maximum, rsqrt, square, sum, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { quote } from '../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from './layer';
import { layerOptions } from './layer-config';

export interface UnitNormalizationArgs extends LayerArgs {
  /** The axis or axes whose L2 norm becomes 1 (default -1). */
  axis?: number | number[];
}

/**
 * Keras 3's UnitNormalization: x / ‖x‖₂ over `axis`, per sample, as
 * keras.ops.normalize(x, order=2, epsilon=1e-12): the inverse norm is capped
 * at 1e12, so an all-zero slice stays zero. Written as rsqrt(max(Σx², 1e-24)),
 * the same value, so the gradient at zero is finite.
 */
export class UnitNormalization extends Layer {
  readonly axis: number | number[];

  constructor(config: UnitNormalizationArgs = {}) {
    const a = layerOptions(
      'UnitNormalization',
      config,
      'an options object ({ axis })',
      [...LAYER_OPTIONS, 'axis'],
      new.target === UnitNormalization,
    );
    super(a);
    const axis: unknown = a.axis ?? -1;
    const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
    if (!(isInt(axis) || (Array.isArray(axis) && axis.length > 0 && axis.every(isInt)))) {
      throw new ArgumentError(
        `${this.label}: axis must be an integer or a non-empty list of integers, got ${quote(axis)}`,
      );
    }
    this.axis = Array.isArray(axis) ? [...axis] : axis;
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'UnitNormalization';
  }

  override get supportsMasking(): boolean {
    return true;
  }

  /** The axes as non-negative indices of a rank-`rank` input; the batch axis and out-of-range axes are refused. */
  private axes(rank: number, shape: string): number[] {
    const list = Array.isArray(this.axis) ? this.axis : [this.axis];
    const axes = list.map((x) => (x < 0 ? x + rank : x));
    const bad = axes.findIndex((x) => x < 1 || x >= rank);
    if (bad >= 0)
      throw new ShapeError(
        `${this.label}: axis ${list[bad]} is not a feature axis of an input of shape ${shape} (the batch axis cannot be normalised over)`,
      );
    if (new Set(axes).size !== axes.length)
      throw new ArgumentError(`${this.label}: axis ${quote(this.axis)} names an axis twice`);
    return axes;
  }

  override build(inputShape: PartialShape): void {
    this.axes(inputShape.length, fmtKerasShape(inputShape));
    this.built = true;
  }

  override computeOutputShape(inputShape: PartialShape): PartialShape {
    this.axes(inputShape.length, fmtKerasShape(inputShape));
    return inputShape;
  }

  override forward(x: Tensor): Tensor {
    const axes = this.axes(x.rank, fmtShape(x.shape));
    return tidy(() => x.mul(rsqrt(maximum(sum(square(x), axes, true), 1e-24))));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
}
