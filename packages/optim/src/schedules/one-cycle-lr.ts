import { argumentError, boolean, integer, nonNegative, oneOf, positive, unitInterval } from '../validate';
import { setInitialLrs } from './initial-lrs';
import { checkOptions } from './options';
import { LRScheduler, type SchedulableOptimizer } from './scheduler';

export interface OneCycleLROptions {
  /** The peak rate, for every group or one per group. */
  maxLr: number | number[];
  /** Steps in the cycle; or give epochs and stepsPerEpoch. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** The fraction of the cycle spent raising the rate (default 0.3). */
  pctStart?: number;
  /** 'cos' (default) or 'linear' annealing between the phase ends. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (SGD's momentum, Adam's β1) inversely to the rate (default true). */
  cycleMomentum?: boolean;
  /** The momentum at the peak rate (default 0.85), for every group or one per group. */
  baseMomentum?: number | number[];
  /** The momentum at the start and end (default 0.95), for every group or one per group. */
  maxMomentum?: number | number[];
  /** The starting rate is maxLr / divFactor (default 25). */
  divFactor?: number;
  /** The final rate is the starting rate / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, down to the starting rate, then down to the final rate) as the paper, instead of fastai's two (default false). */
  threePhase?: boolean;
}

type Level = 'initial' | 'max' | 'min';
type Momentum = 'max' | 'base';
interface Phase {
  end: number;
  lr: [Level, Level];
  momentum: [Momentum, Momentum];
}

const KNOWN = [
  'maxLr',
  'totalSteps',
  'epochs',
  'stepsPerEpoch',
  'pctStart',
  'annealStrategy',
  'cycleMomentum',
  'baseMomentum',
  'maxMomentum',
  'divFactor',
  'finalDivFactor',
  'threePhase',
];

