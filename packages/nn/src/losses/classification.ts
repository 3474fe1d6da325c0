import {
  ArgumentError,
  DTypeError,
  ShapeError,
  type Tensor,
  logSoftmax,
  ne,
  softmaxCrossEntropy,
  tidy,
  where,
} from '@tsdl/tensor';
import { checkIndexRange, fmtShape, oneHotUnchecked, shapesEqual } from '@tsdl/tensor/internal';
import { type Reduction, type ReductionOptions, checkReduction, reduce } from './reduction';

export interface NLLOptions extends ReductionOptions {
  /** Per-class rescaling weight, 1-D of length C. */
  weight?: Tensor | null;
  /** A target value that contributes nothing (neither loss nor weight); default −100, as PyTorch. */
  ignoreIndex?: number;
}

export interface CrossEntropyOptions extends NLLOptions {
  /** ε in [0, 1]: the target becomes (1 − ε)·target + ε/C uniformly over classes (default 0). */
  labelSmoothing?: number;
}

/** The class axis: 0 for an unbatched [C] input, else 1 ([N, C, d1, …]). */
function classAxis(x: Tensor): number {
  return x.rank === 1 ? 0 : 1;
}

/** The input with its class axis moved last (a view): [N, d1, …, C]. */
function classLast(x: Tensor): Tensor {
  if (x.rank <= 2) return x;
  const perm = [0, ...x.shape.map((_, i) => i).slice(2), 1];
  return x.transpose(perm);
}

function checkInput(loss: string, input: Tensor): number {
  if (input.dtype !== 'float32') throw new DTypeError(`${loss}: input must be float32, got ${input.dtype}`);
  if (input.rank === 0) throw new ShapeError(`${loss}: input must be [C] or [N, C, …], got a scalar`);
  const c = input.shape[classAxis(input)];
  if (c === 0) throw new ShapeError(`${loss}: input of shape ${fmtShape(input.shape)} has no classes`);
  return c;
}

function checkClassWeight(loss: string, weight: Tensor | null | undefined, classes: number): void {
  if (!weight) return;
  if (weight.rank !== 1 || weight.shape[0] !== classes) {
    throw new ShapeError(
      `${loss}: weight must be 1-D with one value per class (${classes}), got shape ${fmtShape(weight.shape)}`,
    );
  }
}

/** The shape class-index targets must have: the input's without the class axis. */
function indexShape(input: Tensor): number[] {
  const a = classAxis(input);
  return input.shape.filter((_, i) => i !== a);
}

/**
 * Checks shape and range; returns whether some target may equal ignoreIndex (true when
 * unchecked). The range is checked by tensor's index-range rule (checkIndexRange): at the
 * call wherever the host knows the targets (always on the CPU; on a GPU those written from
 * host data and views of them). Others are checked on the device: by the fused
 * softmaxCrossEntropy kernel where the loss goes through it
 * (`fused`), else by the backend's checkIndices under the loss's name, since nllCore's
 * one-hot `eq` would give a bad target a zero term; the next read reports a bad one.
 */
function checkIndexTarget(
  loss: string,
  input: Tensor,
  target: Tensor,
  classes: number,
  ignoreIndex: number,
  fused: boolean,
): boolean {
  const want = indexShape(input);
  if (!shapesEqual(target.shape, want)) {
    throw new ShapeError(
      `${loss}: class-index target of shape ${fmtShape(target.shape)} does not fit input of shape ${fmtShape(input.shape)}; expected target shape ${fmtShape(want)}`,
    );
  }
  const checked = checkIndexRange(
    target,
    classes,
    (v) =>
      new ArgumentError(
        `${loss}: target ${v} is out of range for ${classes} classes (expected 0 to ${classes - 1}, or ignoreIndex ${ignoreIndex})`,
      ),
    { ignore: ignoreIndex, deviceCheck: fused ? null : loss },
  );
  return checked !== 'valid';
}

/**
 * Cross-entropy of [N, C] logits (or [C], as one row) through the fused
 * softmaxCrossEntropy kernel: one kernel forward, one backward. Index targets
 * that may hold ignoreIndex are swapped for class 0 and masked out of the sum
 * and the mean's count, as nllCore does.
 */
function fusedCrossEntropy(input: Tensor, target: Tensor, r: Reduction, ignoreIndex: number | null): Tensor {
  const rows = input.rank === 1 ? input.reshape([1, -1]) : input;
  const labels = input.rank === 1 ? target.reshape(target.dtype === 'int32' ? [1] : [1, -1]) : target;
  if (ignoreIndex === null) {
    const out = reduce(softmaxCrossEntropy(rows, labels), r);
    const shape = r === 'none' ? target.shape.slice(0, input.rank - 1) : [];
    // Usually already that shape: no reshape, so no extra recorded op in the training graph.
    return shapesEqual(out.shape, shape) ? out : out.reshape(shape);
  }
  const valid = ne(labels, ignoreIndex);
  const perElement = softmaxCrossEntropy(rows, where(valid, labels, 0)).mul(valid.cast('float32'));
  return reduceWeighted(perElement, valid.cast('float32'), r).reshape(r === 'none' ? target.shape : []);
}

