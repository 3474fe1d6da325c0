import { ArgumentError, type Tensor, dispose } from '@tsdl/tensor';
import { checkOptions, describeValue } from './models/options';
import type { Logs } from './progress';
import { checkModelPath } from './io/save-path';

/**
 * Keras callbacks. A callback receives the model before training and hooks at
 * each stage; every hook may be async. Logs carry 'loss', the metrics, and
 * 'val_'-prefixed values on epochs with validation.
 */

/** What callbacks may use of the model being trained. */
export interface TrainingModel {
  stopTraining: boolean;
  /** Copies of every weight, in a stable order. */
  getWeights(): Tensor[];
  /** Replaces every weight (same order and shapes as getWeights). */
  setWeights(weights: readonly Tensor[]): void;
  save(path: string, options?: { includeOptimizer?: boolean }): Promise<void>;
  /** The optimizer's current learning rate. */
  learningRate: number;
}

export abstract class Callback {
  protected model!: TrainingModel;
  setModel(model: TrainingModel): void {
    this.model = model;
  }
  onTrainBegin(_logs?: Logs): void | Promise<void> {}
  onTrainEnd(_logs?: Logs): void | Promise<void> {}
  onEpochBegin(_epoch: number, _logs?: Logs): void | Promise<void> {}
  onEpochEnd(_epoch: number, _logs?: Logs): void | Promise<void> {}
  onBatchBegin(_batch: number, _logs?: Logs): void | Promise<void> {}
  onBatchEnd(_batch: number, _logs?: Logs): void | Promise<void> {}
  /**
   * Not in Keras: called instead of onTrainEnd when fit ends with an error (a
   * callback's, a step's, a device read's), so that a callback can free what
   * it holds (EarlyStopping its copies of the best weights). fit then rethrows
   * the error; an error from this hook is ignored, as the first one is the one
   * to report.
   */
  onTrainAbort(_error: unknown): void | Promise<void> {}
}

export type CallbackHooks = Partial<
  Pick<Callback, 'onTrainBegin' | 'onTrainEnd' | 'onEpochBegin' | 'onEpochEnd' | 'onBatchBegin' | 'onBatchEnd' | 'onTrainAbort'>
>;

/** A callback from plain hook functions: `new LambdaCallback({ onEpochEnd: (e, logs) => … })`. */
export class LambdaCallback extends Callback {
  constructor(hooks: CallbackHooks) {
    super();
    // A misspelt hook ('onEpochEnds') would otherwise never run, silently.
    const names = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd', 'onTrainAbort'] as const;
    for (const [name, fn] of Object.entries(checkOptions('LambdaCallback', hooks, names))) {
      if (fn !== undefined && typeof fn !== 'function') throw new ArgumentError(`LambdaCallback: ${name} must be a function, got ${describeValue(fn)}`);
    }
    Object.assign(this, hooks);
  }
}

type Mode = 'min' | 'max' | 'auto';

/** 'auto' watches accuracy-like metrics for increases and everything else for decreases, as Keras. */
function better(mode: Mode, monitor: string, minDelta: number): (current: number, best: number) => boolean {
  const m = mode === 'auto' ? (/acc|auc|precision|recall/.test(monitor) ? 'max' : 'min') : mode;
  return m === 'max' ? (c, b) => c - minDelta > b : (c, b) => c + minDelta < b;
}

function initialBest(mode: Mode, monitor: string): number {
  return better(mode, monitor, 0)(1, 0) ? -Infinity : Infinity;
}

function monitored(logs: Logs | undefined, monitor: string, who: string): number | undefined {
  const v = logs?.[monitor];
  if (v === undefined) {
    console.warn(`${who}: metric '${monitor}' is not in the logs (available: ${Object.keys(logs ?? {}).join(', ')}); skipping`);
  }
  return v;
}

export interface EarlyStoppingOptions {
  monitor?: string;
  minDelta?: number;
  patience?: number;
  mode?: Mode;
  baseline?: number;
  restoreBestWeights?: boolean;
  startFromEpoch?: number;
}

