import { E, type Expr } from '@tsdl/tensor/backend';
import { flushSubnormal } from './flush';
import { gradientInput, maximizeTag } from './gradient';

/**
 * The fused Adam / AdamW update: one kernel computes the new parameter and
 * the new moments.
 *
 * inputs:  0 θ, 1 g, 2 m, 3 v, 4 v̂max (amsgrad only)
 * scalars: 0 lr, 1 β1, 2 1 − β1, 3 β2, 4 1 − β2, 5 ε, 6 lr / (1 − β1^t),
 *          7 1 / √(1 − β2^t), 8 λ (Adam, L2) or 1 − lr·λ (AdamW, decoupled)
 *
 * outputs: θ', m', v' (and v̂max' with amsgrad)
 *
 * The update is bound by its square root and division (on a CPU they share
 * one slow unit), so it has one of each: √v̂ is scaled by a multiply with
 * the reciprocal bias correction (within an ulp of PyTorch's division), and
 * without weight decay (`decay` false) the L2 term is left out rather than
 * multiplied by zero. `maximize` negates the gradient first.
 */
export function adamExprs(amsgrad: boolean, decoupled: boolean, decay = true, maximize = false): Expr[] {
  const p = E.in(0);
  const raw = gradientInput(maximize);
  const g = decoupled || !decay ? raw : E.add(raw, E.mul(E.s(8), p));
  // The moments are stored flushed (flush.ts): they decay through float32's subnormal range.
  const m = flushSubnormal(E.add(E.mul(E.s(1), E.in(2)), E.mul(E.s(2), g)));
  const v = flushSubnormal(E.add(E.mul(E.s(3), E.in(3)), E.mul(E.s(4), E.mul(g, g))));
  const vmax = amsgrad ? E.b('max', E.in(4), v) : v;
  const denom = E.add(E.mul(E.u('sqrt', vmax), E.s(7)), E.s(5));
  const p0 = decoupled && decay ? E.mul(p, E.s(8)) : p;
  const next = E.sub(p0, E.mul(E.s(6), E.div(m, denom)));
  return amsgrad ? [next, m, v, vmax] : [next, m, v];
}

const cache = new Map<string, Expr[]>();

/** The expressions and their kernel tag for one variant (built once); `decay` false when λ = 0. */
export function adamKernel(
  amsgrad: boolean,
  decoupled: boolean,
  decay = true,
  maximize = false,
): { tag: string; exprs: Expr[] } {
  const tag = `${decoupled ? 'adamw' : 'adam'}${amsgrad ? '-amsgrad' : ''}${decay ? '' : '-nodecay'}${maximizeTag(maximize)}`;
  let exprs = cache.get(tag);
  if (!exprs) {
    exprs = adamExprs(amsgrad, decoupled, decay, maximize);
    cache.set(tag, exprs);
  }
  return { tag, exprs };
}

/** The run-time scalars of step `t` (1-based). */
export function adamScalars(
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
  t: number,
  decoupled: boolean,
): number[] {
  const bc1 = 1 - beta1 ** t;
  const bc2 = 1 - beta2 ** t;
  return [
    lr,
    beta1,
    1 - beta1,
    beta2,
    1 - beta2,
    eps,
    lr / bc1,
    1 / Math.sqrt(bc2),
    decoupled ? 1 - lr * weightDecay : weightDecay,
  ];
}
