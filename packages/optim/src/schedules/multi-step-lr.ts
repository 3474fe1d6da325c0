import { argumentError, integer, positive } from '../validate';
import { checkOptions } from './options';
import { LRScheduler, type SchedulableOptimizer } from './scheduler';

export interface MultiStepLROptions {
  /** Epochs at which the rate is multiplied by gamma (a milestone given twice multiplies twice). */
  milestones: number[];
  /** The multiplier at each milestone (default 0.1). */
  gamma?: number;
}

/** How many of the sorted `milestones` are <= `epoch` (Python's bisect_right). */
export function bisectRight(milestones: readonly number[], epoch: number): number {
  let lo = 0;
  let hi = milestones.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (milestones[mid] <= epoch) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** lr = base · γ^(milestones passed) (torch.optim.lr_scheduler.MultiStepLR). */
export class MultiStepLR extends LRScheduler {
  /** The milestones, sorted. */
  readonly milestones: readonly number[];
  readonly gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: MultiStepLROptions) {
    super('MultiStepLR', optimizer);
    const o = checkOptions(this.name, options, ['milestones', 'gamma'], true);
    if (!Array.isArray(o.milestones))
      argumentError(
        this.name,
        `milestones must be an array of epochs, got ${JSON.stringify(o.milestones) ?? typeof o.milestones}`,
      );
    this.milestones = o.milestones.map((m, i) => integer(this.name, `milestones[${i}]`, m, 0)).sort((a, b) => a - b);
    this.gamma = positive(this.name, 'gamma', o.gamma ?? 0.1);
    this.apply();
  }

  protected lrAt(baseLr: number, epoch: number): number {
    return baseLr * this.gamma ** bisectRight(this.milestones, epoch);
  }
}
