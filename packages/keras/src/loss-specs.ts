import { DTypeError, ShapeError, type Tensor, TsdlError, cast, clip, log, squeeze, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  crossEntropy,
  huberLoss,
  l1Loss,
  mseLoss,
  nllLoss,
} from '@tsdl/nn';

/**
 * Keras' losses over @tsdl/nn's, as the specs compile and the loss objects use.
 * Each is made for a name to show in errors (the Keras loss the user chose:
 * 'sparse_categorical_crossentropy', or the class 'SparseCategoricalCrossentropy')
 * and its options. Probability-based losses clip predictions to [1e-7, 1 − 1e-7]
 * as Keras does; when the model's last activation is softmax (or sigmoid) and the
 * loss is a cross-entropy on probabilities, fit uses `fused` on the pre-activation
 * values instead (as TensorFlow's Keras does), which is exact and stable.
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
  /** Keras' function name ('sparse_categorical_crossentropy'): 'accuracy' picks its variant by it. */
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
  readonly fromLogits?: {
    activation: 'softmax' | 'sigmoid';
    fn: LossFn;
    batchSum?: BatchSumFn;
    perSample?: PerSampleFn;
  };
  /** The loss reads the model's outputs as logits (fromLogits: true): metrics such as binary accuracy threshold them at 0. */
  readonly logitsOutput?: boolean;
  /** Keras' per-sample values ('none' reduction of a loss object): cross-entropies per position, elementwise losses averaged over the last axis. */
  readonly values: (yTrue: Tensor, yPred: Tensor) => Tensor;
}

/** Options of the cross-entropies (Keras' from_logits and label_smoothing). */
export interface CrossEntropyOptions {
  fromLogits?: boolean;
  labelSmoothing?: number;
}

const EPS = 1e-7;

/** nn's loss names, which a user of keras never chose: errors from them are renamed to the Keras loss. */
const NN_LOSS = /^(crossEntropy|nllLoss|binaryCrossEntropyWithLogits|binaryCrossEntropy|mseLoss|l1Loss|huberLoss): /;

/**
 * `e` with nn's loss name swapped for `who` and its words for Keras' ('target' is a label;
 * there is no ignoreIndex): "sparse_categorical_crossentropy: label 10 is out of range for
 * 10 classes (expected 0 to 9)". Other errors pass unchanged.
 */
export function renameLossError(who: string, e: unknown): unknown {
  if (!(e instanceof TsdlError) || !NN_LOSS.test(e.message)) return e;
  const message = `${who}: ${e.message
    .replace(NN_LOSS, '')
    .replace(/, or ignoreIndex -?\d+/, '')
    .replace(/\btarget\b/g, 'label')}`;
  const Ctor = e.constructor as new (message: string) => TsdlError;
  const out = new Ctor(message);
  (out as { cause?: unknown }).cause = e;
  return out;
}

type Reduction = 'mean' | 'sum' | 'none';
type Impl = (yTrue: Tensor, yPred: Tensor, reduction: Reduction) => Tensor;

/** `impl` with nn's errors renamed to `who`. */
function named(who: string, impl: Impl): Impl {
  return (yTrue, yPred, reduction) => {
    try {
      return impl(yTrue, yPred, reduction);
    } catch (e) {
      throw renameLossError(who, e);
    }
  };
}

/** Sparse targets: int32 class ids of shape [N] (a trailing size-1 axis and float ids are accepted, as Keras). */
function classIds(who: string, yTrue: Tensor, yPred: Tensor): Tensor {
  let y = yTrue;
  if (y.rank === yPred.rank && y.shape[y.rank - 1] === 1) y = squeeze(y, -1);
  if (y.rank !== yPred.rank - 1 || y.shape.some((d, i) => d !== yPred.shape[i])) {
    throw new ShapeError(
      `${who}: labels of shape ${fmtShape(yTrue.shape)} do not fit predictions of shape ${fmtShape(yPred.shape)}; expected class ids of shape ${fmtShape(yPred.shape.slice(0, -1))}`,
    );
  }
  if (y.dtype === 'bool') throw new DTypeError(`${who}: labels must be class ids, got bool`);
  return y.dtype === 'int32' ? y : cast(y, 'int32');
}

