import { fsPromises } from '#node-only';
import { ArgumentError, type Tensor, dispose } from '@tsdl/tensor';
import type { WithSnakeCase } from './config-keys';
import { checkOptions, choiceOption, describeValue } from './models/options';
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
  Pick<
    Callback,
    'onTrainBegin' | 'onTrainEnd' | 'onEpochBegin' | 'onEpochEnd' | 'onBatchBegin' | 'onBatchEnd' | 'onTrainAbort'
  >
>;

/** A callback from plain hook functions: `new LambdaCallback({ onEpochEnd: (e, logs) => … })`. */
export class LambdaCallback extends Callback {
  constructor(hooks: CallbackHooks) {
    super();
    // A misspelt hook ('onEpochEnds') would otherwise never run, silently.
    // Keras' on_epoch_end … spellings are the same hooks.
    const names = [
      'onTrainBegin',
      'onTrainEnd',
      'onEpochBegin',
      'onEpochEnd',
      'onBatchBegin',
      'onBatchEnd',
      'onTrainAbort',
    ] as const;
    const h = checkOptions('LambdaCallback', hooks, names);
    for (const [name, fn] of Object.entries(h)) {
      if (fn !== undefined && typeof fn !== 'function')
        throw new ArgumentError(`LambdaCallback: ${name} must be a function, got ${describeValue(fn)}`);
    }
    Object.assign(this, h);
  }
}

type Mode = 'min' | 'max' | 'auto';

/** A callback's verbose option: 0 (silent) or 1 (a line when it acts, as Keras prints). */
function verboseOption(who: string, v: unknown): 0 | 1 {
  return choiceOption(who, 'verbose', v, [0, 1] as const, 0);
}

/** Python's '{:.5f}' as Keras' messages use it (inf for an infinite best). */
function fmt5(v: number): string {
  return Number.isFinite(v) ? v.toFixed(5) : v > 0 ? 'inf' : v < 0 ? '-inf' : 'nan';
}

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
    console.warn(
      `${who}: metric '${monitor}' is not in the logs (available: ${Object.keys(logs ?? {}).join(', ')}); skipping`,
    );
  }
  return v;
}

export type EarlyStoppingArgs = WithSnakeCase<EarlyStoppingArgsCamel>;

export interface EarlyStoppingArgsCamel {
  monitor?: string;
  minDelta?: number;
  patience?: number;
  mode?: Mode;
  baseline?: number;
  restoreBestWeights?: boolean;
  startFromEpoch?: number;
  /** 1: say when training stops ('Epoch 7: early stopping') and when the best weights are restored, as Keras. */
  verbose?: 0 | 1;
}