/**
 * Negative log-likelihood of int32 class indices under log-probabilities
 * `logp` ([..., C], class axis last), with PyTorch's weighting and
 * ignoreIndex rules. Returns the reduced loss and the per-element weights.
 * The target was range-checked (checkIndexTarget), ignoreIndex allowed, so the
 * one-hot rows are not checked again (ignoreIndex −100 would fail oneHot's check).
 */
function nllCore(
  logp: Tensor,
  target: Tensor,
  classes: number,
  weight: Tensor | null | undefined,
  ignoreIndex: number,
) {
  const valid = ne(target, ignoreIndex).cast('float32');
  let sel = oneHotUnchecked(target, classes).mul(valid.unsqueeze(-1)); // zero rows for ignored targets
  if (weight) sel = sel.mul(weight);
  const perElement = sel.mul(logp).sum(-1).neg(); // −w[t]·logp[t]
  const weights = sel.sum(-1); // w[t] (0 where ignored)
  return { perElement, weights, valid };
}

function reduceWeighted(perElement: Tensor, weights: Tensor, r: Reduction): Tensor {
  if (r === 'none') return perElement;
  if (r === 'sum') return perElement.sum();
  return perElement.sum().div(weights.sum());
}

/**
 * Negative log-likelihood loss on log-probabilities (e.g. LogSoftmax output):
 * input [N, C, d1, …] or [C], target int32 class indices [N, d1, …] or [].
 * With `weight`, the mean divides by the sum of the targets' weights (as PyTorch).
 */
export function nllLoss(input: Tensor, target: Tensor, options: NLLOptions = {}): Tensor {
  const name = 'nllLoss';
  const r = checkReduction(name, options.reduction);
  const classes = checkInput(name, input);
  const ignoreIndex = options.ignoreIndex ?? -100;
  checkClassWeight(name, options.weight, classes);
  if (target.dtype !== 'int32') {
    throw new DTypeError(
      `${name}: target must be int32 class indices, got ${target.dtype} of shape ${fmtShape(target.shape)}`,
    );
  }
  checkIndexTarget(name, input, target, classes, ignoreIndex, false);
  return tidy(() => {
    const { perElement, weights } = nllCore(classLast(input), target, classes, options.weight, ignoreIndex);
    return reduceWeighted(perElement, weights, r);
  });
}

/**
 * Cross-entropy from logits (log-softmax + NLL, numerically stable), as
 * PyTorch's cross_entropy. input: [N, C, d1, …] or [C]. target: int32 class
 * indices of the input's shape without the class axis, or float32 class
 * probabilities (e.g. one-hot) of the input's own shape.
 *
 * - `weight` (per class): for index targets the mean divides by the sum of the
 *   targets' weights; for probability targets by the number of elements.
 * - `labelSmoothing` ε: (1 − ε)·NLL + ε/C · Σ_c −w_c·log p_c (index targets), or
 *   the target mixed with the uniform distribution (probability targets).
 * - `ignoreIndex` (index targets only): those positions add no loss and no weight.
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const name = 'crossEntropy';
  const r = checkReduction(name, options.reduction);
  const classes = checkInput(name, input);
  const eps = options.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new ArgumentError(`${name}: labelSmoothing must be in [0, 1], got ${eps}`);
  checkClassWeight(name, options.weight, classes);
  const weight = options.weight ?? null;

  if (target.dtype === 'float32') {
    if (!shapesEqual(target.shape, input.shape)) {
      throw new ShapeError(
        `${name}: target of shape ${fmtShape(target.shape)} (float32) does not fit input of shape ${fmtShape(input.shape)}; ` +
          `expected probabilities of shape ${fmtShape(input.shape)} or int32 class indices of shape ${fmtShape(indexShape(input))}`,
      );
    }
    if (input.rank <= 2 && !weight) {
      return tidy(() => fusedCrossEntropy(input, eps > 0 ? target.mul(1 - eps).add(eps / classes) : target, r, null));
    }
    return tidy(() => {
      const logp = logSoftmax(classLast(input), -1);
      let t = classLast(target);
      if (eps > 0) t = t.mul(1 - eps).add(eps / classes);
      let prod = logp.mul(t);
      if (weight) prod = prod.mul(weight);
      const perElement = prod.sum(-1).neg();
      return reduce(perElement, r); // mean: over the N·d1·… elements, as PyTorch
    });
  }

  if (target.dtype !== 'int32') {
    throw new DTypeError(`${name}: target must be int32 class indices or float32 probabilities, got ${target.dtype}`);
  }
  const ignoreIndex = options.ignoreIndex ?? -100;
  const fused = input.rank <= 2 && !weight && eps === 0;
  const mayIgnore = checkIndexTarget(name, input, target, classes, ignoreIndex, fused);
  if (fused) return tidy(() => fusedCrossEntropy(input, target, r, mayIgnore ? ignoreIndex : null));
  return tidy(() => {
    const logp = logSoftmax(classLast(input), -1);
    const { perElement, weights, valid } = nllCore(logp, target, classes, weight, ignoreIndex);
    const nll = reduceWeighted(perElement, weights, r);
    if (eps === 0) return nll;
    const smooth = (weight ? logp.mul(weight) : logp).sum(-1).neg().mul(valid);
    const smoothRed = reduceWeighted(smooth, weights, r);
    return nll.mul(1 - eps).add(smoothRed.mul(eps / classes));
  });
}
