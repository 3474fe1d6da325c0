import { E, type Expr } from '../expr';

/** Abramowitz & Stegun 7.1.26's coefficients halved (exactly, in binary): 0.5·erfc(a) = P(t)·t·e^(−a²). */
const HALF_AS = [1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592].map((c) => c / 2);

/**
 * Φ(x), the standard normal CDF, as an expression of v = x/√2 and `e` = exp(−v²): with
 * h = ½·erfc(|v|) by Abramowitz & Stegun 7.1.26 (erf's absolute error below 1.5e-7, as the
 * reference `erf` in expr.ts), Φ = h for v < 0 and 1 − h otherwise. Computing the lower tail as h,
 * not as ½·(1 + erf(v)), keeps it from cancelling to 0 in float32 (Φ(−6) ≈ 1e-9, not 0), and it
 * is a few operations shorter. Inline rather than the 'erf' unary: the JavaScript kernels make no
 * helper call, and on the CPU's SIMD kernels this form is faster than the unary's Cephes erff
 * (which computes both of its branches). autograd's GELU rule uses it too, sharing e with the density.
 */
export function normalCdfExpr(v: Expr, e: Expr): Expr {
  const t = E.div(E.c(1), E.add(E.c(1), E.mul(E.c(0.3275911), E.u('abs', v))));
  let p = E.c(HALF_AS[0]);
  for (const a of HALF_AS.slice(1)) p = E.add(E.mul(p, t), E.c(a));
  const h = E.mul(E.mul(p, t), e);
  return E.where(E.b('lt', v, E.c(0)), h, E.sub(E.c(1), h));
}

/** exp(−v²) for normalCdfExpr. */
export const expNegSquare = (v: Expr): Expr => E.u('exp', E.u('neg', E.mul(v, v)));
