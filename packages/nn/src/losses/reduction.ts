import { ArgumentError, DTypeError, ShapeError, type Tensor } from '@tsdl/tensor';
import { fmtShape, shapesEqual } from '@tsdl/tensor/internal';

/** How a loss combines its per-element values: their mean (default), their sum, or none (the unreduced tensor). */
export type Reduction = 'mean' | 'sum' | 'none';

export interface ReductionOptions {
  reduction?: Reduction;
}

/** Validates `reduction` (before any work is done). */
export function checkReduction(loss: string, reduction: Reduction | undefined): Reduction {
  const r = reduction ?? 'mean';
  if (r !== 'mean' && r !== 'sum' && r !== 'none') {
    throw new ArgumentError(`${loss}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`);
  }
  return r;
}

export function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'mean') return loss.mean();
  if (reduction === 'sum') return loss.sum();
  return loss;
}

/** Checks that predictions are float32 and that targets have their shape; returns float32 targets (cast if needed; caller owns a cast). */
export function sameShapeTarget(loss: string, input: Tensor, target: Tensor): Tensor {
  if (input.dtype !== 'float32') throw new DTypeError(`${loss}: input must be float32, got ${input.dtype}`);
  if (!shapesEqual(input.shape, target.shape)) {
    throw new ShapeError(
      `${loss}: target of shape ${fmtShape(target.shape)} does not match input of shape ${fmtShape(input.shape)}; they must have the same shape`,
    );
  }
  return target.dtype === 'float32' ? target : target.cast('float32');
}