/**
 * The 1cycle policy (torch.optim.lr_scheduler.OneCycleLR): the rate rises
 * from maxLr/divFactor to maxLr over the first pctStart of `totalSteps`
 * steps, then falls to maxLr/(divFactor·finalDivFactor), while momentum
 * moves the other way between maxMomentum and baseMomentum. Step it once per
 * batch; stepping past totalSteps is an error. It replaces the groups'
 * rates (and, with cycleMomentum, their `momentum` or `betas[0]`) from the
 * start, and records maxLr/divFactor as their initial rate.
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly annealStrategy: 'cos' | 'linear';
  readonly cycleMomentum: boolean;
  readonly maxLrs: readonly number[];
  readonly minLrs: readonly number[];
  readonly maxMomentums: readonly number[];
  readonly baseMomentums: readonly number[];
  /** Whether momentum is Adam's β1 (`betas[0]`) rather than `momentum`. */
  readonly useBeta1: boolean;
  private readonly phases: Phase[];

  constructor(optimizer: SchedulableOptimizer, options: OneCycleLROptions) {
    super('OneCycleLR', optimizer);
    const o = checkOptions(this.name, options, KNOWN, true);
    const groups = optimizer.paramGroups as unknown as Record<string, unknown>[];
    if (o.totalSteps !== undefined) {
      this.totalSteps = integer(this.name, 'totalSteps', o.totalSteps, 1);
    } else if (o.epochs !== undefined || o.stepsPerEpoch !== undefined) {
      this.totalSteps =
        integer(this.name, 'epochs', o.epochs, 1) * integer(this.name, 'stepsPerEpoch', o.stepsPerEpoch, 1);
    } else {
      argumentError(this.name, 'give totalSteps, or epochs and stepsPerEpoch');
    }
    const pct = o.pctStart ?? 0.3;
    if (typeof pct !== 'number' || !(pct >= 0 && pct <= 1))
      argumentError(this.name, `pctStart must be a number in [0, 1], got ${pct}`);
    this.annealStrategy = oneOf(this.name, 'annealStrategy', o.annealStrategy ?? 'cos', ['cos', 'linear'] as const);
    this.cycleMomentum = boolean(this.name, 'cycleMomentum', o.cycleMomentum ?? true);
    const divFactor = positive(this.name, 'divFactor', o.divFactor ?? 25);
    const finalDivFactor = positive(this.name, 'finalDivFactor', o.finalDivFactor ?? 1e4);
    const threePhase = boolean(this.name, 'threePhase', o.threePhase ?? false);

    const perGroup = (
      name: string,
      v: unknown,
      check: (owner: string, name: string, v: unknown) => number,
    ): number[] => {
      if (Array.isArray(v)) {
        if (v.length !== groups.length)
          argumentError(
            this.name,
            `${name} has ${v.length} entries but the optimizer has ${groups.length} parameter groups`,
          );
        return v.map((x, i) => check(this.name, `${name}[${i}]`, x));
      }
      return new Array<number>(groups.length).fill(check(this.name, name, v));
    };
    this.maxLrs = perGroup('maxLr', o.maxLr, nonNegative);
    const initial = this.maxLrs.map((m) => m / divFactor);
    this.minLrs = initial.map((lr) => lr / finalDivFactor);
    this.maxMomentums = perGroup('maxMomentum', o.maxMomentum ?? 0.95, unitInterval);
    this.baseMomentums = perGroup('baseMomentum', o.baseMomentum ?? 0.85, unitInterval);
    this.useBeta1 = groups.every((g) => Array.isArray(g.betas));
    if (this.cycleMomentum && !this.useBeta1 && !groups.every((g) => typeof g.momentum === 'number')) {
      argumentError(this.name, 'cycleMomentum needs an optimizer with momentum or betas (pass cycleMomentum: false)');
    }

    const T = this.totalSteps;
    this.phases = threePhase
      ? [
          { end: pct * T - 1, lr: ['initial', 'max'], momentum: ['max', 'base'] },
          { end: 2 * pct * T - 2, lr: ['max', 'initial'], momentum: ['base', 'max'] },
          { end: T - 1, lr: ['initial', 'min'], momentum: ['max', 'max'] },
        ]
      : [
          { end: pct * T - 1, lr: ['initial', 'max'], momentum: ['max', 'base'] },
          { end: T - 1, lr: ['max', 'min'], momentum: ['base', 'max'] },
        ];
    // A phase of no length divides by zero (PyTorch raises ZeroDivisionError at that step).
    let start = 0;
    for (const [i, p] of this.phases.entries()) {
      if (!(p.end > start)) {
        argumentError(
          this.name,
          `phase ${i + 1} of ${this.phases.length} would end at step ${p.end}, not after its start (${start}); raise totalSteps (${T}) or change pctStart (${pct})`,
        );
      }
      start = p.end;
    }
    this.baseLrs.splice(0, this.baseLrs.length, ...initial);
    setInitialLrs(optimizer.paramGroups, initial);
    this.apply();
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'linear') return (end - start) * pct + start;
    return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  }

  /** [lr, momentum] of group `i` at `step`. */
  private at(i: number, step: number): [number, number] {
    const lrs: Record<Level, number> = { initial: this.baseLrs[i], max: this.maxLrs[i], min: this.minLrs[i] };
    const ms: Record<Momentum, number> = { max: this.maxMomentums[i], base: this.baseMomentums[i] };
    let start = 0;
    for (let k = 0; k < this.phases.length; k++) {
      const p = this.phases[k];
      if (step <= p.end || k === this.phases.length - 1) {
        const pct = (step - start) / (p.end - start);
        return [this.anneal(lrs[p.lr[0]], lrs[p.lr[1]], pct), this.anneal(ms[p.momentum[0]], ms[p.momentum[1]], pct)];
      }
      start = p.end;
    }
    throw new Error('unreachable');
  }

  protected lrAt(_baseLr: number, epoch: number, group: number): number {
    return this.at(group, epoch)[0];
  }

  protected override apply(): void {
    if (this.lastEpoch > this.totalSteps) {
      argumentError(
        `${this.name}.step`,
        `tried to step ${this.lastEpoch + 1} times; the cycle has totalSteps = ${this.totalSteps}`,
      );
    }
    const groups = this.optimizer.paramGroups as unknown as Record<string, unknown>[];
    const values = groups.map((_, i) => this.at(i, this.lastEpoch));
    groups.forEach((g, i) => {
      const [lr, m] = values[i];
      g.lr = lr;
      if (!this.cycleMomentum) return;
      if (this.useBeta1) g.betas = [m, (g.betas as number[])[1]];
      else g.momentum = m;
    });
  }
}
