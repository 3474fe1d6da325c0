import { ArgumentError, type Tensor, tidy } from '@tsdl/tensor';
import { type WithSnakeCase, camelCaseKeys, rejectUnknownOptions } from './config-keys';
import {
  type LossSpec,
  binaryCrossentropy,
  categoricalCrossentropy,
  huber,
  meanAbsoluteError,
  meanSquaredError,
  sparseCategoricalCrossentropy,
} from './loss-specs';
import { quote } from './names';
import { describeValue } from './models/options';

/**
 * Keras' loss classes: `new losses.SparseCategoricalCrossentropy({ fromLogits: true })`,
 * usable in compile (`loss: lossObject`) and callable on their own
 * (`loss.call(yTrue, yPred)`). Options as Keras' (snake_case accepted); unknown
 * ones are errors. `reduction` applies where the loss is called directly; compile
 * averages over the batch, so it takes only the default.
 */

/**
 * Keras' reductions: 'sum_over_batch_size' (the mean of the per-sample values; 'mean'
 * is the same without sample weights), 'sum', or 'none' (the per-sample values).
 */
export type LossReduction = 'sum_over_batch_size' | 'mean' | 'sum' | 'none';
const REDUCTIONS: readonly LossReduction[] = ['sum_over_batch_size', 'mean', 'sum', 'none'];

export interface LossArgs {
  /** The name the loss has in logs and configs (default: Keras' function name, 'sparse_categorical_crossentropy'). */
  name?: string;
  reduction?: LossReduction;
}

export interface CrossEntropyArgs extends LossArgs {
  /** The predictions are logits (no softmax/sigmoid applied): the loss applies it, exactly and stably. */
  fromLogits?: boolean;
}

export interface SmoothedCrossEntropyArgs extends CrossEntropyArgs {
  /** Keras' label_smoothing in [0, 1]: labels move towards 1/classes (1/2 for binary labels). */
  labelSmoothing?: number;
}

export interface HuberArgs extends LossArgs {
  /** Where the loss turns from quadratic to linear (default 1). */
  delta?: number;
}

/** The base of Keras' loss classes. */
export abstract class Loss {
  /** Keras' class name ('SparseCategoricalCrossentropy'), as saved configs name it. */
  abstract readonly className: string;
  readonly name: string;
  readonly reduction: LossReduction;
  /** The loss as compile runs it (see losses.ts' LossSpec). */
  readonly spec: LossSpec;
  protected readonly options: Record<string, unknown>;

  protected constructor(
    className: string,
    defaultName: string,
    args: unknown,
    known: readonly string[],
    makeSpec: (o: Record<string, unknown>) => LossSpec,
  ) {
    if (args !== undefined && (args === null || typeof args !== 'object' || Array.isArray(args))) {
      throw new ArgumentError(`${className}: expected an options object, got ${describeValue(args)}`);
    }
    const a = camelCaseKeys((args ?? {}) as Record<string, unknown>, className);
    rejectUnknownOptions(className, a, ['name', 'reduction', ...known]);
    const name = a.name ?? defaultName;
    if (typeof name !== 'string' || name === '')
      throw new ArgumentError(`${className}: name must be a non-empty string, got ${quote(name)}`);
    const reduction = a.reduction ?? 'sum_over_batch_size';
    if (!REDUCTIONS.includes(reduction as LossReduction))
      throw new ArgumentError(
        `${className}: reduction must be one of ${REDUCTIONS.map((r) => `'${r}'`).join(', ')}, got ${quote(reduction)}`,
      );
    this.name = name;
    this.reduction = reduction as LossReduction;
    const { name: _n, reduction: _r, ...options } = a;
    this.options = options;
    this.spec = makeSpec(options);
  }

  /** The loss of predictions `yPred` against labels `yTrue`, reduced as `reduction` says (Keras' loss(y_true, y_pred)). */
  call(yTrue: Tensor, yPred: Tensor): Tensor {
    return tidy(() => {
      const values = this.spec.values(yTrue, yPred);
      if (this.reduction === 'none') return values;
      return this.reduction === 'sum' ? values.sum() : values.mean();
    });
  }

  /** The constructor's options as JSON (Keras' get_config, camelCase). */
  getConfig(): Record<string, unknown> {
    return { name: this.name, reduction: this.reduction, ...this.options };
  }
}

