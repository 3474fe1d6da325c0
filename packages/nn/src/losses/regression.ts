import { ArgumentError, type Tensor, abs, tidy, where } from '@tsdl/tensor';
import { type ReductionOptions, checkReduction, reduce, sameShapeTarget } from './reduction';

/** Mean squared error: (input − target)², reduced. Shapes must match. */
export function mseLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const r = checkReduction('mseLoss', options.reduction);
  return tidy(() => reduce(input.sub(sameShapeTarget('mseLoss', input, target)).square(), r));
}

/** Mean absolute error: |input − target|, reduced. Shapes must match. */
export function l1Loss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const r = checkReduction('l1Loss', options.reduction);
  return tidy(() => reduce(input.sub(sameShapeTarget('l1Loss', input, target)).abs(), r));
}

export interface HuberOptions extends ReductionOptions {
  /** Where the loss turns from quadratic to linear (default 1). */
  delta?: number;
}

/** Huber loss: ½d² where |d| < delta, else delta·(|d| − ½delta), with d = input − target. */
export function huberLoss(input: Tensor, target: Tensor, options: HuberOptions = {}): Tensor {
  const r = checkReduction('huberLoss', options.reduction);
  const delta = options.delta ?? 1;
  if (!(delta > 0)) throw new ArgumentError(`huberLoss: delta must be > 0, got ${delta}`);
  return tidy(() => {
    const d = input.sub(sameShapeTarget('huberLoss', input, target));
    const a = abs(d);
    return reduce(where(a.lt(delta), d.square().mul(0.5), a.sub(0.5 * delta).mul(delta)), r);
  });
}

export interface SmoothL1Options extends ReductionOptions {
  /** Where the loss turns from quadratic to linear (default 1). */
  beta?: number;
}

/** Smooth L1: ½d²/beta where |d| < beta, else |d| − ½beta (huberLoss / beta). */
export function smoothL1Loss(input: Tensor, target: Tensor, options: SmoothL1Options = {}): Tensor {
  const r = checkReduction('smoothL1Loss', options.reduction);
  const beta = options.beta ?? 1;
  if (!(beta >= 0)) throw new ArgumentError(`smoothL1Loss: beta must be >= 0, got ${beta}`);
  if (beta === 0) return l1Loss(input, target, { reduction: r });
  return tidy(() => {
    const d = input.sub(sameShapeTarget('smoothL1Loss', input, target));
    const a = abs(d);
    return reduce(where(a.lt(beta), d.square().mul(0.5 / beta), a.sub(0.5 * beta)), r);
  });
}
