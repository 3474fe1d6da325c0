import { ArgumentError, ShapeError, type Tensor, layerNorm, mean, rsqrt, tidy, variance } from '@tsdl/tensor';
import { initializerName } from '../initializers';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from './layer';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';
import { finiteNonNegative, optionalBool } from './options';

const LAYER_NORMALIZATION_OPTIONS = [
  ...LAYER_OPTIONS,
  'axis',
  'epsilon',
  'center',
  'scale',
  'betaInitializer',
  'gammaInitializer',
];

export interface LayerNormalizationArgs extends LayerArgs {
  /** The axis or axes normalised over, per sample (default -1, the features). */
  axis?: number | number[];
  /** Added to the variance under the square root (default 1e-3, Keras'; PyTorch's LayerNorm uses 1e-5). */
  epsilon?: number;
  /** Learn a shift beta (default true). */
  center?: boolean;
  /** Learn a scale gamma (default true). */
  scale?: boolean;
  betaInitializer?: string;
  gammaInitializer?: string;
}

/**
 * Normalises each sample over `axis` with its own mean and (population) variance, then
 * scales by gamma and shifts by beta, both of the normalised axes' shape (Keras' layout).
 * The same in training and inference: no moving statistics, unlike BatchNormalization.
 */
export class LayerNormalization extends Layer {
  readonly axis: number | number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  private readonly betaInit: string;
  private readonly gammaInit: string;
  gamma: Tensor | null = null;
  beta: Tensor | null = null;
  /** The normalised axes, non-negative and sorted, once built. */
  private axes: number[] = [];
  private sizes: number[] = [];
  private rank = 0;

  constructor(config: LayerNormalizationArgs = {}) {
    const args = camelCaseKeys(config ?? {}, 'LayerNormalization');
    if (typeof args !== 'object' || Array.isArray(args))
      throw new ArgumentError(`LayerNormalization: expected an options object, got ${quote(args)}`);
    if (new.target === LayerNormalization)
      rejectUnknownOptions('LayerNormalization', args, LAYER_NORMALIZATION_OPTIONS);
    super(args);
    const who = this.label;
    const axis: unknown = args.axis ?? -1;
    const isInt = (a: unknown): a is number => typeof a === 'number' && Number.isSafeInteger(a);
    if (!(isInt(axis) || (Array.isArray(axis) && axis.length > 0 && axis.every(isInt)))) {
      throw new ArgumentError(`${who}: axis must be an integer or a non-empty list of integers, got ${quote(axis)}`);
    }
    this.axis = Array.isArray(axis) ? [...axis] : axis;
    // Negative, it gives NaN for a constant sample.
    this.epsilon = finiteNonNegative(who, 'epsilon', args.epsilon ?? 1e-3);
    this.center = optionalBool(who, 'center', args.center, true);
    this.scale = optionalBool(who, 'scale', args.scale, true);
    this.betaInit = args.betaInitializer ?? 'zeros';
    initializerName(this.betaInit, who, 'betaInitializer');
    this.gammaInit = args.gammaInitializer ?? 'ones';
    initializerName(this.gammaInit, who, 'gammaInitializer');
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'LayerNormalization';
  }

  /** `axis` as sorted non-negative axes of `s`, or an ArgumentError naming the layer (the batch axis and unknown sizes are refused). */
  private resolveAxes(s: PartialShape): number[] {
    const list = Array.isArray(this.axis) ? this.axis : [this.axis];
    const axes = list.map((a) => (a < 0 ? a + s.length : a));
    const bad = axes.findIndex((a) => a <= 0 || a >= s.length || s[a] === null);
    if (bad >= 0) {
      throw new ArgumentError(
        `${this.label}: axis ${list[bad]} is not a known feature axis of input shape ${fmtKerasShape(s)} (the batch axis cannot be normalised over)`,
      );
    }
    if (new Set(axes).size !== axes.length)
      throw new ArgumentError(`${this.label}: axis ${quote(this.axis)} names an axis twice`);
    return axes.sort((a, b) => a - b);
  }

  override build(inputShape: PartialShape): void {
    const axes = this.resolveAxes(inputShape);
    const shape = axes.map((a) => inputShape[a] as number);
    this.axes = axes;
    this.sizes = shape;
    this.rank = inputShape.length;
    if (this.scale) this.gamma = this.addWeight('gamma', shape, this.gammaInit);
    if (this.center) this.beta = this.addWeight('beta', shape, this.betaInit);
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    this.resolveAxes(s);
    return s;
  }

  /** Reshapes gamma or beta (the normalised axes' shape) so it broadcasts against a rank-`rank` input. */
  private asBroadcast(w: Tensor, x: Tensor): Tensor {
    const shape = new Array<number>(x.rank).fill(1);
    for (const a of this.axes) shape[a] = x.shape[a];
    return w.reshape(shape);
  }

  override forward(x: Tensor): Tensor {
    // The input must have the built rank and sizes on the normalised axes (the weights' shape).
    const axes = this.axes;
    if (x.rank !== this.rank || axes.some((a, i) => x.shape[a] !== this.sizes[i])) {
      throw new ShapeError(
        `${this.label}: built for inputs of rank ${this.rank} with sizes [${this.sizes.join(', ')}] on axes [${axes.join(', ')}], got shape [${x.shape.join(',')}]`,
      );
    }
    // Trailing axes (the common case, axis -1): tensor's one-op layerNorm, whose gamma and beta
    // have exactly these axes' shape. Other axes keep the composed form.
    if (axes.every((a, i) => a === x.rank - axes.length + i)) {
      return layerNorm(x, this.sizes, { gamma: this.gamma, beta: this.beta, epsilon: this.epsilon });
    }
    return tidy(() => {
      const m = mean(x, axes, true);
      const v = variance(x, axes, true);
      let y = x.sub(m).mul(rsqrt(v.add(this.epsilon)));
      if (this.gamma) y = y.mul(this.asBroadcast(this.gamma, x));
      if (this.beta) y = y.add(this.asBroadcast(this.beta, x));
      return y;
    });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      axis: this.axis,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: this.betaInit,
      gammaInitializer: this.gammaInit,
    };
  }
}
