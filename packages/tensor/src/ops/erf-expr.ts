import { E, type Expr } from '../expr';

/**
 * erf(v) as the expression of the reference `erf` (Abramowitz & Stegun 7.1.26, expr.ts), given
 * `e` = exp(−v²): inline rather than the 'erf' unary, so the JavaScript kernels make no helper call
 * (GELU ran twice as fast on the CPU). autograd's GELU rule uses it too, sharing e with the density.
 */
export function erfExpr(v: Expr, e: Expr): Expr {
  const t = E.div(E.c(1), E.add(E.c(1), E.mul(E.c(0.3275911), E.u('abs', v))));
  let p = E.c(1.061405429);
  for (const a of [-1.453152027, 1.421413741, -0.284496736, 0.254829592]) p = E.add(E.mul(p, t), E.c(a));
  const y = E.sub(E.c(1), E.mul(E.mul(p, t), e));
  return E.where(E.b('lt', v, E.c(0)), E.u('neg', y), y);
}

/** exp(−v²) for erfExpr. */
export const expNegSquare = (v: Expr): Expr => E.u('exp', E.u('neg', E.mul(v, v)));
