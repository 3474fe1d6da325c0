import { LearningRateSchedule, bool, finite, nameOption, scheduleOptions } from './learning-rate-schedule';

export interface ExponentialDecayArgs {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  /** Decay at whole multiples of decaySteps only (default false). */
  staircase?: boolean;
  name?: string;
}

/**
 * keras.optimizers.schedules.ExponentialDecay:
 * lr(step) = initialLearningRate · decayRate^(step / decaySteps), the
 * exponent floored when `staircase`.
 */
export class ExponentialDecay extends LearningRateSchedule {
  readonly className = 'ExponentialDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;
  readonly name: string;

  constructor(args: ExponentialDecayArgs) {
    super();
    const o = scheduleOptions('ExponentialDecay', args, [
      'initialLearningRate',
      'decaySteps',
      'decayRate',
      'staircase',
      'name',
    ]);
    this.initialLearningRate = finite(this.className, 'initialLearningRate', o.initialLearningRate, 0);
    this.decaySteps = finite(this.className, 'decaySteps', o.decaySteps, 0, true);
    this.decayRate = finite(this.className, 'decayRate', o.decayRate, 0);
    this.staircase = bool(this.className, 'staircase', o.staircase ?? false);
    this.name = nameOption(this.className, o.name, 'ExponentialDecay');
  }

  call(step: number): number {
    const p = step / this.decaySteps;
    return this.initialLearningRate * this.decayRate ** (this.staircase ? Math.floor(p) : p);
  }

  getConfig(): Record<string, unknown> {
    return {
      initialLearningRate: this.initialLearningRate,
      decaySteps: this.decaySteps,
      decayRate: this.decayRate,
      staircase: this.staircase,
      name: this.name,
    };
  }
}