/** Stops training when the monitored value stops improving; can restore the best epoch's weights. */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  private readonly options: Required<Omit<EarlyStoppingArgsCamel, 'baseline'>> & { baseline?: number };
  private readonly isBetter: (c: number, b: number) => boolean;
  private wait = 0;
  private best = 0;
  private bestWeights: Tensor[] | null = null;
  /** The epoch training stopped at (0 when it ran to the end). */
  stoppedEpoch = 0;
  bestEpoch = 0;

  constructor(options: EarlyStoppingArgs = {}) {
    super();
    const o = checkOptions<EarlyStoppingArgsCamel>('EarlyStopping', options, [
      'monitor',
      'minDelta',
      'patience',
      'mode',
      'baseline',
      'restoreBestWeights',
      'startFromEpoch',
      'verbose',
    ]);
    this.options = {
      monitor: o.monitor ?? 'val_loss',
      minDelta: Math.abs(o.minDelta ?? 0),
      patience: o.patience ?? 0,
      mode: o.mode ?? 'auto',
      baseline: o.baseline,
      restoreBestWeights: o.restoreBestWeights ?? false,
      startFromEpoch: o.startFromEpoch ?? 0,
      verbose: verboseOption('EarlyStopping', o.verbose),
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
    // Keras' messages, numbering epochs from 1.
    if (this.stoppedEpoch > 0 && this.options.verbose > 0)
      console.log(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
    if (this.options.restoreBestWeights && this.bestWeights) {
      if (this.options.verbose > 0)
        console.log(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
      this.model.setWeights(this.bestWeights);
    }
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

export type ModelCheckpointArgs = WithSnakeCase<ModelCheckpointArgsCamel>;

export interface ModelCheckpointArgsCamel {
  monitor?: string;
  saveBestOnly?: boolean;
  mode?: Mode;
  includeOptimizer?: boolean;
  /** 1: a line per epoch saying what was saved (or that the monitored value did not improve), as Keras. */
  verbose?: 0 | 1;
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
  if (exp)
    return value
      .toExponential(Number(exp[1]))
      .replace(/e([+-])(\d)$/, (_m, sign: string, d: string) => `e${sign}0${d}`);
  return String(value);
}

/** Saves the model after each epoch (`{epoch}` and log names are filled into the path), or only the best. */
export class ModelCheckpoint extends Callback {
  private best: number;
  private readonly isBetter: (c: number, b: number) => boolean;
  readonly monitor: string;
  /** Paths written, in order. */
  readonly saved: string[] = [];

  private readonly options: ModelCheckpointArgsCamel;

  constructor(
    readonly path: string,
    options: ModelCheckpointArgs = {},
  ) {
    super();
    // A path the save would refuse ('best.keras') fails here, not after the first epoch.
    checkModelPath(path, 'ModelCheckpoint');
    const o = checkOptions<ModelCheckpointArgsCamel>('ModelCheckpoint', options, [
      'monitor',
      'saveBestOnly',
      'mode',
      'includeOptimizer',
      'verbose',
    ]);
    this.options = { ...o, verbose: verboseOption('ModelCheckpoint', o.verbose) };
    this.monitor = o.monitor ?? 'val_loss';
    this.isBetter = better(o.mode ?? 'auto', this.monitor, 0);
    this.best = initialBest(o.mode ?? 'auto', this.monitor);
  }

  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    // Keras numbers epochs from 1 in paths: 'model-{epoch:02d}' → 'model-01'.
    const path = this.path.replace(/\{(\w+)(?::([^}]*))?\}/g, (m, key: string, spec: string | undefined) =>
      key === 'epoch' ? formatField(epoch + 1, spec) : key in logs ? formatField(logs[key], spec) : m,
    );
    const say = this.options.verbose ? (line: string): void => console.log(`\nEpoch ${epoch + 1}: ${line}`) : null;
    if (this.options.saveBestOnly) {
      const current = monitored(logs, this.monitor, 'ModelCheckpoint');
      if (current === undefined) return;
      if (!this.isBetter(current, this.best)) {
        say?.(`${this.monitor} did not improve from ${fmt5(this.best)}`);
        return;
      }
      say?.(`${this.monitor} improved from ${fmt5(this.best)} to ${fmt5(current)}, saving model to ${path}`);
      this.best = current;
    } else {
      say?.(`saving model to ${path}`);
    }
    await this.model.save(path, { includeOptimizer: this.options.includeOptimizer });
    this.saved.push(path);
  }
}

/** Sets the learning rate at each epoch's start from schedule(epoch, currentLr). */
export class LearningRateScheduler extends Callback {
  private readonly verbose: 0 | 1;

  /** `verbose` 1 prints the rate set at each epoch, as Keras: `new LearningRateScheduler(fn, 1)`. */
  constructor(
    private readonly schedule: (epoch: number, lr: number) => number,
    verbose: 0 | 1 = 0,
  ) {
    super();
    if (typeof schedule !== 'function')
      throw new ArgumentError(
        `LearningRateScheduler: schedule must be a function (epoch, lr) => lr, got ${describeValue(schedule)}`,
      );
    this.verbose = verboseOption('LearningRateScheduler', verbose);
  }

  override onEpochBegin(epoch: number): void {
    const lr = this.schedule(epoch, this.model.learningRate);
    if (!Number.isFinite(lr) || lr < 0)
      throw new ArgumentError(`LearningRateScheduler: the schedule returned ${lr} at epoch ${epoch}`);
    this.model.learningRate = lr;
    if (this.verbose) console.log(`\nEpoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${lr}.`);
  }
}

export type ReduceLROnPlateauArgs = WithSnakeCase<ReduceLROnPlateauArgsCamel>;

export interface ReduceLROnPlateauArgsCamel {
  monitor?: string;
  factor?: number;
  patience?: number;
  mode?: Mode;
  minDelta?: number;
  cooldown?: number;
  minLr?: number;
  /** 1: say when the rate is reduced, as Keras. */
  verbose?: 0 | 1;
}

/** Multiplies the learning rate by `factor` after `patience` epochs without improvement. */
export class ReduceLROnPlateau extends Callback {
  private best: number;
  private wait = 0;
  private cooldownLeft = 0;
  private readonly isBetter: (c: number, b: number) => boolean;
  private readonly o: Required<ReduceLROnPlateauArgsCamel>;

  constructor(options: ReduceLROnPlateauArgs = {}) {
    super();
    const a = checkOptions<ReduceLROnPlateauArgsCamel>('ReduceLROnPlateau', options, [
      'monitor',
      'factor',
      'patience',
      'mode',
      'minDelta',
      'cooldown',
      'minLr',
      'verbose',
    ]);
    this.o = {
      monitor: a.monitor ?? 'val_loss',
      factor: a.factor ?? 0.1,
      patience: a.patience ?? 10,
      mode: a.mode ?? 'auto',
      minDelta: a.minDelta ?? 1e-4,
      cooldown: a.cooldown ?? 0,
      minLr: a.minLr ?? 0,
      verbose: verboseOption('ReduceLROnPlateau', a.verbose),
    };
    if (!(this.o.factor < 1 && this.o.factor >= 0))
      throw new ArgumentError(`ReduceLROnPlateau: factor must be in [0, 1), got ${this.o.factor}`);
    this.isBetter = better(this.o.mode, this.o.monitor, this.o.minDelta);
    this.best = initialBest(this.o.mode, this.o.monitor);
  }

  override onEpochEnd(epoch: number, logs?: Logs): void {
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
        if (this.o.verbose)
          console.log(`\nEpoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${this.model.learningRate}.`);
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
  private readonly options: { separator?: string; append?: boolean };

  constructor(
    readonly path: string,
    options: { separator?: string; append?: boolean } = {},
  ) {
    super();
    this.options = checkOptions('CSVLogger', options, ['separator', 'append']);
  }

  override async onTrainBegin(): Promise<void> {
    const fs = await fsPromises('CSVLogger');
    this.keys = null;
    if (!this.options.append) await fs.writeFile(this.path, '');
  }

  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    const fs = await fsPromises('CSVLogger');
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