/** Stops training when the monitored value stops improving; can restore the best epoch's weights. */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  private readonly options: Required<Omit<EarlyStoppingOptions, 'baseline'>> & { baseline?: number };
  private readonly isBetter: (c: number, b: number) => boolean;
  private wait = 0;
  private best = 0;
  private bestWeights: Tensor[] | null = null;
  /** The epoch training stopped at (0 when it ran to the end). */
  stoppedEpoch = 0;
  bestEpoch = 0;

  constructor(options: EarlyStoppingOptions = {}) {
    super();
    checkOptions('EarlyStopping', options, ['monitor', 'minDelta', 'patience', 'mode', 'baseline', 'restoreBestWeights', 'startFromEpoch']);
    this.options = {
      monitor: options.monitor ?? 'val_loss',
      minDelta: Math.abs(options.minDelta ?? 0),
      patience: options.patience ?? 0,
      mode: options.mode ?? 'auto',
      baseline: options.baseline,
      restoreBestWeights: options.restoreBestWeights ?? false,
      startFromEpoch: options.startFromEpoch ?? 0,
    };
    this.monitor = this.options.monitor;
    this.isBetter = better(this.options.mode, this.monitor, this.options.minDelta);
  }

  override onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = this.options.baseline ?? initialBest(this.options.mode, this.monitor);
    this.clearBest();
  }

  override onEpochEnd(epoch: number, logs?: Logs): void {
    const current = monitored(logs, this.monitor, 'EarlyStopping');
    if (current === undefined || epoch < this.options.startFromEpoch) return;
    if (this.options.restoreBestWeights && this.bestWeights === null) this.keepBest(epoch);
    this.wait++;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.options.restoreBestWeights) this.keepBest(epoch);
      // With a baseline, only improving on it resets the wait.
      if (this.options.baseline === undefined || this.isBetter(current, this.options.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.options.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model.stopTraining = true;
    }
  }

  override onTrainEnd(): void {
    if (this.options.restoreBestWeights && this.bestWeights) this.model.setWeights(this.bestWeights);
    this.clearBest();
  }

  /** An aborted fit keeps its last weights (Keras restores only at a normal end), and the copies are freed. */
  override onTrainAbort(): void {
    this.clearBest();
  }

  private keepBest(epoch: number): void {
    this.clearBest();
    this.bestWeights = this.model.getWeights().map((w) => w.keep());
    this.bestEpoch = epoch;
  }

  private clearBest(): void {
    if (this.bestWeights) dispose(this.bestWeights);
    this.bestWeights = null;
  }
}

export interface ModelCheckpointOptions {
  monitor?: string;
  saveBestOnly?: boolean;
  mode?: Mode;
  includeOptimizer?: boolean;
}

/**
 * One `{name:spec}` field of a checkpoint path, formatted as Python's
 * str.format does for the specs Keras users write: `02d`, `3d`, `.2f`, `.3e`,
 * or none (the plain number).
 */
function formatField(value: number, spec: string | undefined): string {
  const int = /^(0?)(\d*)d$/.exec(spec ?? '');
  if (int) return String(Math.trunc(value)).padStart(Number(int[2] || 0), int[1] === '0' ? '0' : ' ');
  const fixed = /^\.(\d+)f$/.exec(spec ?? '');
  if (fixed) return value.toFixed(Number(fixed[1]));
  const exp = /^\.(\d+)e$/.exec(spec ?? '');
  // Python writes at least two exponent digits: 1.235e-04.
  if (exp) return value.toExponential(Number(exp[1])).replace(/e([+-])(\d)$/, (_m, sign: string, d: string) => `e${sign}0${d}`);
  return String(value);
}

/** Saves the model after each epoch (`{epoch}` and log names are filled into the path), or only the best. */
export class ModelCheckpoint extends Callback {
  private best: number;
  private readonly isBetter: (c: number, b: number) => boolean;
  readonly monitor: string;
  /** Paths written, in order. */
  readonly saved: string[] = [];

  constructor(readonly path: string, private readonly options: ModelCheckpointOptions = {}) {
    super();
    // A path the save would refuse ('best.keras') fails here, not after the first epoch.
    checkModelPath(path, 'ModelCheckpoint');
    this.monitor = options.monitor ?? 'val_loss';
    this.isBetter = better(options.mode ?? 'auto', this.monitor, 0);
    this.best = initialBest(options.mode ?? 'auto', this.monitor);
  }

  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    if (this.options.saveBestOnly) {
      const current = monitored(logs, this.monitor, 'ModelCheckpoint');
      if (current === undefined || !this.isBetter(current, this.best)) return;
      this.best = current;
    }
    // Keras numbers epochs from 1 in paths: 'model-{epoch:02d}' → 'model-01'.
    const path = this.path.replace(/\{(\w+)(?::([^}]*))?\}/g, (m, key: string, spec: string | undefined) =>
      key === 'epoch' ? formatField(epoch + 1, spec) : key in logs ? formatField(logs[key], spec) : m,
    );
    await this.model.save(path, { includeOptimizer: this.options.includeOptimizer });
    this.saved.push(path);
  }
}

