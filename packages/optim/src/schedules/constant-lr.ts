import { integer } from '../validate';
import { checkOptions, factor } from './options';
import { LRScheduler, type SchedulableOptimizer } from './scheduler';

export interface ConstantLROptions {
  /** The multiplier for the first `totalIters` epochs (default 1/3). */
  factor?: number;
  /** Epochs the multiplier lasts (default 5). */
  totalIters?: number;
}

/**
 * Each group's initial rate times `factor` for the first `totalIters`
 * epochs, then the initial rate (torch.optim.lr_scheduler.ConstantLR): a
 * constant warm-up.
 */
export class ConstantLR extends LRScheduler {
  readonly factor: number;
  readonly totalIters: number;

  constructor(optimizer: SchedulableOptimizer, options?: ConstantLROptions) {
    super('ConstantLR', optimizer);
    const o = checkOptions(this.name, options, ['factor', 'totalIters'], false);
    this.factor = factor(this.name, 'factor', o.factor ?? 1 / 3);
    this.totalIters = integer(this.name, 'totalIters', o.totalIters ?? 5, 0);
    this.apply();
  }

  protected lrAt(baseLr: number, epoch: number): number {
    return epoch < this.totalIters ? baseLr * this.factor : baseLr;
  }
}
