import { Tensor } from '@tsdl/tensor';
import { argumentError, integer, nonNegative, oneOf } from '../validate';
import { checkOptimizer, type SchedulableOptimizer } from './scheduler';

export interface ReduceLROnPlateauOptions {
  /** 'min': the metric should fall (a loss); 'max': it should rise (an accuracy). Default 'min'. */
  mode?: 'min' | 'max';
  /** Factor the rate is multiplied by on a plateau, in (0, 1) (default 0.1). */
  factor?: number;
  /** Epochs without improvement to tolerate; the next one reduces the rate (default 10). */
  patience?: number;
  /** Minimum change that counts as an improvement (default 1e-4). */
  threshold?: number;
  /** 'rel': better than best·(1 ∓ threshold); 'abs': better than best ∓ threshold (default 'rel'). */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again (default 0). */
  cooldown?: number;
  /** Lower bound on the rate: one for all groups or one per group (default 0). */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

export type ReduceLROnPlateauStateDict = {
  best: number;
  numBadEpochs: number;
  cooldownCounter: number;
  lastEpoch: number;
};

/**
 * Reduces the learning rate when a metric stops improving, as
 * torch.optim.lr_scheduler.ReduceLROnPlateau: each `step(metric)` is one
 * epoch; after more than `patience` epochs without improvement every group's
 * rate becomes max(lr·factor, minLr), then `cooldown` epochs pass before bad
 * epochs are counted again.
 */
export class ReduceLROnPlateau {
  readonly name = 'ReduceLROnPlateau';
  readonly optimizer: SchedulableOptimizer;
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  /** The best metric so far (Infinity / −Infinity before the first step). */
  best: number;
  /** Consecutive epochs without improvement. */
  numBadEpochs = 0;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;
  lastEpoch = 0;

  constructor(optimizer: SchedulableOptimizer, options: ReduceLROnPlateauOptions = {}) {
    checkOptimizer(this.name, optimizer);
    this.optimizer = optimizer;
    this.mode = oneOf(this.name, 'mode', options.mode ?? 'min', ['min', 'max'] as const);
    const factor = options.factor ?? 0.1;
    if (typeof factor !== 'number' || !(factor > 0 && factor < 1))
      argumentError(this.name, `factor must be in (0, 1), got ${factor}`);
    this.factor = factor;
    this.patience = integer(this.name, 'patience', options.patience ?? 10, 0);
    this.threshold = nonNegative(this.name, 'threshold', options.threshold ?? 1e-4);
    this.thresholdMode = oneOf(this.name, 'thresholdMode', options.thresholdMode ?? 'rel', ['rel', 'abs'] as const);
    this.cooldown = integer(this.name, 'cooldown', options.cooldown ?? 0, 0);
    this.eps = nonNegative(this.name, 'eps', options.eps ?? 1e-8);
    const groups = optimizer.paramGroups.length;
    const minLr = options.minLr ?? 0;
    if (Array.isArray(minLr)) {
      if (minLr.length !== groups)
        argumentError(this.name, `minLr has ${minLr.length} entries but the optimizer has ${groups} parameter groups`);
      this.minLrs = minLr.map((v, i) => nonNegative(this.name, `minLr[${i}]`, v));
    } else {
      this.minLrs = new Array<number>(groups).fill(nonNegative(this.name, 'minLr', minLr));
    }
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  /** Records one epoch's metric (a number or a one-element tensor) and reduces the rate on a plateau. */
  step(metric: number | Tensor): void {
    const current = metric instanceof Tensor ? metric.item() : metric;
    if (typeof current !== 'number')
      argumentError(this.name, `step: metric must be a number or a one-element Tensor, got ${typeof current}`);
    this.lastEpoch++;
    if (this.isBetter(current)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0; // bad epochs during cooldown are ignored
    }
    if (this.numBadEpochs > this.patience) {
      this.reduce();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
  }

  /** Whether the scheduler is waiting out a cooldown. */
  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** The current learning rate of the first parameter group. */
  getLr(): number {
    return this.optimizer.paramGroups[0].lr;
  }

  /** The current learning rate of every parameter group. */
  getLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): ReduceLROnPlateauStateDict {
    return {
      best: this.best,
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
      lastEpoch: this.lastEpoch,
    };
  }

  loadStateDict(sd: ReduceLROnPlateauStateDict): void {
    const owner = `${this.name}.loadStateDict`;
    if (typeof sd?.best !== 'number') argumentError(owner, `best must be a number, got ${sd?.best}`);
    this.numBadEpochs = integer(owner, 'numBadEpochs', sd.numBadEpochs, 0);
    this.cooldownCounter = integer(owner, 'cooldownCounter', sd.cooldownCounter, 0);
    this.lastEpoch = integer(owner, 'lastEpoch', sd.lastEpoch, 0);
    this.best = sd.best;
  }

  private isBetter(a: number): boolean {
    const best = this.best;
    if (this.mode === 'min')
      return this.thresholdMode === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === 'rel' ? a > best * (1 + this.threshold) : a > best + this.threshold;
  }

  private reduce(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      const next = Math.max(g.lr * this.factor, this.minLrs[i]);
      if (g.lr - next > this.eps) g.lr = next;
    });
  }
}
