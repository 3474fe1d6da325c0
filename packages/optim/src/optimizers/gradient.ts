import { E, type Expr } from '@tsdl/tensor/backend';

/**
 * The gradient an update kernel reads (input 1), negated with `maximize`:
 * PyTorch's flag for ascending the objective negates the raw gradient before
 * anything else (weight decay is added after, so it still pulls θ toward 0).
 * A separate kernel per flag, so the default update has no extra operation.
 */
export function gradientInput(maximize: boolean): Expr {
  return maximize ? E.u('neg', E.in(1)) : E.in(1);
}

/** Appended to a kernel tag for the maximize variant. */
export function maximizeTag(maximize: boolean): string {
  return maximize ? '-max' : '';
}
