import { integer, nonNegative } from '../validate';
import { checkOptions } from './options';
import { LRScheduler, type SchedulableOptimizer } from './scheduler';

export interface PolynomialLROptions {
  /** Epochs over which the rate decays to 0 (default 5). */
  totalIters?: number;
  /** The power of the polynomial (default 1: linear). */
  power?: number;
}

/** lr = base · (1 − min(t, T)/T)^power (torch.optim.lr_scheduler.PolynomialLR). */
export class PolynomialLR extends LRScheduler {
  readonly totalIters: number;
  readonly power: number;

  constructor(optimizer: SchedulableOptimizer, options?: PolynomialLROptions) {
    super('PolynomialLR', optimizer);
    const o = checkOptions(this.name, options, ['totalIters', 'power'], false);
    this.totalIters = integer(this.name, 'totalIters', o.totalIters ?? 5, 1);
    this.power = nonNegative(this.name, 'power', o.power ?? 1);
    this.apply();
  }

  protected lrAt(baseLr: number, epoch: number): number {
    return baseLr * (1 - Math.min(this.totalIters, epoch) / this.totalIters) ** this.power;
  }
}
