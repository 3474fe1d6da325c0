import { argumentError, integer } from '../validate';
import { initialLrs } from './initial-lrs';
import { bisectRight } from './multi-step-lr';
import { checkOptions } from './options';
import { LRScheduler, type SchedulableOptimizer, type SchedulerStateDict, checkOptimizer } from './scheduler';

export interface SequentialLROptions {
  /** The schedules, in the order they run; all on `optimizer`. */
  schedulers: LRScheduler[];
  /** The epochs at which the next schedule takes over: one fewer than schedulers, increasing. */
  milestones: number[];
}

export type SequentialLRStateDict = {
  lastEpoch: number;
  milestones: number[];
  /** Each schedule's own state dict, in order. */
  schedulers: SchedulerStateDict[];
};

/**
 * Runs schedules one after another (torch.optim.lr_scheduler.SequentialLR):
 * schedulers[i] drives the rate from milestones[i − 1] (epoch 0 for the
 * first) until milestones[i], starting from its own epoch 0 there, so a
 * warm-up followed by a decay is
 *
 *     const warmup = new LinearLR(opt, { startFactor: 0.01, totalIters: 100 });
 *     const decay = new CosineAnnealingLR(opt, { totalSteps: 900, minLr: 1e-4 });
 *     const schedule = new SequentialLR(opt, { schedulers: [warmup, decay], milestones: [100] });
 *
 * As in PyTorch, each step() advances only the schedule in charge (by one
 * epoch, or to its epoch 0 at a milestone), every schedule works from the
 * groups' initial rates, and the constructor resets the rates to those and
 * restarts the first schedule.
 */
export class SequentialLR {
  readonly name = 'SequentialLR';
  readonly optimizer: SchedulableOptimizer;
  readonly schedulers: readonly LRScheduler[];
  readonly milestones: readonly number[];
  /** How many times step() ran. */
  lastEpoch = 0;

  constructor(optimizer: SchedulableOptimizer, options: SequentialLROptions) {
    checkOptimizer(this.name, optimizer);
    const o = checkOptions(this.name, options, ['schedulers', 'milestones'], true);
    if (!Array.isArray(o.schedulers) || o.schedulers.length === 0)
      argumentError(this.name, 'schedulers must be a non-empty array of schedules');
    o.schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) {
        argumentError(
          this.name,
          `schedulers[${i}] must be an epoch schedule (LinearLR, CosineAnnealingLR …), got ${(s as object)?.constructor?.name ?? typeof s}`,
        );
      }
      if (s.optimizer !== optimizer)
        argumentError(this.name, `schedulers[${i}] (${s.name}) drives another optimizer than the one given`);
    });
    if (!Array.isArray(o.milestones) || o.milestones.length !== o.schedulers.length - 1) {
      argumentError(
        this.name,
        `expected ${o.schedulers.length - 1} milestones (one fewer than the ${o.schedulers.length} schedulers), got ${JSON.stringify(o.milestones) ?? typeof o.milestones}`,
      );
    }
    const milestones = o.milestones.map((m, i) => integer(this.name, `milestones[${i}]`, m, 1));
    milestones.forEach((m, i) => {
      if (i > 0 && m <= milestones[i - 1])
        argumentError(this.name, `milestones must increase, got ${JSON.stringify(milestones)}`);
    });
    this.optimizer = optimizer;
    this.schedulers = [...o.schedulers];
    this.milestones = milestones;
    // Each schedule set the rates for its own epoch 0 when it was made; undo that and start the first.
    const initial = initialLrs(optimizer.paramGroups);
    optimizer.paramGroups.forEach((g, i) => (g.lr = initial[i]));
    for (const s of this.schedulers.slice(1)) s.lastEpoch = 0;
    this.schedulers[0].stepTo(0);
  }

  /** The index of the schedule in charge at `epoch`. */
  private active(epoch: number): number {
    return bisectRight(this.milestones, epoch);
  }

  /** Advances one epoch: the schedule in charge steps, or restarts at its milestone. */
  step(): void {
    const epoch = this.lastEpoch + 1;
    const i = this.active(epoch);
    const s = this.schedulers[i];
    if (i > 0 && this.milestones[i - 1] === epoch) s.stepTo(0);
    else s.step();
    this.lastEpoch = epoch;
  }

  /** The current learning rate of the first parameter group. */
  getLr(): number {
    return this.optimizer.paramGroups[0].lr;
  }

  /** The current learning rate of every parameter group. */
  getLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): SequentialLRStateDict {
    return {
      lastEpoch: this.lastEpoch,
      milestones: [...this.milestones],
      schedulers: this.schedulers.map((s) => s.stateDict()),
    };
  }

  /** Restores a stateDict() into a SequentialLR over the same kinds of schedules and milestones, and sets the rates for it. */
  loadStateDict(sd: SequentialLRStateDict): void {
    const owner = `${this.name}.loadStateDict`;
    if (sd === null || typeof sd !== 'object' || !Array.isArray(sd.schedulers))
      argumentError(owner, 'expected an object from stateDict() with lastEpoch, milestones and schedulers');
    const lastEpoch = integer(owner, 'lastEpoch', sd.lastEpoch, 0);
    if (sd.schedulers.length !== this.schedulers.length)
      argumentError(
        owner,
        `the state dict has ${sd.schedulers.length} schedules, this SequentialLR has ${this.schedulers.length}`,
      );
    if (
      !Array.isArray(sd.milestones) ||
      sd.milestones.length !== this.milestones.length ||
      sd.milestones.some((m, i) => m !== this.milestones[i])
    ) {
      argumentError(
        owner,
        `the state dict's milestones ${JSON.stringify(sd.milestones)} differ from ${JSON.stringify(this.milestones)}`,
      );
    }
    // Each child sets the rates for its own epoch as it loads; the one in charge sets them last.
    this.schedulers.forEach((s, i) => s.loadStateDict(sd.schedulers[i]));
    this.lastEpoch = lastEpoch;
    const s = this.schedulers[this.active(lastEpoch)];
    s.stepTo(s.lastEpoch);
  }
}
