import { argumentError } from '../validate';
import { LRScheduler, type SchedulableOptimizer } from './scheduler';

/** A multiplier of the initial rate for an epoch. */
export type LrLambda = (epoch: number) => number;

/**
 * lr = base · f(epoch), with one function for every group or one per group
 * (torch.optim.lr_scheduler.LambdaLR). The state dict holds the epoch and
 * the initial rates; the functions are code, so a restored schedule is made
 * with the same ones.
 */
export class LambdaLR extends LRScheduler {
  readonly lrLambdas: readonly LrLambda[];

  constructor(optimizer: SchedulableOptimizer, lrLambda: LrLambda | readonly LrLambda[]) {
    super('LambdaLR', optimizer);
    const groups = optimizer.paramGroups.length;
    if (Array.isArray(lrLambda)) {
      if (lrLambda.length !== groups)
        argumentError(
          this.name,
          `expected ${groups} lrLambda functions (one per parameter group), got ${lrLambda.length}`,
        );
      this.lrLambdas = [...(lrLambda as readonly LrLambda[])];
    } else {
      this.lrLambdas = new Array<LrLambda>(groups).fill(lrLambda as LrLambda);
    }
    this.lrLambdas.forEach((f, i) => {
      if (typeof f !== 'function')
        argumentError(
          this.name,
          `lrLambda${groups > 1 ? `[${i}]` : ''} must be a function of the epoch, got ${typeof f}`,
        );
    });
    this.apply();
  }

  protected lrAt(baseLr: number, epoch: number, group: number): number {
    const f = this.lrLambdas[group](epoch);
    // A negative or NaN rate would reach the update kernel unchecked (schedules set group.lr directly).
    if (typeof f !== 'number' || !Number.isFinite(f) || f < 0) {
      argumentError(
        this.name,
        `lrLambda returned ${typeof f === 'number' ? f : typeof f} at epoch ${epoch} for parameter group ${group}; expected a finite number >= 0`,
      );
    }
    return baseLr * f;
  }
}
