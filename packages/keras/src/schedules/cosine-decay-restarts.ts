import { LearningRateSchedule, finite, nameOption, scheduleOptions } from './learning-rate-schedule';

export interface CosineDecayRestartsArgs {
  initialLearningRate: number;
  /** Steps of the first period. */
  firstDecaySteps: number;
  /** Each period is tMul times longer than the one before (default 2, at least 1). */
  tMul?: number;
  /** Each period starts at mMul times the previous period's starting rate (default 1). */
  mMul?: number;
  /** The rate at the end of each period as a fraction of its starting rate (default 0). */
  alpha?: number;
  name?: string;
}

/**
 * keras.optimizers.schedules.CosineDecayRestarts (SGDR): period i (from 0)
 * lasts firstDecaySteps · tMul^i steps and starts at initial · mMul^i; within
 * it, at fraction f,
 *
 *     lr = initial · ((1 − α) · mMul^i · (1 + cos(π·f)) / 2 + α)
 *
 * Keras finds the period with a logarithm; here it is corrected to the exact
 * period at a restart step, where float rounding could put it one off.
 */
export class CosineDecayRestarts extends LearningRateSchedule {
  readonly className = 'CosineDecayRestarts';
  readonly initialLearningRate: number;
  readonly firstDecaySteps: number;
  readonly tMul: number;
  readonly mMul: number;
  readonly alpha: number;
  readonly name: string;

  constructor(args: CosineDecayRestartsArgs) {
    super();
    const o = scheduleOptions('CosineDecayRestarts', args, [
      'initialLearningRate',
      'firstDecaySteps',
      'tMul',
      'mMul',
      'alpha',
      'name',
    ]);
    this.initialLearningRate = finite(this.className, 'initialLearningRate', o.initialLearningRate, 0);
    this.firstDecaySteps = finite(this.className, 'firstDecaySteps', o.firstDecaySteps, 0, true);
    this.tMul = finite(this.className, 'tMul', o.tMul ?? 2, 1);
    this.mMul = finite(this.className, 'mMul', o.mMul ?? 1, 0);
    this.alpha = finite(this.className, 'alpha', o.alpha ?? 0, 0);
    this.name = nameOption(this.className, o.name, 'SGDRDecay');
  }

  /** [period index, fraction of it done] after `step` steps. */
  period(step: number): [number, number] {
    const done = step / this.firstDecaySteps; // in units of the first period
    if (this.tMul === 1) {
      const i = Math.floor(done);
      return [i, done - i];
    }
    const t = this.tMul;
    // Periods before period i span (1 − tᶦ)/(1 − t) first periods.
    const before = (i: number): number => (1 - t ** i) / (1 - t);
    let i = Math.max(0, Math.floor(Math.log(1 - done * (1 - t)) / Math.log(t)));
    while (before(i + 1) <= done) i++;
    while (i > 0 && before(i) > done) i--;
    return [i, (done - before(i)) / t ** i];
  }

  call(step: number): number {
    const [i, f] = this.period(step);
    const cosine = 0.5 * this.mMul ** i * (1 + Math.cos(Math.PI * f));
    return this.initialLearningRate * ((1 - this.alpha) * cosine + this.alpha);
  }

  getConfig(): Record<string, unknown> {
    return {
      initialLearningRate: this.initialLearningRate,
      firstDecaySteps: this.firstDecaySteps,
      tMul: this.tMul,
      mMul: this.mMul,
      alpha: this.alpha,
      name: this.name,
    };
  }
}
