import { integer, nonNegative } from '../validate';
import { checkOptions } from './options';
import { LRScheduler, type SchedulableOptimizer } from './scheduler';

export interface CosineAnnealingWarmRestartsOptions {
  /** Epochs of the first cycle. */
  T0: number;
  /** Each cycle is TMult times longer than the one before (an integer >= 1, default 1). */
  TMult?: number;
  /** The rate at the end of every cycle (PyTorch's eta_min, default 0). */
  etaMin?: number;
}

/**
 * SGDR's cosine annealing with warm restarts
 * (torch.optim.lr_scheduler.CosineAnnealingWarmRestarts): within a cycle of
 * T_i epochs, T_cur epochs in,
 *
 *     lr = etaMin + (base − etaMin) · (1 + cos(π·T_cur/T_i)) / 2
 *
 * and the rate jumps back to base when a cycle ends; cycle i lasts T0·TMult^i
 * epochs. Epochs are whole (PyTorch's fractional step(epoch) has no
 * counterpart).
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  readonly T0: number;
  readonly TMult: number;
  readonly etaMin: number;

  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingWarmRestartsOptions) {
    super('CosineAnnealingWarmRestarts', optimizer);
    const o = checkOptions(this.name, options, ['T0', 'TMult', 'etaMin'], true);
    this.T0 = integer(this.name, 'T0', o.T0, 1);
    this.TMult = integer(this.name, 'TMult', o.TMult ?? 1, 1);
    this.etaMin = nonNegative(this.name, 'etaMin', o.etaMin ?? 0);
    this.apply();
  }

  /** [T_cur, T_i] after `epoch` epochs, by whole-cycle subtraction (exact, where PyTorch's jump uses a logarithm). */
  cyclePosition(epoch: number): [number, number] {
    if (this.TMult === 1) return [epoch % this.T0, this.T0];
    let t = epoch;
    let ti = this.T0;
    while (t >= ti) {
      t -= ti;
      ti *= this.TMult;
    }
    return [t, ti];
  }

  protected lrAt(baseLr: number, epoch: number): number {
    const [tCur, ti] = this.cyclePosition(epoch);
    return this.etaMin + ((baseLr - this.etaMin) * (1 + Math.cos((Math.PI * tCur) / ti))) / 2;
  }
}
