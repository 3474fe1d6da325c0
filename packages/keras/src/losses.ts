import { ArgumentError, DTypeError, ShapeError, type Tensor, cast, clip, fmtShape, log, squeeze, tidy } from '@tsdl/tensor';
import { binaryCrossEntropy, binaryCrossEntropyWithLogits, crossEntropy, l1Loss, mseLoss, nllLoss } from '@tsdl/nn';
import { lookupName, nameTable, snakeCase } from './names';

/**
 * Keras losses by name, over @tsdl/nn's losses. Each returns the mean over the
 * batch. Probability-based losses clip predictions to [1e-7, 1 − 1e-7] as
 * Keras does; when the model's last activation is softmax (or sigmoid) and the
 * loss is a cross-entropy, fit uses `fromLogits` on the pre-activation values
 * instead (as TensorFlow's Keras does), which is exact and stable.
 */
export type LossFn = (yTrue: Tensor, yPred: Tensor) => Tensor;

/**
 * The loss summed over the batch rather than averaged (the mean times the batch size), or
 * null for a batch where that is not a single reduction of the loss's terms: where a sample
 * has several terms (sequence outputs, several sigmoid or regression outputs per sample)
 * the mean is over all of them, not over the samples.
 */
export type BatchSumFn = (yTrue: Tensor, yPred: Tensor) => Tensor | null;

/**
 * The loss of each sample ([batch]: a sample's terms averaged), which fit weighs by
 * sampleWeight / classWeight: Keras' weighted loss is sum(weight · loss) / batch size.
 */
export type PerSampleFn = (yTrue: Tensor, yPred: Tensor) => Tensor;

export interface LossSpec {
  readonly name: string;
  readonly fn: LossFn;
  /**
   * The batch sum, where the loss has one. fit differentiates it with a 1/batch seed
   * instead of differentiating the mean: the same gradient without the mean's division
   * forward and backward, and the running loss sum needs no multiplication by the batch
   * size (three small kernels a training step).
   */
  readonly batchSum?: BatchSumFn;
  /** The loss per sample, where it has one (sample weights need it). */
  readonly perSample?: PerSampleFn;
  /** The same loss on logits, and the output activation it absorbs. */
  readonly fromLogits?: { activation: 'softmax' | 'sigmoid'; fn: LossFn; batchSum?: BatchSumFn; perSample?: PerSampleFn };
}

const EPS = 1e-7;

/** Sparse targets: int32 class ids of shape [N] (a trailing size-1 axis and float ids are accepted, as Keras). */
function classIds(name: string, yTrue: Tensor, yPred: Tensor): Tensor {
  let y = yTrue;
  if (y.rank === yPred.rank && y.shape[y.rank - 1] === 1) y = squeeze(y, -1);
  if (y.rank !== yPred.rank - 1 || y.shape.some((d, i) => d !== yPred.shape[i])) {
    throw new ShapeError(`${name}: labels of shape ${fmtShape(yTrue.shape)} do not fit predictions of shape ${fmtShape(yPred.shape)}; expected class ids of shape ${fmtShape(yPred.shape.slice(0, -1))}`);
  }
  if (y.dtype === 'bool') throw new DTypeError(`${name}: labels must be class ids, got bool`);
  return y.dtype === 'int32' ? y : cast(y, 'int32');
}

/** Moves the class axis to position 1, where nn's losses expect it. */
function classesSecond(t: Tensor): Tensor {
  if (t.rank <= 2) return t;
  const perm = [0, t.rank - 1, ...t.shape.map((_, i) => i).slice(1, -1)];
  return t.transpose(perm);
}

function sameShape(name: string, yTrue: Tensor, yPred: Tensor): Tensor {
  if (yTrue.rank !== yPred.rank || yTrue.shape.some((d, i) => d !== yPred.shape[i])) {
    throw new ShapeError(`${name}: labels of shape ${fmtShape(yTrue.shape)} do not match predictions of shape ${fmtShape(yPred.shape)}`);
  }
  return yTrue.dtype === 'float32' ? yTrue : cast(yTrue, 'float32');
}

type Reduction = 'mean' | 'sum' | 'none';

/** A loss's unreduced terms as one value per sample: the mean over every axis but the batch axis. */
const sampleMeans = (terms: Tensor): Tensor => (terms.rank <= 1 ? terms : terms.reshape([terms.shape[0], -1]).mean(-1));

/**
 * A loss written once for both reductions: `fn` is its mean, `batchSum` its sum where
 * `oneTermPerSample(yPred)` holds (then the sum over the terms is the sum over samples).
 */
