import { type Tensor } from '@tsdl/tensor';
import { E, type Expr } from '@tsdl/tensor/backend';
import { Optimizer } from '../optimizer';
import type { FusedUpdate, ParamGroup, ParamState, ParamsInput } from '../types';
import { boolean, closedUnit, nonNegative } from '../validate';
import { flushSubnormal } from './flush';
import { gradientInput, maximizeTag } from './gradient';

export type AdadeltaHyper = {
  /** Learning rate, a factor on the computed step (default 1.0). */
  lr: number;
  /** Decay rate ρ of both running averages (default 0.9). */
  rho: number;
  /** ε added inside both square roots (default 1e-6). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Maximize the objective: the gradient is negated first (default false). */
  maximize: boolean;
};

export type AdadeltaOptions = Partial<AdadeltaHyper>;

/**
 * inputs:  0 θ, 1 g, 2 v (square average), 3 a (accumulated squared steps)
 * scalars: 0 lr, 1 ρ, 2 1 − ρ, 3 ε, 4 λ
 * outputs: θ', v', a'
 */
function adadeltaKernel(maximize: boolean): { tag: string; exprs: Expr[] } {
  const p = E.in(0);
  const g = E.add(gradientInput(maximize), E.mul(E.s(4), p));
  // Both averages are stored flushed (flush.ts): they decay through float32's subnormal range.
  const v = flushSubnormal(E.add(E.mul(E.s(1), E.in(2)), E.mul(E.s(2), E.mul(g, g))));
  const delta = E.mul(E.div(E.u('sqrt', E.add(E.in(3), E.s(3))), E.u('sqrt', E.add(v, E.s(3)))), g);
  const a = flushSubnormal(E.add(E.mul(E.s(1), E.in(3)), E.mul(E.s(2), E.mul(delta, delta))));
  return { tag: `adadelta${maximizeTag(maximize)}`, exprs: [E.sub(p, E.mul(E.s(0), delta)), v, a] };
}

const KERNELS = [adadeltaKernel(false), adadeltaKernel(true)];
const STATE = ['squareAvg', 'accDelta'];

/**
 * Adadelta (Zeiler, 2012), as torch.optim.Adadelta:
 *
 *     g ← −g (maximize)
 *     g ← g + λθ
 *     v ← ρ·v + (1 − ρ)·g²
 *     Δ = √(a + ε)/√(v + ε) · g
 *     a ← ρ·a + (1 − ρ)·Δ²
 *     θ ← θ − lr·Δ
 */
export class Adadelta extends Optimizer<AdadeltaHyper> {
  protected readonly stateNames = ['squareAvg', 'accDelta'] as const;

  constructor(params: ParamsInput<AdadeltaHyper>, options: AdadeltaOptions = {}) {
    super('Adadelta', params, { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false }, options);
  }

  protected checkHyper(h: AdadeltaHyper): void {
    nonNegative(this.name, 'lr', h.lr);
    closedUnit(this.name, 'rho', h.rho);
    nonNegative(this.name, 'eps', h.eps);
    nonNegative(this.name, 'weightDecay', h.weightDecay);
    boolean(this.name, 'maximize', h.maximize);
  }

  protected update(p: Tensor, g: Tensor, state: ParamState, h: ParamGroup<AdadeltaHyper>): FusedUpdate {
    const inputs = [p, g, this.stateTensor(p, state, 'squareAvg'), this.stateTensor(p, state, 'accDelta')];
    return {
      ...KERNELS[h.maximize ? 1 : 0],
      inputs,
      scalars: [h.lr, h.rho, 1 - h.rho, h.eps, h.weightDecay],
      state: STATE,
    };
  }
}
