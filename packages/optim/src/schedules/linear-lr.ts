import { integer } from '../validate';
import { checkOptions, factor } from './options';
import { LRScheduler, type SchedulableOptimizer } from './scheduler';

export interface LinearLROptions {
  /** The multiplier at epoch 0 (default 1/3). */
  startFactor?: number;
  /** The multiplier from epoch `totalIters` on (default 1). */
  endFactor?: number;
  /** Epochs over which the multiplier moves from startFactor to endFactor (default 5). */
  totalIters?: number;
}

/**
 * Scales each group's initial rate by a factor that moves linearly from
 * `startFactor` to `endFactor` over `totalIters` epochs, then stays
 * (torch.optim.lr_scheduler.LinearLR): a linear warm-up with the defaults.
 *
 *     lr = base · (s + (e − s) · min(t, T) / T)
 *
 * PyTorch computes the same rates recursively from the previous one; here
 * they come from the closed form, so a start factor of 0 is allowed.
 */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;

  constructor(optimizer: SchedulableOptimizer, options?: LinearLROptions) {
    super('LinearLR', optimizer);
    const o = checkOptions(this.name, options, ['startFactor', 'endFactor', 'totalIters'], false);
    this.startFactor = factor(this.name, 'startFactor', o.startFactor ?? 1 / 3);
    this.endFactor = factor(this.name, 'endFactor', o.endFactor ?? 1);
    this.totalIters = integer(this.name, 'totalIters', o.totalIters ?? 5, 1);
    this.apply();
  }

  protected lrAt(baseLr: number, epoch: number): number {
    return (
      baseLr *
      (this.startFactor + ((this.endFactor - this.startFactor) * Math.min(this.totalIters, epoch)) / this.totalIters)
    );
  }
}
