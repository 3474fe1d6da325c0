import { noGrad } from '@tsdl/autograd';
import {
  ArgumentError,
  GradientError,
  Tensor,
  abs,
  add,
  clip,
  max,
  maximum,
  mul,
  pow,
  sqrt,
  sum,
  tidy,
} from '@tsdl/tensor';

export interface ClipGradNormOptions {
  /** Throw a GradientError when the total norm is NaN or infinite (default false, as PyTorch). */
  errorIfNonfinite?: boolean;
}

/** The live gradients of `params` (parameters without a gradient are skipped). */
function gradsOf(op: string, params: Iterable<Tensor> | Tensor): Tensor[] {
  const list = params instanceof Tensor ? [params] : [...params];
  const grads: Tensor[] = [];
  for (const p of list) {
    if (!(p instanceof Tensor)) throw new ArgumentError(`${op}: params must be Tensors, got ${typeof p}`);
    if (p.grad === null) continue;
    p.grad.assertAlive(`${op} (a gradient)`);
    grads.push(p.grad);
  }
  return grads;
}

function checkNormArgs(maxNorm: number, normType: number): void {
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0) || maxNorm === Infinity) {
    throw new ArgumentError(`clipGradNorm: maxNorm must be a finite number >= 0, got ${maxNorm}`);
  }
  if (typeof normType !== 'number' || !(normType > 0)) {
    throw new ArgumentError(`clipGradNorm: normType must be a number > 0 or Infinity, got ${normType}`);
  }
}

/** The p-norm of all gradients together, as a 0-d tensor (not recorded). */
function totalNorm(grads: readonly Tensor[], normType: number): Tensor {
  return noGrad(() =>
    tidy(() => {
      const parts = grads.map((g) => {
        if (normType === Infinity) return g.size === 0 ? null : max(abs(g));
        if (normType === 2) return sum(mul(g, g));
        if (normType === 1) return sum(abs(g));
        return sum(pow(abs(g), normType));
      });
      const present = parts.filter((t): t is Tensor => t !== null);
      if (present.length === 0) return sum(grads[0]).mul(0); // only empty gradients
      if (normType === Infinity) return present.reduce((a, b) => maximum(a, b));
      const s = present.reduce((a, b) => add(a, b));
      if (normType === 1) return s;
      if (normType === 2) return sqrt(s);
      return pow(s, 1 / normType);
    }),
  );
}

/** Multiplies every gradient by maxNorm / (total + 1e-6) when that is below 1 (or NaN), in place via assign. */
function rescale(grads: readonly Tensor[], total: number, maxNorm: number, options: ClipGradNormOptions): void {
  if (options.errorIfNonfinite && !Number.isFinite(total)) {
    throw new GradientError(
      `clipGradNorm: the total gradient norm is ${total}; pass { errorIfNonfinite: false } to clip anyway`,
    );
  }
  const coef = maxNorm / (total + 1e-6);
  if (coef >= 1) return; // PyTorch clamps the coefficient at 1: nothing to do
  noGrad(() =>
    tidy(() => {
      for (const g of grads) g.assign(mul(g, coef));
    }),
  );
}

/**
 * Rescales the gradients of `params` so their combined `normType`-norm (the
 * norm of all gradient elements together; Infinity for the max-norm) is at
 * most `maxNorm`, and returns that norm before clipping, as
 * torch.nn.utils.clip_grad_norm_. Gradients are replaced in place (assign),
 * so `.grad` handles stay valid. Reads the norm synchronously; use
 * clipGradNormAsync on a backend that cannot.
 */
export function clipGradNorm(
  params: Iterable<Tensor> | Tensor,
  maxNorm: number,
  normType = 2,
  options: ClipGradNormOptions = {},
): number {
  checkNormArgs(maxNorm, normType);
  const grads = gradsOf('clipGradNorm', params);
  if (grads.length === 0) return 0;
  const t = totalNorm(grads, normType);
  let total: number;
  try {
    total = t.item();
  } finally {
    t.dispose();
  }
  rescale(grads, total, maxNorm, options);
  return total;
}

/** clipGradNorm for backends that read asynchronously (WebGPU). */
export async function clipGradNormAsync(
  params: Iterable<Tensor> | Tensor,
  maxNorm: number,
  normType = 2,
  options: ClipGradNormOptions = {},
): Promise<number> {
  checkNormArgs(maxNorm, normType);
  const grads = gradsOf('clipGradNorm', params);
  if (grads.length === 0) return 0;
  const t = totalNorm(grads, normType);
  let total: number;
  try {
    total = (await t.data())[0];
  } finally {
    t.dispose();
  }
  rescale(grads, total, maxNorm, options);
  return total;
}

/**
 * Clamps every gradient element of `params` into [−clipValue, clipValue], in
 * place via assign, as torch.nn.utils.clip_grad_value_.
 */
export function clipGradValue(params: Iterable<Tensor> | Tensor, clipValue: number): void {
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) {
    throw new ArgumentError(`clipGradValue: clipValue must be a number >= 0, got ${clipValue}`);
  }
  const grads = gradsOf('clipGradValue', params);
  noGrad(() =>
    tidy(() => {
      for (const g of grads) g.assign(clip(g, -clipValue, clipValue));
    }),
  );
}
