import { type Tensor, abs, argmax, cast, eq, gt, squeeze, tidy } from '@tsdl/tensor';
import { lookupName, nameTable, snakeCase } from './names';

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

const METRICS = nameTable<MetricSpec['sum']>({
  sparse_categorical_accuracy: (yTrue, yPred) => tidy(() => cast(eq(argmax(yPred, -1), toClassIds(yTrue, yPred)), 'float32').sum()),
  categorical_accuracy: (yTrue, yPred) => tidy(() => cast(eq(argmax(yPred, -1), argmax(yTrue, -1)), 'float32').sum()),
  // A probability above 0.5 (a logit above 0) predicts 1; averaged over the last axis, summed over samples.
  binary_accuracy: (yTrue, yPred, fromLogits) =>
    tidy(() => cast(eq(gt(yPred, fromLogits ? 0 : 0.5), gt(yTrue, 0.5)), 'float32').mean(-1).sum()),
  mean_squared_error: (yTrue, yPred) => tidy(() => yPred.sub(yTrue).square().mean(-1).sum()),
  mean_absolute_error: (yTrue, yPred) => tidy(() => abs(yPred.sub(yTrue)).mean(-1).sum()),
});

const ALIASES = nameTable({ mse: 'mean_squared_error', mae: 'mean_absolute_error' });

/** Resolves a metric name; 'accuracy' ('acc') picks the variant matching the loss, as Keras does. */
export function resolveMetric(metric: string, lossName: string, outputShape: readonly (number | null)[]): MetricSpec {
  const snake = typeof metric === 'string' ? snakeCase(metric) : metric;
  if (snake === 'accuracy' || snake === 'acc') {
    let variant: string;
    if (lossName === 'sparse_categorical_crossentropy') variant = 'sparse_categorical_accuracy';
    else if (lossName === 'categorical_crossentropy') variant = 'categorical_accuracy';
    else if (lossName === 'binary_crossentropy' || outputShape[outputShape.length - 1] === 1) variant = 'binary_accuracy';
    else variant = 'categorical_accuracy';
    return { name: snake, sum: METRICS.get(variant) as MetricSpec['sum'] };
  }
  const { value } = lookupName('compile', 'metric', metric, METRICS, { normalize: snakeCase, aliases: ALIASES, extra: ['accuracy', 'acc'] });
  return { name: snake as string, sum: value };
}
