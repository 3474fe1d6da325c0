import { argumentError } from '../validate';
import { initialLrs } from './initial-lrs';

/** What a schedule drives: anything with parameter groups that carry a learning rate (every Optimizer). */
export interface SchedulableOptimizer {
  readonly paramGroups: readonly { lr: number }[];
}

export type SchedulerStateDict = { lastEpoch: number; baseLrs: number[] };

/** Checks that `optimizer` has parameter groups with numeric learning rates. */
export function checkOptimizer(owner: string, optimizer: SchedulableOptimizer): void {
  if (
    optimizer === null ||
    typeof optimizer !== 'object' ||
    !Array.isArray(optimizer.paramGroups) ||
    optimizer.paramGroups.length === 0 ||
    !optimizer.paramGroups.every((g) => typeof g.lr === 'number')
  ) {
    argumentError(owner, 'expected an optimizer with parameter groups that have a numeric lr');
  }
}

/**
 * The base of epoch-indexed schedules (PyTorch's LRScheduler): each group's
 * learning rate is a closed-form function of its initial learning rate and
 * the number of step() calls. The constructor sets the epoch-0 rate;
 * call `step()` once per epoch (or per batch for per-step schedules), after
 * `optimizer.step()`. The initial rates are the groups' rates when the first
 * schedule on the optimizer was made (PyTorch's 'initial_lr'), so schedules
 * made one after another for SequentialLR share them.
 */
export abstract class LRScheduler {
  readonly optimizer: SchedulableOptimizer;
  /** Each group's learning rate when the schedule was created. */
  readonly baseLrs: number[];
  /** How many times step() ran. */
  lastEpoch = 0;
  readonly name: string;

  protected constructor(name: string, optimizer: SchedulableOptimizer) {
    checkOptimizer(name, optimizer);
    this.name = name;
    this.optimizer = optimizer;
    this.baseLrs = initialLrs(optimizer.paramGroups);
  }

  /** The learning rate of group `group`, whose initial rate is `baseLr`, after `epoch` steps. */
  protected abstract lrAt(baseLr: number, epoch: number, group: number): number;

  /** Advances one epoch and sets the optimizer's learning rates. */
  step(): void {
    this.stepTo(this.lastEpoch + 1);
  }

  /**
   * Jumps to `epoch` and sets the rates for it (PyTorch's `step(epoch)`);
   * SequentialLR restarts a schedule with stepTo(0). If the rates cannot be
   * computed, nothing changes.
   */
  stepTo(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0)
      argumentError(`${this.name}.stepTo`, `epoch must be an integer >= 0, got ${epoch}`);
    const before = this.lastEpoch;
    this.lastEpoch = epoch;
    try {
      this.apply();
    } catch (e) {
      this.lastEpoch = before;
      throw e;
    }
  }

  /** The current learning rate of the first parameter group. */
  getLr(): number {
    return this.optimizer.paramGroups[0].lr;
  }

  /** The current learning rate of every parameter group. */
  getLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): SchedulerStateDict {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs] };
  }

  loadStateDict(sd: SchedulerStateDict): void {
    if (!Number.isInteger(sd?.lastEpoch) || sd.lastEpoch < 0)
      argumentError(`${this.name}.loadStateDict`, `lastEpoch must be an integer >= 0, got ${sd?.lastEpoch}`);
    if (!Array.isArray(sd.baseLrs) || sd.baseLrs.length !== this.baseLrs.length) {
      argumentError(
        `${this.name}.loadStateDict`,
        `expected ${this.baseLrs.length} base learning rates, got ${JSON.stringify(sd.baseLrs)}`,
      );
    }
    this.lastEpoch = sd.lastEpoch;
    this.baseLrs.splice(0, this.baseLrs.length, ...sd.baseLrs);
    this.apply();
  }

  /** Sets every group's learning rate for the current epoch (all computed before any is set). */
  protected apply(): void {
    const groups = this.optimizer.paramGroups;
    const lrs = groups.map((_, i) => this.lrAt(this.baseLrs[i], this.lastEpoch, i));
    for (let i = 0; i < groups.length; i++) groups[i].lr = lrs[i];
  }
}
