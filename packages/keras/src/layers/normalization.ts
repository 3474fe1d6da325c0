import { ArgumentError, type Tensor, mean, rsqrt, tidy, variance } from '@tsdl/tensor';
import { noGrad } from '@tsdl/autograd';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from './layer';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { initializerName } from '../initializers';
import { quote } from '../names';
import { finiteNonNegative, numberIn, optionalBool } from './options';

const INITIALIZER_OPTIONS = [
  'betaInitializer',
  'gammaInitializer',
  'movingMeanInitializer',
  'movingVarianceInitializer',
] as const;
const BATCH_NORMALIZATION_OPTIONS = [
  ...LAYER_OPTIONS,
  'axis',
  'momentum',
  'epsilon',
  'center',
  'scale',
  ...INITIALIZER_OPTIONS,
];

export interface BatchNormalizationArgs extends LayerArgs {
  /** The feature axis (default -1, channels last). */
  axis?: number;
  /** Keras' convention: moving = momentum · moving + (1 − momentum) · batch (default 0.99). */
  momentum?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  betaInitializer?: string;
  gammaInitializer?: string;
  movingMeanInitializer?: string;
  movingVarianceInitializer?: string;
}

/**
 * Normalises each feature with the batch's statistics in training and the
 * moving averages in inference, then scales by gamma and shifts by beta.
 */
export class BatchNormalization extends Layer {
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  gamma: Tensor | null = null;
  beta: Tensor | null = null;
  movingMean!: Tensor;
  movingVariance!: Tensor;
  private featureAxis = -1;
  private readonly initializers: Record<(typeof INITIALIZER_OPTIONS)[number], string>;

  constructor(config: BatchNormalizationArgs = {}) {
    const args = camelCaseKeys(config ?? {}, 'BatchNormalization');
    if (typeof args !== 'object' || Array.isArray(args))
      throw new ArgumentError(`BatchNormalization: expected an options object, got ${quote(args)}`);
    if (new.target === BatchNormalization)
      rejectUnknownOptions('BatchNormalization', args, BATCH_NORMALIZATION_OPTIONS);
    super(args);
    const who = this.label;
    const axis: unknown = args.axis ?? -1;
    if (typeof axis !== 'number' || !Number.isSafeInteger(axis))
      throw new ArgumentError(`${who}: axis must be an integer, got ${quote(axis)}`);
    this.axis = axis;
    this.momentum = numberIn(who, 'momentum', args.momentum ?? 0.99, 0, 1);
    // Added to the variance under the square root: negative, it gives NaN for a constant feature.
    this.epsilon = finiteNonNegative(who, 'epsilon', args.epsilon ?? 1e-3);
    this.center = optionalBool(who, 'center', args.center, true);
    this.scale = optionalBool(who, 'scale', args.scale, true);
    const init = (option: (typeof INITIALIZER_OPTIONS)[number], dflt: string): string =>
      args[option] === undefined || args[option] === null ? dflt : initializerName(args[option], who, option);
    this.initializers = {
      betaInitializer: init('betaInitializer', 'zeros'),
      gammaInitializer: init('gammaInitializer', 'ones'),
      movingMeanInitializer: init('movingMeanInitializer', 'zeros'),
      movingVarianceInitializer: init('movingVarianceInitializer', 'ones'),
    };
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'BatchNormalization';
  }

  override build(inputShape: PartialShape): void {
    const ax = this.axis < 0 ? this.axis + inputShape.length : this.axis;
    const n = inputShape[ax];
    if (ax <= 0 || ax >= inputShape.length || n === null || n < 1) {
      throw new ArgumentError(
        `${this.label}: axis ${this.axis} is not a known feature axis of input shape ${fmtKerasShape(inputShape)}`,
      );
    }
    this.featureAxis = ax;
    const i = this.initializers;
    if (this.scale) this.gamma = this.addWeight('gamma', [n], i.gammaInitializer);
    if (this.center) this.beta = this.addWeight('beta', [n], i.betaInitializer);
    this.movingMean = this.addWeight('moving_mean', [n], i.movingMeanInitializer, { trainable: false });
    this.movingVariance = this.addWeight('moving_variance', [n], i.movingVarianceInitializer, { trainable: false });
    this.built = true;
  }

  /** Reshapes a per-feature vector so it broadcasts along the feature axis. */
  private asBroadcast(v: Tensor, rank: number): Tensor {
    const shape = new Array<number>(rank).fill(1);
    shape[this.featureAxis] = v.size;
    return v.reshape(shape);
  }

  override forward(x: Tensor): Tensor {
    const axes = x.shape.map((_, i) => i).filter((i) => i !== this.featureAxis);
    return tidy(() => {
      let m: Tensor;
      let v: Tensor;
      // A frozen BatchNormalization runs in inference mode (Keras 3), so fine-tuning leaves its statistics alone.
      if (this.training && this.trainable) {
        m = mean(x, axes, true);
        v = variance(x, axes, true);
        const bm = m.reshape([-1]);
        const bv = v.reshape([-1]);
        noGrad(() => {
          this.movingMean.assign(this.movingMean.mul(this.momentum).add(bm.mul(1 - this.momentum)));
          this.movingVariance.assign(this.movingVariance.mul(this.momentum).add(bv.mul(1 - this.momentum)));
        });
      } else {
        m = this.asBroadcast(this.movingMean, x.rank);
        v = this.asBroadcast(this.movingVariance, x.rank);
      }
      let y = x.sub(m).mul(rsqrt(v.add(this.epsilon)));
      if (this.gamma) y = y.mul(this.asBroadcast(this.gamma, x.rank));
      if (this.beta) y = y.add(this.asBroadcast(this.beta, x.rank));
      return y;
    });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      ...this.initializers,
    };
  }
}
