import { ShapeError, type Tensor, broadcastShapes, fmtShape, log, maximum, shapesEqual, softplus, tidy, where } from '@tsdl/tensor';
import { type ReductionOptions, checkReduction, reduce, sameShapeTarget } from './reduction';

export interface BCEOptions extends ReductionOptions {
  /** Per-element rescaling weight, broadcast to the input's shape. */
  weight?: Tensor | null;
}

/**
 * log(p) clamped to >= −100 as PyTorch, with finite gradients at p = 0: the
 * log only ever sees positive values (zeros are swapped for 1 and their
 * result replaced by −100), so no 0 · ∞ appears in the backward pass.
 */
function clampedLog(p: Tensor): Tensor {
  const pos = p.gt(0);
  return maximum(where(pos, log(where(pos, p, 1)), -100), -100);
}

function checkWeight(loss: string, name: string, w: Tensor | null | undefined, input: Tensor): void {
  if (!w) return;
  const b = broadcastShapes(loss, w.shape, input.shape);
  if (!shapesEqual(b, input.shape)) {
    throw new ShapeError(`${loss}: ${name} of shape ${fmtShape(w.shape)} does not broadcast to input of shape ${fmtShape(input.shape)}`);
  }
}

/**
 * Binary cross-entropy on probabilities: −w·(y·log p + (1 − y)·log(1 − p)),
 * each log clamped to >= −100 (as PyTorch), reduced. Inputs should lie in
 * [0, 1]; prefer binaryCrossEntropyWithLogits on raw scores.
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BCEOptions = {}): Tensor {
  const name = 'binaryCrossEntropy';
  const r = checkReduction(name, options.reduction);
  checkWeight(name, 'weight', options.weight, input);
  return tidy(() => {
    const y = sameShapeTarget(name, input, target);
    let loss = y.mul(clampedLog(input)).add(y.neg().add(1).mul(clampedLog(input.neg().add(1)))).neg();
    if (options.weight) loss = loss.mul(options.weight);
    return reduce(loss, r);
  });
}

export interface BCEWithLogitsOptions extends BCEOptions {
  /** Weight of positive examples, broadcast along the last (class) axis (PyTorch's pos_weight). */
  posWeight?: Tensor | null;
}

/**
 * Binary cross-entropy on logits, stable for any |x|:
 * max(x, 0) − x·y + log(1 + exp(−|x|)) (= softplus(x) − x·y); with posWeight p,
 * (1 − y)·x + (1 + (p − 1)·y)·softplus(−x).
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BCEWithLogitsOptions = {}): Tensor {
  const name = 'binaryCrossEntropyWithLogits';
  const r = checkReduction(name, options.reduction);
  checkWeight(name, 'weight', options.weight, input);
  checkWeight(name, 'posWeight', options.posWeight, input);
  return tidy(() => {
    const y = sameShapeTarget(name, input, target);
    let loss: Tensor;
    if (options.posWeight) {
      const coef = options.posWeight.sub(1).mul(y).add(1);
      loss = y.neg().add(1).mul(input).add(coef.mul(softplus(input.neg())));
    } else {
      loss = softplus(input).sub(input.mul(y));
    }
    if (options.weight) loss = loss.mul(options.weight);
    return reduce(loss, r);
  });
}
