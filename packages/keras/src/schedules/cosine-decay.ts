import { LearningRateSchedule, finite, nameOption, scheduleOptions } from './learning-rate-schedule';

export interface CosineDecayArgs {
  initialLearningRate: number;
  /** Steps of the cosine decay (after the warm-up). */
  decaySteps: number;
  /** The final rate as a fraction of the decay's starting rate (default 0). */
  alpha?: number;
  name?: string;
  /** The rate the warm-up rises to; null (the default) means no warm-up. */
  warmupTarget?: number | null;
  /** Steps of linear warm-up from initialLearningRate to warmupTarget (default 0). */
  warmupSteps?: number;
}

/**
 * keras.optimizers.schedules.CosineDecay (Keras 3, with warm-up). Without
 * warmupTarget:
 *
 *     lr(step) = initial · ((1 − α) · (1 + cos(π · min(step, D) / D)) / 2 + α)
 *
 * With warmupTarget, the rate rises linearly from initial to warmupTarget
 * over warmupSteps (lr = initial + (target − initial) · step / W while
 * step < W), then decays by the same cosine from warmupTarget over
 * decaySteps, ending at α · warmupTarget.
 */
export class CosineDecay extends LearningRateSchedule {
  readonly className = 'CosineDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha: number;
  readonly name: string;
  readonly warmupTarget: number | null;
  readonly warmupSteps: number;

  constructor(args: CosineDecayArgs) {
    super();
    const o = scheduleOptions('CosineDecay', args, [
      'initialLearningRate',
      'decaySteps',
      'alpha',
      'name',
      'warmupTarget',
      'warmupSteps',
    ]);
    this.initialLearningRate = finite(this.className, 'initialLearningRate', o.initialLearningRate, 0);
    this.decaySteps = finite(this.className, 'decaySteps', o.decaySteps, 0, true);
    this.alpha = finite(this.className, 'alpha', o.alpha ?? 0, 0);
    this.name = nameOption(this.className, o.name, 'CosineDecay');
    this.warmupTarget =
      o.warmupTarget === undefined || o.warmupTarget === null
        ? null
        : finite(this.className, 'warmupTarget', o.warmupTarget, 0);
    this.warmupSteps = finite(this.className, 'warmupSteps', o.warmupSteps ?? 0, 0);
  }

  private decay(step: number, from: number): number {
    const cosine = 0.5 * (1 + Math.cos((Math.PI * step) / this.decaySteps));
    return from * ((1 - this.alpha) * cosine + this.alpha);
  }

  call(step: number): number {
    if (this.warmupTarget === null) return this.decay(Math.min(step, this.decaySteps), this.initialLearningRate);
    const s = Math.min(step, this.decaySteps + this.warmupSteps);
    if (s < this.warmupSteps)
      return (this.warmupTarget - this.initialLearningRate) * (s / this.warmupSteps) + this.initialLearningRate;
    return this.decay(s - this.warmupSteps, this.warmupTarget);
  }

  getConfig(): Record<string, unknown> {
    return {
      initialLearningRate: this.initialLearningRate,
      decaySteps: this.decaySteps,
      alpha: this.alpha,
      name: this.name,
      warmupTarget: this.warmupTarget,
      warmupSteps: this.warmupSteps,
    };
  }
}
