import { noGrad } from '@tsdl/autograd';
import { ArgumentError, type Tensor, add, clip, div, maximum, minimum, mul, sqrt, sub, sum, tidy } from '@tsdl/tensor';
import { quote } from './names';

/** Keras' base-optimizer clipping options; at most one is set (null: unset). */
export interface GradientClipping {
  /** Each gradient rescaled so its own L2 norm is at most this. */
  clipnorm: number | null;
  /** Every gradient element clamped into [−clipvalue, clipvalue]. */
  clipvalue: number | null;
  /** All gradients rescaled together so their global L2 norm is at most this. */
  globalClipnorm: number | null;
}

export const CLIP_OPTIONS = ['clipnorm', 'clipvalue', 'globalClipnorm'] as const;

export const NO_CLIPPING: Readonly<GradientClipping> = Object.freeze({
  clipnorm: null,
  clipvalue: null,
  globalClipnorm: null,
});

/** A clipping option's value: a finite number >= 0, or null / undefined for unset. */
export function clipOption(owner: string, name: string, v: unknown): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new ArgumentError(`${owner}: ${name} must be a finite number >= 0 (or null), got ${quote(v)}`);
  return v;
}

/** Keras refuses more than one clipping option (even one set to 0). */
export function checkOneClipping(owner: string, c: GradientClipping): void {
  const set = CLIP_OPTIONS.filter((k) => c[k] !== null);
  if (set.length > 1)
    throw new ArgumentError(
      `${owner}: only one of clipnorm, clipvalue and globalClipnorm can be set, got ${set.map((k) => `${k}=${c[k]}`).join(', ')}`,
    );
}

/** Whether `c` changes any gradient (Keras treats 0 as off). */
export function clips(c: GradientClipping): boolean {
  return CLIP_OPTIONS.some((k) => (c[k] ?? 0) > 0);
}

/**
 * Clips the gradients as Keras' optimizer does before an update, in place
 * (assign) and on the device: nothing is read back, so a GPU step does not
 * wait. The formulas are Keras' own:
 *
 *     clipnorm:        g · c / max(‖g‖, c)
 *     globalClipnorm:  g · c · min(1/‖G‖, 1/c), NaN if ‖G‖ is not finite
 *     clipvalue:       clamp(g, −c, c)
 */
export function clipGradients(grads: readonly Tensor[], c: GradientClipping): void {
  if (grads.length === 0) return;
  noGrad(() =>
    tidy(() => {
      if (c.clipnorm !== null && c.clipnorm > 0) {
        const n = c.clipnorm;
        for (const g of grads) g.assign(div(mul(g, n), maximum(sqrt(sum(mul(g, g))), n)));
      } else if (c.globalClipnorm !== null && c.globalClipnorm > 0) {
        const n = c.globalClipnorm;
        const norm = sqrt(grads.map((g) => sum(mul(g, g))).reduce((a, b) => add(a, b)));
        // (norm − norm) is 0 for a finite norm and NaN otherwise: Keras' way of poisoning the step.
        const scale = add(mul(minimum(div(1, norm), 1 / n), n), sub(norm, norm));
        for (const g of grads) g.assign(mul(g, scale));
      } else if (c.clipvalue !== null && c.clipvalue > 0) {
        for (const g of grads) g.assign(clip(g, -c.clipvalue, c.clipvalue));
      }
    }),
  );
}
