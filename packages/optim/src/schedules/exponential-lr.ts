import { positive } from '../validate';
import { LRScheduler, type SchedulableOptimizer } from './scheduler';

/** lr = baseLr · γ^epoch (torch.optim.lr_scheduler.ExponentialLR). */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;

  constructor(optimizer: SchedulableOptimizer, gamma: number) {
    super('ExponentialLR', optimizer);
    this.gamma = positive(this.name, 'gamma', gamma);
    this.apply();
  }

  protected lrAt(baseLr: number, epoch: number): number {
    return baseLr * this.gamma ** epoch;
  }
}