/** Sets the learning rate at each epoch's start from schedule(epoch, currentLr). */
export class LearningRateScheduler extends Callback {
  constructor(private readonly schedule: (epoch: number, lr: number) => number) {
    super();
  }

  override onEpochBegin(epoch: number): void {
    const lr = this.schedule(epoch, this.model.learningRate);
    if (!Number.isFinite(lr) || lr < 0) throw new ArgumentError(`LearningRateScheduler: the schedule returned ${lr} at epoch ${epoch}`);
    this.model.learningRate = lr;
  }
}

export interface ReduceLROnPlateauOptions {
  monitor?: string;
  factor?: number;
  patience?: number;
  mode?: Mode;
  minDelta?: number;
  cooldown?: number;
  minLr?: number;
}

/** Multiplies the learning rate by `factor` after `patience` epochs without improvement. */
export class ReduceLROnPlateau extends Callback {
  private best: number;
  private wait = 0;
  private cooldownLeft = 0;
  private readonly isBetter: (c: number, b: number) => boolean;
  private readonly o: Required<ReduceLROnPlateauOptions>;

  constructor(options: ReduceLROnPlateauOptions = {}) {
    super();
    checkOptions('ReduceLROnPlateau', options, ['monitor', 'factor', 'patience', 'mode', 'minDelta', 'cooldown', 'minLr']);
    this.o = {
      monitor: options.monitor ?? 'val_loss',
      factor: options.factor ?? 0.1,
      patience: options.patience ?? 10,
      mode: options.mode ?? 'auto',
      minDelta: options.minDelta ?? 1e-4,
      cooldown: options.cooldown ?? 0,
      minLr: options.minLr ?? 0,
    };
    if (!(this.o.factor < 1 && this.o.factor >= 0)) throw new ArgumentError(`ReduceLROnPlateau: factor must be in [0, 1), got ${this.o.factor}`);
    this.isBetter = better(this.o.mode, this.o.monitor, this.o.minDelta);
    this.best = initialBest(this.o.mode, this.o.monitor);
  }

  override onEpochEnd(_epoch: number, logs?: Logs): void {
    const current = monitored(logs, this.o.monitor, 'ReduceLROnPlateau');
    if (current === undefined) return;
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.wait = 0;
    }
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.wait = 0;
    } else if (this.cooldownLeft === 0 && ++this.wait >= this.o.patience) {
      const lr = this.model.learningRate;
      if (lr > this.o.minLr) {
        this.model.learningRate = Math.max(lr * this.o.factor, this.o.minLr);
        this.cooldownLeft = this.o.cooldown;
        this.wait = 0;
      }
    }
  }
}

/** Stops training as soon as a batch loss is NaN or infinite. */
export class TerminateOnNaN extends Callback {
  override onBatchEnd(batch: number, logs?: Logs): void {
    const loss = logs?.loss;
    if (loss !== undefined && !Number.isFinite(loss)) {
      console.warn(`TerminateOnNaN: batch ${batch} has loss ${loss}; stopping training`);
      this.model.stopTraining = true;
    }
  }
}

/** Appends one CSV row per epoch (epoch and every log value) to a file (Node only). */
export class CSVLogger extends Callback {
  private keys: string[] | null = null;

  constructor(readonly path: string, private readonly options: { separator?: string; append?: boolean } = {}) {
    super();
    checkOptions('CSVLogger', options, ['separator', 'append']);
  }

  override async onTrainBegin(): Promise<void> {
    const fs = await import('node:fs/promises');
    this.keys = null;
    if (!this.options.append) await fs.writeFile(this.path, '');
  }

  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    const fs = await import('node:fs/promises');
    const sep = this.options.separator ?? ',';
    let text = '';
    if (this.keys === null) {
      this.keys = Object.keys(logs).sort();
      const existing = await fs.readFile(this.path, 'utf8').catch(() => '');
      if (existing.length === 0) text += ['epoch', ...this.keys].join(sep) + '\n';
    }
    text += [String(epoch), ...this.keys.map((k) => (k in logs ? String(logs[k]) : 'NA'))].join(sep) + '\n';
    await fs.appendFile(this.path, text);
  }
}
