import { ArgumentError, ShapeError, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { LOSS_CLASSES, Loss } from './loss-objects';
import {
  type LossFn,
  type LossSpec,
  binaryCrossentropy,
  categoricalCrossentropy,
  huber,
  meanAbsoluteError,
  meanSquaredError,
  sparseCategoricalCrossentropy,
} from './loss-specs';
import { lookupName, nameTable, quote, snakeCase } from './names';

export type { BatchSumFn, LossFn, LossSpec, PerSampleFn } from './loss-specs';

/**
 * compile's loss: Keras' names (snake_case or camelCase, the class spelling
 * 'SparseCategoricalCrossentropy', the aliases mse and mae), a loss object
 * (`new losses.SparseCategoricalCrossentropy({ fromLogits: true })`), a saved
 * `{ className, config }`, or a function (yTrue, yPred) → loss.
 */
export type LossArgument = string | LossFn | Loss | { className: string; config?: Record<string, unknown> };

/** Keras' loss functions by name, each made for the name the user gave (errors say it). */
const LOSSES = nameTable<(who: string) => LossSpec>({
  sparse_categorical_crossentropy: (who) => sparseCategoricalCrossentropy(who),
  categorical_crossentropy: (who) => categoricalCrossentropy(who),
  binary_crossentropy: (who) => binaryCrossentropy(who),
  mean_squared_error: (who) => meanSquaredError(who),
  mean_absolute_error: (who) => meanAbsoluteError(who),
  huber: (who) => huber(who),
});

const ALIASES = nameTable({ mse: 'mean_squared_error', mae: 'mean_absolute_error' });

/** A loss object from a saved `{ className, config }` (compileConfig of a model compiled with one). */
function lossFromConfig(spec: { className?: unknown; config?: unknown }): Loss {
  const Ctor = typeof spec.className === 'string' ? LOSS_CLASSES.get(spec.className) : undefined;
  if (!Ctor)
    throw new ArgumentError(
      `compile: unknown loss class ${quote(spec.className)} (known: ${[...LOSS_CLASSES.keys()].join(', ')})`,
    );
  const config = spec.config ?? {};
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    throw new ArgumentError(`compile: the config of loss ${spec.className} must be an object, got ${quote(config)}`);
  return new Ctor(config as Record<string, unknown>);
}

/** Resolves compile's loss argument to what fit, evaluate and the metrics use. */
export function resolveLoss(loss: LossArgument): LossSpec {
  if (loss instanceof Loss) {
    if (loss.reduction !== 'sum_over_batch_size' && loss.reduction !== 'mean') {
      throw new ArgumentError(
        `compile: the loss ${loss.className} has reduction '${loss.reduction}', but training averages the loss over each batch; use the default reduction ('sum_over_batch_size') in compile`,
      );
    }
    return loss.spec;
  }
  if (typeof loss === 'function') {
    const values = (yTrue: Parameters<LossFn>[0], yPred: Parameters<LossFn>[1]) => tidy(() => loss(yTrue, yPred));
    return {
      name: loss.name || 'loss',
      fn: (yTrue, yPred) =>
        tidy(() => {
          const l = loss(yTrue, yPred);
          return l.size === 1 ? l.reshape([]) : l.mean();
        }),
      // Sample weights need a value per sample: a function returning its batch's mean cannot be weighted.
      perSample: (yTrue, yPred) =>
        tidy(() => {
          const l = loss(yTrue, yPred);
          if (l.rank === 0 || l.shape[0] !== yPred.shape[0]) {
            throw new ShapeError(
              `loss ${loss.name || '(a function)'}: sample weights need one loss value per sample (shape [${yPred.shape[0]}, …]), but the function returned shape ${fmtShape(l.shape)}`,
            );
          }
          return l.rank <= 1 ? l : l.reshape([l.shape[0], -1]).mean(-1);
        }),
      values,
    };
  }
  if (loss !== null && typeof loss === 'object' && !Array.isArray(loss) && 'className' in loss)
    return resolveLoss(lossFromConfig(loss));
  if (typeof loss !== 'string')
    throw new ArgumentError(
      `compile: loss must be a name, a loss object (losses.SparseCategoricalCrossentropy …) or a function, got ${quote(loss)}`,
    );
  const { value } = lookupName('compile', 'loss', loss, LOSSES, { normalize: snakeCase, aliases: ALIASES });
  return value(loss);
}

/** compile's loss argument as JSON for a saved model: a name, a loss object's { className, config }, or null (a function). */
export function serializeLoss(loss: unknown): string | { className: string; config: Record<string, unknown> } | null {
  if (typeof loss === 'string') return loss;
  if (loss instanceof Loss) return { className: loss.className, config: loss.getConfig() };
  if (loss !== null && typeof loss === 'object' && 'className' in loss)
    return loss as { className: string; config: Record<string, unknown> };
  return null;
}
