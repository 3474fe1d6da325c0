import { ArgumentError, type Tensor, mean, rsqrt, tidy, variance } from '@tsdl/tensor';
import { noGrad } from '@tsdl/autograd';
import { type LayerArgs, Layer, type Shape } from './layer';
import { camelCaseKeys } from '../config-keys';

export interface BatchNormalizationArgs extends LayerArgs {
  /** The feature axis (default -1, channels last). */
  axis?: number;
  /** Keras' convention: moving = momentum · moving + (1 − momentum) · batch (default 0.99). */
  momentum?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
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

  constructor(config: BatchNormalizationArgs = {}) {
    const args = camelCaseKeys(config);
    super(args);
    this.axis = args.axis ?? -1;
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new ArgumentError(`BatchNormalization: momentum must be in [0, 1], got ${this.momentum}`);
    if (args.inputShape) this.build([null, ...args.inputShape]);
  }

  override get className(): string {
    return 'BatchNormalization';
  }

  override build(inputShape: Shape): void {
    const ax = this.axis < 0 ? this.axis + inputShape.length : this.axis;
    const n = inputShape[ax];
    if (ax <= 0 || ax >= inputShape.length || n === null) {
      throw new ArgumentError(`${this.name} (BatchNormalization): axis ${this.axis} is not a known feature axis of shape (${inputShape.join(', ')})`);
    }
    this.featureAxis = ax;
    if (this.scale) this.gamma = this.addWeight('gamma', [n], 'ones');
    if (this.center) this.beta = this.addWeight('beta', [n], 'zeros');
    this.movingMean = this.addWeight('moving_mean', [n], 'zeros', { trainable: false });
    this.movingVariance = this.addWeight('moving_variance', [n], 'ones', { trainable: false });
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
      if (this.training) {
        m = mean(x, axes, true);
        v = variance(x, axes, { keepDims: true });
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
    return { ...super.getConfig(), axis: this.axis, momentum: this.momentum, epsilon: this.epsilon, center: this.center, scale: this.scale };
  }
}