function bool(owner: string, option: string, v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new ArgumentError(`${owner}: ${option} must be true or false, got ${quote(v)}`);
  return v;
}

function unitInterval(owner: string, option: string, v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !(v >= 0 && v <= 1))
    throw new ArgumentError(`${owner}: ${option} must be a number in [0, 1], got ${quote(v)}`);
  return v;
}

/** Keras' SparseCategoricalCrossentropy: integer class labels; `fromLogits` for outputs without softmax (the TF 2 quickstart's). */
export class SparseCategoricalCrossentropy extends Loss {
  readonly className = 'SparseCategoricalCrossentropy';
  constructor(args: WithSnakeCase<CrossEntropyArgs> = {}) {
    const who = 'SparseCategoricalCrossentropy';
    super(who, 'sparse_categorical_crossentropy', args, ['fromLogits'], (o) =>
      sparseCategoricalCrossentropy(who, { fromLogits: bool(who, 'fromLogits', o.fromLogits) }),
    );
  }
}

/** Keras' CategoricalCrossentropy: one-hot (or probability) labels. */
export class CategoricalCrossentropy extends Loss {
  readonly className = 'CategoricalCrossentropy';
  constructor(args: WithSnakeCase<SmoothedCrossEntropyArgs> = {}) {
    const who = 'CategoricalCrossentropy';
    super(who, 'categorical_crossentropy', args, ['fromLogits', 'labelSmoothing'], (o) =>
      categoricalCrossentropy(who, {
        fromLogits: bool(who, 'fromLogits', o.fromLogits),
        labelSmoothing: unitInterval(who, 'labelSmoothing', o.labelSmoothing),
      }),
    );
  }
}

/** Keras' BinaryCrossentropy: labels in [0, 1]. */
export class BinaryCrossentropy extends Loss {
  readonly className = 'BinaryCrossentropy';
  constructor(args: WithSnakeCase<SmoothedCrossEntropyArgs> = {}) {
    const who = 'BinaryCrossentropy';
    super(who, 'binary_crossentropy', args, ['fromLogits', 'labelSmoothing'], (o) =>
      binaryCrossentropy(who, {
        fromLogits: bool(who, 'fromLogits', o.fromLogits),
        labelSmoothing: unitInterval(who, 'labelSmoothing', o.labelSmoothing),
      }),
    );
  }
}

export class MeanSquaredError extends Loss {
  readonly className = 'MeanSquaredError';
  constructor(args: WithSnakeCase<LossArgs> = {}) {
    super('MeanSquaredError', 'mean_squared_error', args, [], () => meanSquaredError('MeanSquaredError'));
  }
}

export class MeanAbsoluteError extends Loss {
  readonly className = 'MeanAbsoluteError';
  constructor(args: WithSnakeCase<LossArgs> = {}) {
    super('MeanAbsoluteError', 'mean_absolute_error', args, [], () => meanAbsoluteError('MeanAbsoluteError'));
  }
}

export class Huber extends Loss {
  readonly className = 'Huber';
  constructor(args: WithSnakeCase<HuberArgs> = {}) {
    const who = 'Huber';
    super(who, 'huber', args, ['delta'], (o) => {
      const d = o.delta ?? 1;
      if (typeof d !== 'number' || !(d > 0) || !Number.isFinite(d))
        throw new ArgumentError(`Huber: delta must be a finite number > 0, got ${quote(d)}`);
      return huber(who, d);
    });
  }
}

/** The loss classes by Keras class name (a Map: see names.ts), for configs saved with a loss object. */
export const LOSS_CLASSES = new Map<string, new (args?: Record<string, unknown>) => Loss>([
  ['SparseCategoricalCrossentropy', SparseCategoricalCrossentropy],
  ['CategoricalCrossentropy', CategoricalCrossentropy],
  ['BinaryCrossentropy', BinaryCrossentropy],
  ['MeanSquaredError', MeanSquaredError],
  ['MeanAbsoluteError', MeanAbsoluteError],
  ['Huber', Huber],
]);

/** keras.losses: the loss classes. */
export const losses = {
  Loss,
  SparseCategoricalCrossentropy,
  CategoricalCrossentropy,
  BinaryCrossentropy,
  MeanSquaredError,
  MeanAbsoluteError,
  Huber,
};
