import { noGrad } from '@tsdl/autograd';
import { ArgumentError, ShapeError, type Tensor, full, rsqrt, scalar, tidy } from '@tsdl/tensor';
import { fmtShape, normalizeAxis } from '@tsdl/tensor/internal';
import { type Initializer, ones, zeros } from '../init/initializers';
import { Module } from '../module';

export interface BatchNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /**
   * Weight of the new batch statistic in the running averages (default 0.1, as
   * PyTorch: running = (1 − momentum)·running + momentum·batch; Keras' momentum
   * m is PyTorch's 1 − m). null gives a cumulative moving average.
   */
  momentum?: number | null;
  /** Learn a per-channel scale (weight, init 1) and shift (bias, init 0) (default true). */
  affine?: boolean;
  /** Keep running mean/variance and use them in eval mode (default true); otherwise batch statistics are always used. */
  trackRunningStats?: boolean;
  /** The channel axis (default 1, as PyTorch's NC… layouts; −1 for channels-last). */
  channelAxis?: number;
  /** Store the unbiased (n/(n−1)) batch variance in running_var (default true, as PyTorch; Keras stores the biased one). */
  unbiasedRunningVar?: boolean;
  /** Initializer of the scale (default ones). */
  weightInit?: Initializer;
  /** Initializer of the shift (default zeros). */
  biasInit?: Initializer;
}

/**
 * Batch normalization over every axis but the channel axis. In training it
 * normalizes with the batch mean and biased variance and updates the running
 * averages (without recording gradients); in eval mode it uses the running
 * averages. State-dict keys follow PyTorch: `weight`, `bias`, `running_mean`,
 * `running_var`, `num_batches_tracked`.
 */
export class BatchNorm extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly channelAxis: number;
  readonly unbiasedRunningVar: boolean;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;
  /** Allowed input ranks (null: any rank >= 2). */
  protected readonly ranks: readonly number[] | null;

  constructor(numFeatures: number, options: BatchNormOptions = {}, ranks: readonly number[] | null = null) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) {
      throw new ArgumentError(`${this.constructor.name}: numFeatures must be a positive integer, got ${numFeatures}`);
    }
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    if (this.momentum !== null && !(this.momentum >= 0 && this.momentum <= 1)) {
      throw new ArgumentError(`${this.constructor.name}: momentum must be in [0, 1] or null, got ${this.momentum}`);
    }
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    this.channelAxis = options.channelAxis ?? 1;
    this.unbiasedRunningVar = options.unbiasedRunningVar ?? true;
    this.ranks = ranks;
    const c = [numFeatures];
    this.weight = this.affine ? this.registerParameter('weight', (options.weightInit ?? ones)(c, {})) : null;
    this.bias = this.affine ? this.registerParameter('bias', (options.biasInit ?? zeros)(c, {})) : null;
    if (this.trackRunningStats) {
      this.runningMean = this.registerBuffer('running_mean', full(c, 0));
      this.runningVar = this.registerBuffer('running_var', full(c, 1));
      this.numBatchesTracked = this.registerBuffer('num_batches_tracked', scalar(0, 'int32'));
    } else {
      this.runningMean = this.runningVar = this.numBatchesTracked = null;
    }
  }

  /** Restores the running statistics to mean 0, variance 1 and the batch count to 0. */
  resetRunningStats(): void {
    if (!this.runningMean || !this.runningVar || !this.numBatchesTracked) return;
    const rm = this.runningMean;
    const rv = this.runningVar;
    const nb = this.numBatchesTracked;
    tidy(() => {
      rm.assign(full(rm.shape, 0, 'float32', { backend: rm.backend }));
      rv.assign(full(rv.shape, 1, 'float32', { backend: rv.backend }));
      nb.assign(scalar(0, 'int32', { backend: nb.backend }));
    });
  }

  override forward(x: Tensor): Tensor {
    const name = this.constructor.name;
    if ((this.ranks && !this.ranks.includes(x.rank)) || x.rank < 2) {
      const want = this.ranks ? this.ranks.map((r) => `${r}-D`).join(' or ') : 'at least 2-D';
      throw new ShapeError(`${name}: expected ${want} input, got shape ${fmtShape(x.shape)}`);
    }
    const ch = normalizeAxis(name, this.channelAxis, x.rank);
    if (x.shape[ch] !== this.numFeatures) {
      throw new ShapeError(
        `${name}: input of shape ${fmtShape(x.shape)} has ${x.shape[ch]} channels on axis ${ch}, expected ${this.numFeatures}`,
      );
    }
    const axes = x.shape.map((_, i) => i).filter((i) => i !== ch);
    const bshape = x.shape.map((d, i) => (i === ch ? d : 1));
    const count = x.size / this.numFeatures;
    const useBatch = this.training || !this.trackRunningStats;
    if (useBatch && this.training && count <= 1) {
      throw new ShapeError(
        `${name}: expected more than 1 value per channel when training, got input of shape ${fmtShape(x.shape)}`,
      );
    }
    return tidy(() => {
      let mean: Tensor;
      let variance: Tensor;
      if (useBatch) {
        mean = x.mean(axes, true);
        variance = x.variance(axes, true);
        if (this.training && this.trackRunningStats) this.updateRunningStats(mean, variance, count);
      } else {
        mean = (this.runningMean as Tensor).reshape(bshape);
        variance = (this.runningVar as Tensor).reshape(bshape);
      }
      let y = x.sub(mean).mul(rsqrt(variance.add(this.eps)));
      if (this.weight && this.bias) y = y.mul(this.weight.reshape(bshape)).add(this.bias.reshape(bshape));
      return y;
    });
  }

  private updateRunningStats(mean: Tensor, variance: Tensor, count: number): void {
    const rm = this.runningMean as Tensor;
    const rv = this.runningVar as Tensor;
    const nb = this.numBatchesTracked as Tensor;
    noGrad(() => {
      nb.assign(nb.add(1));
      // momentum null: a cumulative average, factor 1 / (batches seen), kept on the device.
      const f = this.momentum ?? nb.cast('float32').reciprocal();
      const c = [this.numFeatures];
      const batchVar = this.unbiasedRunningVar ? variance.mul(count / (count - 1)) : variance;
      rm.assign(rm.add(mean.reshape(c).sub(rm).mul(f)));
      rv.assign(rv.add(batchVar.reshape(c).sub(rv).mul(f)));
    });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/** BatchNorm over [N, C] or [N, C, L] inputs (statistics per channel C). */
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options, [2, 3]);
  }
}

/** BatchNorm over [N, C, H, W] inputs (or [N, H, W, C] with channelAxis −1). */
export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options, [4]);
  }
}
