import { argumentError, integer, nonNegative } from '../validate';
import { LRScheduler, type SchedulableOptimizer } from './scheduler';

export interface CosineAnnealingOptions {
  /** Steps of the whole schedule (warm-up included); the rate stays at minLr afterwards. */
  totalSteps: number;
  /** Steps of linear warm-up from 0 to the base rate (default 0). */
  warmupSteps?: number;
  /** The final learning rate (PyTorch's eta_min, default 0). */
  minLr?: number;
}

/**
 * Linear warm-up, then cosine annealing to `minLr` (with warmupSteps = 0 this
 * is torch.optim.lr_scheduler.CosineAnnealingLR with T_max = totalSteps):
 *
 *     t < W:        lr = baseLr · t / W
 *     W ≤ t:        lr = minLr + (baseLr − minLr) · (1 + cos(π·p)) / 2,  p = min(1, (t − W) / (T − W))
 *
 * Unlike PyTorch's, the rate stays at minLr after totalSteps instead of rising again.
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly totalSteps: number;
  readonly warmupSteps: number;
  readonly minLr: number;

  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingOptions) {
    super('CosineAnnealingLR', optimizer);
    if (options === null || typeof options !== 'object')
      argumentError(this.name, 'options { totalSteps, warmupSteps?, minLr? } are required');
    this.totalSteps = integer(this.name, 'totalSteps', options.totalSteps, 1);
    this.warmupSteps = integer(this.name, 'warmupSteps', options.warmupSteps ?? 0, 0);
    this.minLr = nonNegative(this.name, 'minLr', options.minLr ?? 0);
    if (this.warmupSteps > this.totalSteps) {
      argumentError(this.name, `warmupSteps (${this.warmupSteps}) must not exceed totalSteps (${this.totalSteps})`);
    }
    this.apply();
  }

  protected lrAt(baseLr: number, epoch: number): number {
    const w = this.warmupSteps;
    if (epoch < w) return (baseLr * epoch) / w;
    const progress = Math.min(1, (epoch - w) / Math.max(1, this.totalSteps - w));
    return this.minLr + ((baseLr - this.minLr) * (1 + Math.cos(Math.PI * progress))) / 2;
  }
}