function both(
  loss: (yTrue: Tensor, yPred: Tensor, reduction: Reduction) => Tensor,
  oneTermPerSample: (yPred: Tensor) => boolean,
): { fn: LossFn; batchSum: BatchSumFn; perSample: PerSampleFn } {
  return {
    fn: (yTrue, yPred) => tidy(() => loss(yTrue, yPred, 'mean')),
    batchSum: (yTrue, yPred) => (oneTermPerSample(yPred) ? tidy(() => loss(yTrue, yPred, 'sum')) : null),
    perSample: (yTrue, yPred) => tidy(() => sampleMeans(loss(yTrue, yPred, 'none'))),
  };
}

/** Class scores [N, C]: one cross-entropy term per sample. */
const classRows = (yPred: Tensor): boolean => yPred.rank === 2;
/** One output per sample ([N] or [N, 1]): one term per sample for the elementwise losses. */
const oneOutput = (yPred: Tensor): boolean => yPred.rank >= 1 && yPred.size === yPred.shape[0];

const LOSSES = nameTable<LossSpec>({
  sparse_categorical_crossentropy: {
    name: 'sparse_categorical_crossentropy',
    ...both(
      (yTrue, yPred, reduction) =>
        nllLoss(classesSecond(log(clip(yPred, EPS, 1 - EPS))), classIds('sparse_categorical_crossentropy', yTrue, yPred), { reduction }),
      classRows,
    ),
    fromLogits: {
      activation: 'softmax',
      ...both(
        (yTrue, logits, reduction) => crossEntropy(classesSecond(logits), classIds('sparse_categorical_crossentropy', yTrue, logits), { reduction }),
        classRows,
      ),
    },
  },
  categorical_crossentropy: {
    name: 'categorical_crossentropy',
    ...both((yTrue, yPred, reduction) => {
      const y = sameShape('categorical_crossentropy', yTrue, yPred);
      // Keras renormalises the predictions before clipping.
      const p = clip(yPred.div(yPred.sum(-1, true)), EPS, 1 - EPS);
      const perSample = y.mul(log(p)).sum(-1).neg();
      return reduction === 'none' ? perSample : reduction === 'mean' ? perSample.mean() : perSample.sum();
    }, classRows),
    fromLogits: {
      activation: 'softmax',
      ...both(
        (yTrue, logits, reduction) => crossEntropy(classesSecond(logits), classesSecond(sameShape('categorical_crossentropy', yTrue, logits)), { reduction }),
        classRows,
      ),
    },
  },
  binary_crossentropy: {
    name: 'binary_crossentropy',
    ...both((yTrue, yPred, reduction) => binaryCrossEntropy(clip(yPred, EPS, 1 - EPS), sameShape('binary_crossentropy', yTrue, yPred), { reduction }), oneOutput),
    fromLogits: {
      activation: 'sigmoid',
      ...both((yTrue, logits, reduction) => binaryCrossEntropyWithLogits(logits, sameShape('binary_crossentropy', yTrue, logits), { reduction }), oneOutput),
    },
  },
  mean_squared_error: {
    name: 'mean_squared_error',
    ...both((yTrue, yPred, reduction) => mseLoss(yPred, sameShape('mean_squared_error', yTrue, yPred), { reduction }), oneOutput),
  },
  mean_absolute_error: {
    name: 'mean_absolute_error',
    ...both((yTrue, yPred, reduction) => l1Loss(yPred, sameShape('mean_absolute_error', yTrue, yPred), { reduction }), oneOutput),
  },
});

const ALIASES = nameTable({ mse: 'mean_squared_error', mae: 'mean_absolute_error' });

/** snake_case or camelCase loss names, Keras' short aliases (mse, mae), or a function (yTrue, yPred) → scalar. */
export function resolveLoss(loss: string | LossFn): LossSpec {
  if (typeof loss === 'function') {
    return {
      name: loss.name || 'loss',
      fn: (yTrue, yPred) => tidy(() => { const l = loss(yTrue, yPred); return l.size === 1 ? l.reshape([]) : l.mean(); }),
      // Sample weights need a value per sample: a function returning its batch's mean cannot be weighted.
      perSample: (yTrue, yPred) =>
        tidy(() => {
          const l = loss(yTrue, yPred);
          if (l.rank === 0 || l.shape[0] !== yPred.shape[0]) {
            throw new ShapeError(`loss ${loss.name || '(a function)'}: sample weights need one loss value per sample (shape [${yPred.shape[0]}, …]), but the function returned shape ${fmtShape(l.shape)}`);
          }
          return sampleMeans(l);
        }),
    };
  }
  if (typeof loss !== 'string') throw new ArgumentError(`compile: loss must be a name or a function, got ${typeof loss}`);
  return lookupName('compile', 'loss', loss, LOSSES, { normalize: snakeCase, aliases: ALIASES }).value;
}
