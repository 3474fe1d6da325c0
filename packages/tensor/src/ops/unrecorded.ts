import { setGradEnabled } from '../engine';
import { tidy } from '../memory';
import type { Tensor } from '../tensor';

/**
 * Runs the composed body of an op without recording its parts for autograd,
 * under tidy: the op itself is recorded once by its dispatch (with a rule of
 * its own), or its result is not differentiable (indices, samples, masks).
 */
export function unrecorded<T extends Tensor | Tensor[]>(fn: () => T): T {
  const prev = setGradEnabled(false);
  try {
    return tidy(fn);
  } finally {
    setGradEnabled(prev);
  }
}
