import { grad } from '@tsdl/autograd';
import { type Tensor, mul, noGradScope, sum, tensor, tidy } from './deps';
import { compareClose, type Tolerance } from './all-close';
import { seededNumbers } from './random-data';

export interface GradCheckOptions extends Tolerance {
  /** Step of the central difference. float32 evaluation makes 1e-2 the sweet spot between truncation and rounding. */
  eps?: number;
  /** Indices of the inputs to differentiate; default: every float32 input. */
  wrt?: readonly number[];
  /** Seed of the random cotangent that reduces a non-scalar output to a scalar. */
  seed?: number;
}

/**
 * Checks autograd's gradient of `f` against central finite differences.
 *
 * The output is reduced to a scalar with a fixed random cotangent w,
 * L(x) = Σ f(x)·w, so every output element contributes with its own weight
 * and a rule that mixes up output positions fails. For each input element
 * the numeric derivative is (L(x + eps) − L(x − eps)) / 2eps, evaluated
 * with gradients off. Throws with the input index and element on mismatch.
 */
export function gradCheck(f: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], opts: GradCheckOptions = {}): void {
  const eps = opts.eps ?? 1e-2;
  const tol = { atol: opts.atol ?? 2e-2, rtol: opts.rtol ?? 2e-2 };
  const wrt = opts.wrt ?? inputs.flatMap((t, i) => (t.dtype === 'float32' ? [i] : []));
  if (wrt.length === 0) throw new Error('gradCheck: no float32 input to differentiate');

  // A mutable copy: tidy accepts only mutable arrays of tidyable values.
  const outShape: number[] = noGradScope(() => tidy(() => [...f(...inputs).shape]));
  const w = seededNumbers(outShape.reduce((a, b) => a * b, 1), opts.seed ?? 7);
  const loss = (...xs: Tensor[]) => sum(mul(f(...xs), tensor(w, outShape)));

  const analytic = tidy(() => {
    const g = grad(loss, wrt)(...inputs);
    const list = Array.isArray(g) ? g : [g];
    return list.map((t) => Array.from(t.dataSync() as ArrayLike<number>));
  });

  wrt.forEach((inputIndex, k) => {
    const x = inputs[inputIndex];
    const base = Float32Array.from(x.dataSync() as ArrayLike<number>);
    const numeric = new Array<number>(base.length);
    for (let j = 0; j < base.length; j++) {
      const at = (delta: number) =>
        noGradScope(() =>
          tidy(() => {
            const moved = base.slice();
            moved[j] += delta;
            const xs = inputs.map((t, i) => (i === inputIndex ? tensor(moved, x.shape) : t));
            return (loss(...xs).dataSync() as ArrayLike<number>)[0];
          }),
        );
      numeric[j] = (at(eps) - at(-eps)) / (2 * eps);
    }
    const msg = compareClose(analytic[k], numeric, tol);
    if (msg !== null) throw new Error(`gradient of input ${inputIndex} (shape [${x.shape.join(', ')}]) differs from finite differences: ${msg}`);
  });
}
