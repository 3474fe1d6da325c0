import { LearningRateSchedule, bool, finite, nameOption, scheduleOptions } from './learning-rate-schedule';

export interface PolynomialDecayArgs {
  initialLearningRate: number;
  decaySteps: number;
  /** The rate reached at decaySteps (default 1e-4). */
  endLearningRate?: number;
  /** The power of the polynomial (default 1: linear). */
  power?: number;
  /** Start again, over the next multiple of decaySteps, instead of staying at the end rate (default false). */
  cycle?: boolean;
  name?: string;
}

/**
 * keras.optimizers.schedules.PolynomialDecay:
 * lr(step) = (initial − end) · (1 − s / D)^power + end, with s = min(step,
 * decaySteps) and D = decaySteps; with `cycle`, s = step and D = decaySteps ·
 * ⌈step / decaySteps⌉ (decaySteps at step 0).
 */
export class PolynomialDecay extends LearningRateSchedule {
  readonly className = 'PolynomialDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly endLearningRate: number;
  readonly power: number;
  readonly cycle: boolean;
  readonly name: string;

  constructor(args: PolynomialDecayArgs) {
    super();
    const o = scheduleOptions('PolynomialDecay', args, [
      'initialLearningRate',
      'decaySteps',
      'endLearningRate',
      'power',
      'cycle',
      'name',
    ]);
    this.initialLearningRate = finite(this.className, 'initialLearningRate', o.initialLearningRate, 0);
    this.decaySteps = finite(this.className, 'decaySteps', o.decaySteps, 0, true);
    this.endLearningRate = finite(this.className, 'endLearningRate', o.endLearningRate ?? 1e-4, 0);
    this.power = finite(this.className, 'power', o.power ?? 1, 0);
    this.cycle = bool(this.className, 'cycle', o.cycle ?? false);
    this.name = nameOption(this.className, o.name, 'PolynomialDecay');
  }

  call(step: number): number {
    let s = step;
    let d = this.decaySteps;
    if (this.cycle) d *= step === 0 ? 1 : Math.ceil(step / this.decaySteps);
    else s = Math.min(step, d);
    return (this.initialLearningRate - this.endLearningRate) * (1 - s / d) ** this.power + this.endLearningRate;
  }

  getConfig(): Record<string, unknown> {
    return {
      initialLearningRate: this.initialLearningRate,
      decaySteps: this.decaySteps,
      endLearningRate: this.endLearningRate,
      power: this.power,
      cycle: this.cycle,
      name: this.name,
    };
  }
}
