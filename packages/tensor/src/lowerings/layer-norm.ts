import type { Tensor } from '../tensor';
import { add, mul, rsqrt, sub } from '../ops/elementwise';
import { mean, sum } from '../ops/reduce';

/**
 * The reference lowerings of Backend.layerNorm and layerNormGrad over the rows of
 * float32 x [N, D], from row means and elementwise ops. The variance is the mean of
 * the squared deviations (two passes), not E[x²] − μ², which cancels catastrophically
 * for rows far from zero. Written with recorded ops: run unrecorded, they are the
 * lowerings; run recorded, autograd differentiates them under createGraph.
 */

/** x̂ = (x − μ)·r and r = 1/√(σ² + ε) of each row, r kept as [N, 1]. */
function normalized(x: Tensor, epsilon: number): { xhat: Tensor; rstd: Tensor } {
  const d = sub(x, mean(x, -1, true));
  const rstd = rsqrt(add(mean(mul(d, d), -1, true), epsilon));
  return { xhat: mul(d, rstd), rstd };
}

/** y = x̂·γ + β. */
export function layerNorm(x: Tensor, gamma: Tensor | null, beta: Tensor | null, epsilon: number): Tensor {
  let y = normalized(x, epsilon).xhat;
  if (gamma !== null) y = mul(y, gamma);
  if (beta !== null) y = add(y, beta);
  return y;
}

/** [dx, dγ, dβ]: dx = r·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·γ; dγ = Σ dy·x̂ and dβ = Σ dy over the rows. */
export function layerNormGrad(x: Tensor, gamma: Tensor | null, dy: Tensor, epsilon: number): Tensor[] {
  const { xhat, rstd } = normalized(x, epsilon);
  const g = gamma === null ? dy : mul(dy, gamma);
  const dx = mul(rstd, sub(sub(g, mean(g, -1, true)), mul(xhat, mean(mul(g, xhat), -1, true))));
  return [dx, sum(mul(dy, xhat), 0), sum(dy, 0)];
}
