import { type Tensor } from '@tsdl/tensor';
import { E, type Expr } from '@tsdl/tensor/backend';
import { Optimizer } from '../optimizer';
import type { FusedUpdate, ParamGroup, ParamState, ParamsInput } from '../types';
import { argumentError, boolean, nonNegative, unitInterval } from '../validate';
import { flushSubnormal } from './flush';
import { gradientInput, maximizeTag } from './gradient';

export type AdamaxHyper = {
  /** Learning rate (default 2e-3). */
  lr: number;
  /** Decay rates [β1, β2] of the first moment and of the infinity norm (default [0.9, 0.999]). */
  betas: [number, number];
  /** ε added to |g| inside the maximum (default 1e-8). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Maximize the objective: the gradient is negated first (default false). */
  maximize: boolean;
};

export type AdamaxOptions = Partial<AdamaxHyper>;

/**
 * inputs:  0 θ, 1 g, 2 m, 3 u (exponentially weighted infinity norm)
 * scalars: 0 β1, 1 1 − β1, 2 β2, 3 ε, 4 lr/(1 − β1^t), 5 λ
 * outputs: θ', m', u'
 */
function adamaxKernel(maximize: boolean): { tag: string; exprs: Expr[] } {
  const p = E.in(0);
  const g = E.add(gradientInput(maximize), E.mul(E.s(5), p));
  // m decays through float32's subnormal range where g is 0 (flush.ts); u does not (it is at least ε).
  const m = flushSubnormal(E.add(E.mul(E.s(0), E.in(2)), E.mul(E.s(1), g)));
  const u = E.b('max', E.mul(E.s(2), E.in(3)), E.add(E.u('abs', g), E.s(3)));
  return { tag: `adamax${maximizeTag(maximize)}`, exprs: [E.sub(p, E.mul(E.s(4), E.div(m, u))), m, u] };
}

const KERNELS = [adamaxKernel(false), adamaxKernel(true)];
const STATE = ['expAvg', 'expInf'];

/**
 * Adamax (Kingma & Ba, 2015, §7.1), Adam with the infinity norm, as
 * torch.optim.Adamax:
 *
 *     g ← −g (maximize)
 *     g ← g + λθ
 *     m ← β1·m + (1 − β1)·g
 *     u ← max(β2·u, |g| + ε)
 *     θ ← θ − lr/(1 − β1^t) · m/u
 */
export class Adamax extends Optimizer<AdamaxHyper> {
  protected readonly stateNames = ['expAvg', 'expInf'] as const;

  constructor(params: ParamsInput<AdamaxHyper>, options: AdamaxOptions = {}) {
    super('Adamax', params, { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false }, options);
  }

  protected checkHyper(h: AdamaxHyper): void {
    nonNegative(this.name, 'lr', h.lr);
    if (!Array.isArray(h.betas) || h.betas.length !== 2)
      argumentError(this.name, `betas must be a pair [beta1, beta2], got ${JSON.stringify(h.betas)}`);
    unitInterval(this.name, 'betas[0]', h.betas[0]);
    unitInterval(this.name, 'betas[1]', h.betas[1]);
    nonNegative(this.name, 'eps', h.eps);
    nonNegative(this.name, 'weightDecay', h.weightDecay);
    boolean(this.name, 'maximize', h.maximize);
  }

  protected update(p: Tensor, g: Tensor, state: ParamState, h: ParamGroup<AdamaxHyper>): FusedUpdate {
    const [beta1, beta2] = h.betas;
    const scalars = [beta1, 1 - beta1, beta2, h.eps, h.lr / (1 - beta1 ** state.step), h.weightDecay];
    const inputs = [p, g, this.stateTensor(p, state, 'expAvg'), this.stateTensor(p, state, 'expInf')];
    return { ...KERNELS[h.maximize ? 1 : 0], inputs, scalars, state: STATE };
  }
}