/** Moves the class axis to position 1, where nn's losses expect it. */
function classesSecond(t: Tensor): Tensor {
  if (t.rank <= 2) return t;
  const perm = [0, t.rank - 1, ...t.shape.map((_, i) => i).slice(1, -1)];
  return t.transpose(perm);
}

/**
 * Labels of the predictions' shape, as float32. As Keras (squeeze_or_expand_to_same_rank),
 * labels of shape [N] fit predictions [N, 1] and labels [N, 1] fit predictions [N].
 */
function sameShape(who: string, yTrue: Tensor, yPred: Tensor): Tensor {
  let y = yTrue;
  const lastIsOne = (t: Tensor): boolean => t.rank > 0 && t.shape[t.rank - 1] === 1;
  if (y.rank === yPred.rank - 1 && lastIsOne(yPred)) y = y.reshape(yPred.shape);
  else if (y.rank === yPred.rank + 1 && lastIsOne(y)) y = squeeze(y, -1);
  if (y.rank !== yPred.rank || y.shape.some((d, i) => d !== yPred.shape[i])) {
    throw new ShapeError(
      `${who}: labels of shape ${fmtShape(yTrue.shape)} do not match predictions of shape ${fmtShape(yPred.shape)}`,
    );
  }
  return y.dtype === 'float32' ? y : cast(y, 'float32');
}

/** Keras' label smoothing: towards 1/classes (1/2 for binary labels). */
function smooth(y: Tensor, eps: number, classes: number): Tensor {
  return eps === 0 ? y : y.mul(1 - eps).add(eps / classes);
}

/** A loss's unreduced terms as one value per sample: the mean over every axis but the batch axis. */
const sampleMeans = (terms: Tensor): Tensor => (terms.rank <= 1 ? terms : terms.reshape([terms.shape[0], -1]).mean(-1));

/** Keras' values of an elementwise loss: averaged over the last axis (a [N] prediction keeps one value per sample). */
const lastAxisMeans = (terms: Tensor): Tensor => (terms.rank <= 1 ? terms : terms.mean(-1));

/**
 * A loss written once for every reduction: `fn` is its mean, `batchSum` its sum where
 * `oneTermPerSample(yPred)` holds (then the sum over the terms is the sum over samples),
 * `perSample` one value per sample, `values` Keras' unreduced values.
 */
function both(
  loss: Impl,
  oneTermPerSample: (yPred: Tensor) => boolean,
  values: (terms: Tensor) => Tensor = (t) => t,
): { fn: LossFn; batchSum: BatchSumFn; perSample: PerSampleFn; values: LossFn } {
  return {
    fn: (yTrue, yPred) => tidy(() => loss(yTrue, yPred, 'mean')),
    batchSum: (yTrue, yPred) => (oneTermPerSample(yPred) ? tidy(() => loss(yTrue, yPred, 'sum')) : null),
    perSample: (yTrue, yPred) => tidy(() => sampleMeans(loss(yTrue, yPred, 'none'))),
    values: (yTrue, yPred) => tidy(() => values(loss(yTrue, yPred, 'none'))),
  };
}

/** Class scores [N, C]: one cross-entropy term per sample. */
const classRows = (yPred: Tensor): boolean => yPred.rank === 2;
/** One output per sample ([N] or [N, 1]): one term per sample for the elementwise losses. */
const oneOutput = (yPred: Tensor): boolean => yPred.rank >= 1 && yPred.size === yPred.shape[0];

/** Both forms of a cross-entropy: on probabilities (with the fused form for a softmax/sigmoid output), or on logits. */
function crossEntropySpec(
  name: string,
  o: CrossEntropyOptions,
  probs: Impl,
  logits: Impl,
  activation: 'softmax' | 'sigmoid',
  rows: (p: Tensor) => boolean,
): LossSpec {
  const onLogits = both(logits, rows);
  if (o.fromLogits) {
    // The outputs are the logits already: nothing to fuse, and no activation is assumed.
    return { name, ...onLogits, logitsOutput: true };
  }
  const { values: _unused, ...fused } = onLogits;
  return { name, ...both(probs, rows), fromLogits: { activation, ...fused } };
}

