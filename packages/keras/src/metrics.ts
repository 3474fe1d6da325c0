import { ArgumentError, type Tensor, abs, argmax, cast, eq, gt, reshape, squeeze, tidy } from '@tsdl/tensor';
import { type WithSnakeCase, camelCaseKeys, rejectUnknownOptions } from './config-keys';
import type { LossSpec } from './loss-specs';
import { lookupName, nameTable, quote, snakeCase } from './names';

/**
 * Keras metrics as batch sums: `sum(yTrue, yPred, fromLogits)` returns a
 * scalar tensor summing the per-sample values, so an epoch's value is the
 * running total over the number of samples, however batches are split.
 */
export interface MetricSpec {
  readonly name: string;
  readonly sum: (yTrue: Tensor, yPred: Tensor, fromLogits: boolean) => Tensor;
}

const toClassIds = (yTrue: Tensor, yPred: Tensor): Tensor => {
  const y = yTrue.rank === yPred.rank && yTrue.shape[yTrue.rank - 1] === 1 ? squeeze(yTrue, -1) : yTrue;
  return y.dtype === 'int32' ? y : cast(y, 'int32');
};

/** Labels [N] beside predictions [N, 1] (or the reverse) get the predictions' shape, as Keras' losses do, instead of broadcasting to [N, N]. */
const aligned = (yTrue: Tensor, yPred: Tensor): Tensor => {
  if (yTrue.rank === yPred.rank - 1 && yPred.shape[yPred.rank - 1] === 1) return reshape(yTrue, yPred.shape);
  if (yTrue.rank === yPred.rank + 1 && yTrue.shape[yTrue.rank - 1] === 1) return squeeze(yTrue, -1);
  return yTrue;
};

const binaryAccuracy =
  (threshold: number) =>
  (yTrue: Tensor, yPred: Tensor, fromLogits: boolean): Tensor =>
    // A probability above the threshold predicts 1 (a logit above logit(threshold): 0 for 0.5); averaged over the last axis, summed over samples.
    tidy(() => {
      const cut = fromLogits ? Math.log(threshold / (1 - threshold)) : threshold;
      const hits = cast(eq(gt(yPred, cut), gt(aligned(yTrue, yPred), 0.5)), 'float32');
      return (hits.rank > 1 ? hits.mean(-1) : hits).sum();
    });

const METRICS = nameTable<MetricSpec['sum']>({
  sparse_categorical_accuracy: (yTrue, yPred) =>
    tidy(() => cast(eq(argmax(yPred, -1), toClassIds(yTrue, yPred)), 'float32').sum()),
  categorical_accuracy: (yTrue, yPred) => tidy(() => cast(eq(argmax(yPred, -1), argmax(yTrue, -1)), 'float32').sum()),
  binary_accuracy: binaryAccuracy(0.5),
  mean_squared_error: (yTrue, yPred) =>
    tidy(() => {
      const d = yPred.sub(aligned(yTrue, yPred)).square();
      return (d.rank > 1 ? d.mean(-1) : d).sum();
    }),
  mean_absolute_error: (yTrue, yPred) =>
    tidy(() => {
      const d = abs(yPred.sub(aligned(yTrue, yPred)));
      return (d.rank > 1 ? d.mean(-1) : d).sum();
    }),
});

const ALIASES = nameTable({ mse: 'mean_squared_error', mae: 'mean_absolute_error' });

// ---- metric objects (Keras' metric classes, for compile) ------------------------------------------

export interface MetricArgs {
  /** The name in logs and history (default: Keras' snake_case name). */
  name?: string;
}

export interface BinaryAccuracyArgs extends MetricArgs {
  /** The probability above which a prediction counts as 1 (default 0.5). */
  threshold?: number;
}

/**
 * A Keras metric object for compile's metrics: `new metrics.BinaryAccuracy({ threshold: 0.7 })`.
 * (Keras' update_state / result API is not provided: compile computes them per batch.)
 */
export abstract class Metric {
  abstract readonly className: string;
  readonly name: string;
  protected constructor(className: string, defaultName: string, args: unknown, known: readonly string[]) {
    if (args !== undefined && (args === null || typeof args !== 'object' || Array.isArray(args))) {
      throw new ArgumentError(`${className}: expected an options object, got ${quote(args)}`);
    }
    const a = camelCaseKeys((args ?? {}) as Record<string, unknown>, className);
    rejectUnknownOptions(className, a, ['name', ...known]);
    const name = a.name ?? defaultName;
    if (typeof name !== 'string' || name === '')
      throw new ArgumentError(`${className}: name must be a non-empty string, got ${quote(name)}`);
    this.name = name;
  }
  /** The batch sum compile uses. */
  abstract get spec(): MetricSpec;
}

