import { grad } from '@tsdl/autograd';
import { type Tensor, dispose, mul, noGradScope, stack, sum, tensor, tidy } from './deps';
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
 * with gradients off. Rejects with the input index and element on mismatch.
 *
 * Asynchronous, so it runs on backends that cannot read synchronously: every
 * perturbed loss is computed first and stacked into one tensor, so the check
 * costs one read of that tensor and of the analytic gradients (one GPU round
 * trip), however many elements the inputs have.
 */
export async function gradCheck(
  f: (...xs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  opts: GradCheckOptions = {},
): Promise<void> {
  const eps = opts.eps ?? 1e-2;
  const tol = { atol: opts.atol ?? 2e-2, rtol: opts.rtol ?? 2e-2 };
  const wrt = opts.wrt ?? inputs.flatMap((t, i) => (t.dtype === 'float32' ? [i] : []));
  if (wrt.length === 0) throw new Error('gradCheck: no float32 input to differentiate');

  // A mutable copy: tidy accepts only mutable arrays of tidyable values.
  const outShape: number[] = noGradScope(() => tidy(() => [...f(...inputs).shape]));
  const w = seededNumbers(
    outShape.reduce((a, b) => a * b, 1),
    opts.seed ?? 7,
  );
  const loss = (...xs: Tensor[]) => sum(mul(f(...xs), tensor(w, outShape)));

  const analytic = tidy(() => {
    const g = grad(loss, wrt)(...inputs);
    return Array.isArray(g) ? g : [g];
  });
  let losses: Tensor | null = null;
  let gradValues: Float32Array[];
  let lossValues: Float32Array;
  let bases: Float32Array[];
  try {
    bases = await Promise.all(wrt.map(async (i) => Float32Array.from(await inputs[i].data())));
    // Every L(x ± eps·e_j), for every input and element, in that order, as one [2·Σn] tensor.
    losses = noGradScope(() =>
      tidy(() => {
        const all: Tensor[] = [];
        wrt.forEach((inputIndex, k) => {
          const base = bases[k];
          for (let j = 0; j < base.length; j++) {
            for (const delta of [eps, -eps]) {
              // Each evaluation's intermediates are freed at once; only its scalar loss is kept for the stack.
              all.push(
                tidy(() => {
                  const moved = base.slice();
                  moved[j] += delta;
                  return loss(...inputs.map((t, i) => (i === inputIndex ? tensor(moved, t.shape) : t)));
                }),
              );
            }
          }
        });
        return all.length > 0 ? stack(all) : tensor([]);
      }),
    );
    [lossValues, ...gradValues] = (await Promise.all([losses, ...analytic].map((t) => t.data()))) as Float32Array[];
  } finally {
    dispose([...analytic, ...(losses ? [losses] : [])]);
  }

  let at = 0;
  wrt.forEach((inputIndex, k) => {
    const n = bases[k].length;
    const numeric = new Array<number>(n);
    for (let j = 0; j < n; j++, at += 2) numeric[j] = (lossValues[at] - lossValues[at + 1]) / (2 * eps);
    const msg = compareClose(gradValues[k], numeric, tol);
    if (msg !== null)
      throw new Error(
        `gradient of input ${inputIndex} (shape [${inputs[inputIndex].shape.join(', ')}]) differs from finite differences: ${msg}`,
      );
  });
}
