import { ArgumentError } from '@tsdl/tensor';
import { quote } from '../names';
import { LearningRateSchedule, finite, nameOption, scheduleOptions } from './learning-rate-schedule';

export interface PiecewiseConstantDecayArgs {
  /** Step counts, strictly increasing. */
  boundaries: number[];
  /** One rate more than boundaries: values[0] up to and including boundaries[0], and so on. */
  values: number[];
  name?: string;
}

/**
 * keras.optimizers.schedules.PiecewiseConstantDecay: values[0] while
 * step <= boundaries[0], values[i] while boundaries[i − 1] < step <=
 * boundaries[i], and the last value after the last boundary.
 */
export class PiecewiseConstantDecay extends LearningRateSchedule {
  readonly className = 'PiecewiseConstantDecay';
  readonly boundaries: readonly number[];
  readonly values: readonly number[];
  readonly name: string;

  constructor(args: PiecewiseConstantDecayArgs) {
    super();
    const owner = this.className;
    const o = scheduleOptions(owner, args, ['boundaries', 'values', 'name']);
    if (!Array.isArray(o.boundaries) || o.boundaries.length === 0)
      throw new ArgumentError(
        `${owner}: boundaries must be a non-empty list of step counts, got ${quote(o.boundaries)}`,
      );
    if (!Array.isArray(o.values) || o.values.length !== o.boundaries.length + 1) {
      throw new ArgumentError(
        `${owner}: values must have one more entry than boundaries (${o.boundaries.length + 1}), got ${quote(o.values)}`,
      );
    }
    this.boundaries = o.boundaries.map((b, i) => finite(owner, `boundaries[${i}]`, b));
    this.boundaries.forEach((b, i) => {
      if (i > 0 && !(b > this.boundaries[i - 1]))
        throw new ArgumentError(`${owner}: boundaries must increase strictly, got ${quote(o.boundaries)}`);
    });
    this.values = o.values.map((v, i) => finite(owner, `values[${i}]`, v, 0));
    this.name = nameOption(owner, o.name, 'PiecewiseConstant');
  }

  call(step: number): number {
    const i = this.boundaries.findIndex((b) => step <= b);
    return this.values[i < 0 ? this.values.length - 1 : i];
  }

  getConfig(): Record<string, unknown> {
    return { boundaries: [...this.boundaries], values: [...this.values], name: this.name };
  }
}