/** Keras' sparse_categorical_crossentropy: integer labels, class scores on the last axis. */
export function sparseCategoricalCrossentropy(who: string, o: CrossEntropyOptions = {}): LossSpec {
  const name = 'sparse_categorical_crossentropy';
  return crossEntropySpec(
    name,
    o,
    named(who, (yTrue, yPred, reduction) =>
      nllLoss(classesSecond(log(clip(yPred, EPS, 1 - EPS))), classIds(who, yTrue, yPred), { reduction }),
    ),
    named(who, (yTrue, logits, reduction) =>
      crossEntropy(classesSecond(logits), classIds(who, yTrue, logits), { reduction }),
    ),
    'softmax',
    classRows,
  );
}

/** Keras' categorical_crossentropy: one-hot (or probability) labels. */
export function categoricalCrossentropy(who: string, o: CrossEntropyOptions = {}): LossSpec {
  const eps = o.labelSmoothing ?? 0;
  const labels = (yTrue: Tensor, yPred: Tensor): Tensor =>
    smooth(sameShape(who, yTrue, yPred), eps, yPred.shape[yPred.rank - 1]);
  return crossEntropySpec(
    'categorical_crossentropy',
    o,
    named(who, (yTrue, yPred, reduction) => {
      const y = labels(yTrue, yPred);
      // Keras renormalises the predictions before clipping.
      const p = clip(yPred.div(yPred.sum(-1, true)), EPS, 1 - EPS);
      const perSample = y.mul(log(p)).sum(-1).neg();
      return reduction === 'none' ? perSample : reduction === 'mean' ? perSample.mean() : perSample.sum();
    }),
    named(who, (yTrue, logits, reduction) =>
      crossEntropy(classesSecond(logits), classesSecond(labels(yTrue, logits)), { reduction }),
    ),
    'softmax',
    classRows,
  );
}

/** Keras' binary_crossentropy: labels in [0, 1], one probability (or logit) per output. */
export function binaryCrossentropy(who: string, o: CrossEntropyOptions = {}): LossSpec {
  const eps = o.labelSmoothing ?? 0;
  const labels = (yTrue: Tensor, yPred: Tensor): Tensor => smooth(sameShape(who, yTrue, yPred), eps, 2);
  const name = 'binary_crossentropy';
  const probs = both(
    named(who, (yTrue, yPred, reduction) =>
      binaryCrossEntropy(clip(yPred, EPS, 1 - EPS), labels(yTrue, yPred), { reduction }),
    ),
    oneOutput,
    lastAxisMeans,
  );
  const logits = both(
    named(who, (yTrue, z, reduction) => binaryCrossEntropyWithLogits(z, labels(yTrue, z), { reduction })),
    oneOutput,
    lastAxisMeans,
  );
  if (o.fromLogits) return { name, ...logits, logitsOutput: true };
  const { values: _unused, ...fused } = logits;
  return { name, ...probs, fromLogits: { activation: 'sigmoid', ...fused } };
}

export function meanSquaredError(who: string): LossSpec {
  return {
    name: 'mean_squared_error',
    ...both(
      named(who, (yTrue, yPred, reduction) => mseLoss(yPred, sameShape(who, yTrue, yPred), { reduction })),
      oneOutput,
      lastAxisMeans,
    ),
  };
}

export function meanAbsoluteError(who: string): LossSpec {
  return {
    name: 'mean_absolute_error',
    ...both(
      named(who, (yTrue, yPred, reduction) => l1Loss(yPred, sameShape(who, yTrue, yPred), { reduction })),
      oneOutput,
      lastAxisMeans,
    ),
  };
}

/** Keras' Huber: ½d² where |d| ≤ delta, else delta·(|d| − ½delta). */
export function huber(who: string, delta = 1): LossSpec {
  return {
    name: 'huber',
    ...both(
      named(who, (yTrue, yPred, reduction) => huberLoss(yPred, sameShape(who, yTrue, yPred), { reduction, delta })),
      oneOutput,
      lastAxisMeans,
    ),
  };
}
