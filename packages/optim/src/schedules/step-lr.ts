import { integer, positive } from '../validate';
import { LRScheduler, type SchedulableOptimizer } from './scheduler';

/** lr = baseLr · γ^⌊epoch / stepSize⌋ (torch.optim.lr_scheduler.StepLR). */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  /** @param gamma multiplicative factor every `stepSize` epochs (default 0.1, as PyTorch). */
  constructor(optimizer: SchedulableOptimizer, stepSize: number, gamma = 0.1) {
    super('StepLR', optimizer);
    this.stepSize = integer(this.name, 'stepSize', stepSize, 1);
    this.gamma = positive(this.name, 'gamma', gamma);
    this.apply();
  }

  protected lrAt(baseLr: number, epoch: number): number {
    return baseLr * this.gamma ** Math.floor(epoch / this.stepSize);
  }
}