/** A metric object computing one of the named metrics. */
abstract class NamedMetric extends Metric {
  protected constructor(
    className: string,
    private readonly key: string,
    args: unknown,
  ) {
    super(className, key, args, []);
  }
  get spec(): MetricSpec {
    return { name: this.name, sum: METRICS.get(this.key) as MetricSpec['sum'] };
  }
}

export class SparseCategoricalAccuracy extends NamedMetric {
  readonly className = 'SparseCategoricalAccuracy';
  constructor(args: WithSnakeCase<MetricArgs> = {}) {
    super('SparseCategoricalAccuracy', 'sparse_categorical_accuracy', args);
  }
}

export class CategoricalAccuracy extends NamedMetric {
  readonly className = 'CategoricalAccuracy';
  constructor(args: WithSnakeCase<MetricArgs> = {}) {
    super('CategoricalAccuracy', 'categorical_accuracy', args);
  }
}

export class MeanSquaredErrorMetric extends NamedMetric {
  readonly className = 'MeanSquaredError';
  constructor(args: WithSnakeCase<MetricArgs> = {}) {
    super('MeanSquaredError', 'mean_squared_error', args);
  }
}

export class MeanAbsoluteErrorMetric extends NamedMetric {
  readonly className = 'MeanAbsoluteError';
  constructor(args: WithSnakeCase<MetricArgs> = {}) {
    super('MeanAbsoluteError', 'mean_absolute_error', args);
  }
}

export class BinaryAccuracy extends Metric {
  readonly className = 'BinaryAccuracy';
  readonly threshold: number;
  constructor(args: WithSnakeCase<BinaryAccuracyArgs> = {}) {
    super('BinaryAccuracy', 'binary_accuracy', args, ['threshold']);
    const t = (camelCaseKeys(args ?? {}, 'BinaryAccuracy') as BinaryAccuracyArgs).threshold ?? 0.5;
    if (typeof t !== 'number' || !(t > 0 && t < 1))
      throw new ArgumentError(`BinaryAccuracy: threshold must be a number in (0, 1), got ${quote(t)}`);
    this.threshold = t;
  }
  get spec(): MetricSpec {
    return { name: this.name, sum: binaryAccuracy(this.threshold) };
  }
}

/** keras.metrics: metric classes for compile (MeanSquaredError and MeanAbsoluteError are the metric forms). */
export const metrics = {
  Metric,
  SparseCategoricalAccuracy,
  CategoricalAccuracy,
  BinaryAccuracy,
  MeanSquaredError: MeanSquaredErrorMetric,
  MeanAbsoluteError: MeanAbsoluteErrorMetric,
};

/**
 * Resolves a metric name or object; 'accuracy' ('acc') picks the variant matching the loss,
 * as Keras does. `loss` is the compiled loss (or its name): with a loss on logits
 * (fromLogits: true) binary accuracy thresholds the logits, where Keras would compare them with 0.5.
 */
export function resolveMetric(
  metric: string | Metric,
  loss: string | LossSpec,
  outputShape: readonly (number | null)[],
): MetricSpec {
  const lossName = typeof loss === 'string' ? loss : loss.name;
  const logits = typeof loss !== 'string' && loss.logitsOutput === true;
  const onLogits = (spec: MetricSpec): MetricSpec =>
    logits ? { name: spec.name, sum: (t, p) => spec.sum(t, p, true) } : spec;
  if (metric instanceof Metric) return onLogits(metric.spec);
  const snake = typeof metric === 'string' ? snakeCase(metric) : metric;
  if (snake === 'accuracy' || snake === 'acc') {
    let variant: string;
    if (lossName === 'sparse_categorical_crossentropy') variant = 'sparse_categorical_accuracy';
    else if (lossName === 'categorical_crossentropy') variant = 'categorical_accuracy';
    else if (lossName === 'binary_crossentropy' || outputShape[outputShape.length - 1] === 1)
      variant = 'binary_accuracy';
    else variant = 'categorical_accuracy';
    return onLogits({ name: snake, sum: METRICS.get(variant) as MetricSpec['sum'] });
  }
  const { value } = lookupName('compile', 'metric', metric, METRICS, {
    normalize: snakeCase,
    aliases: ALIASES,
    extra: ['accuracy', 'acc'],
  });
  return onLogits({ name: snake as string, sum: value });
}
