import { type Tensor } from '@tsdl/tensor';
import { E, type Expr } from '@tsdl/tensor/backend';
import { Optimizer } from '../optimizer';
import type { FusedUpdate, ParamGroup, ParamState, ParamsInput } from '../types';
import { argumentError, boolean, nonNegative, unitInterval } from '../validate';
import { flushSubnormal } from './flush';
import { gradientInput, maximizeTag } from './gradient';

export type RAdamHyper = {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Decay rates [β1, β2] of the first and second moment averages (default [0.9, 0.999]). */
  betas: [number, number];
  /** ε added to the denominator (default 1e-8). */
  eps: number;
  /** Weight decay λ (default 0): an L2 penalty added to the gradient, or decoupled (AdamW's) with decoupledWeightDecay. */
  weightDecay: number;
  /** Decay θ by (1 − lr·λ) instead of adding λθ to the gradient (default false). */
  decoupledWeightDecay: boolean;
  /** Maximize the objective: the gradient is negated first (default false). */
  maximize: boolean;
};

export type RAdamOptions = Partial<RAdamHyper>;

type Decay = 'none' | 'l2' | 'decoupled';

/**
 * inputs:  0 θ, 1 g, 2 m, 3 v
 * scalars: 0 β1, 1 1 − β1, 2 β2, 3 1 − β2, 4 ε,
 *          5 the step's coefficient: lr·r_t·√(1 − β2^t)/(1 − β1^t) rectified, else lr/(1 − β1^t),
 *          6 λ (L2) or 1 − lr·λ (decoupled)
 * outputs: θ', m', v'
 * The rectified kernel divides by √v + ε; the early one (r_t undefined) is SGD with momentum.
 */
function radamExprs(rectified: boolean, decay: Decay, maximize: boolean): Expr[] {
  const p = E.in(0);
  const raw = gradientInput(maximize);
  const g = decay === 'l2' ? E.add(raw, E.mul(E.s(6), p)) : raw;
  // The moments are stored flushed (flush.ts): they decay through float32's subnormal range.
  const m = flushSubnormal(E.add(E.mul(E.s(0), E.in(2)), E.mul(E.s(1), g)));
  const v = flushSubnormal(E.add(E.mul(E.s(2), E.in(3)), E.mul(E.s(3), E.mul(g, g))));
  const p0 = decay === 'decoupled' ? E.mul(p, E.s(6)) : p;
  const step = rectified ? E.div(m, E.add(E.u('sqrt', v), E.s(4))) : m;
  return [E.sub(p0, E.mul(E.s(5), step)), m, v];
}

const KERNELS = new Map<string, { tag: string; exprs: Expr[] }>();

function kernel(rectified: boolean, decay: Decay, maximize: boolean): { tag: string; exprs: Expr[] } {
  const tag = `radam-${rectified ? 'rect' : 'early'}-${decay}${maximizeTag(maximize)}`;
  let k = KERNELS.get(tag);
  if (!k) {
    k = { tag, exprs: radamExprs(rectified, decay, maximize) };
    KERNELS.set(tag, k);
  }
  return k;
}

const STATE = ['expAvg', 'expAvgSq'];

/**
 * The variance rectification term r_t of step t, or null while the
 * approximated SMA length ρ_t is at most 5 (the variance is then intractable
 * and RAdam takes an un-adapted momentum step), as PyTorch decides it.
 */
export function radamRectification(beta2: number, t: number): number | null {
  const rhoInf = 2 / (1 - beta2) - 1;
  const beta2t = beta2 ** t;
  const rhoT = rhoInf - (2 * t * beta2t) / (1 - beta2t);
  if (!(rhoT > 5)) return null;
  return Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
}

/**
 * RAdam (Liu et al., 2020), as torch.optim.RAdam in PyTorch 2.x:
 *
 *     g ← −g (maximize)
 *     g ← g + λθ,  or θ ← θ·(1 − lr·λ) with decoupledWeightDecay
 *     m ← β1·m + (1 − β1)·g          v ← β2·v + (1 − β2)·g²
 *     ρ∞ = 2/(1 − β2) − 1,  ρ_t = ρ∞ − 2t·β2^t/(1 − β2^t)
 *     ρ_t > 5:  r_t = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t))
 *               θ ← θ − lr·m/(1 − β1^t) · r_t·√(1 − β2^t)/(√v + ε)
 *     else:     θ ← θ − lr·m/(1 − β1^t)
 */
export class RAdam extends Optimizer<RAdamHyper> {
  protected readonly stateNames = ['expAvg', 'expAvgSq'] as const;

  constructor(params: ParamsInput<RAdamHyper>, options: RAdamOptions = {}) {
    super(
      'RAdam',
      params,
      { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, maximize: false },
      options,
    );
  }

  protected checkHyper(h: RAdamHyper): void {
    nonNegative(this.name, 'lr', h.lr);
    if (!Array.isArray(h.betas) || h.betas.length !== 2)
      argumentError(this.name, `betas must be a pair [beta1, beta2], got ${JSON.stringify(h.betas)}`);
    unitInterval(this.name, 'betas[0]', h.betas[0]);
    unitInterval(this.name, 'betas[1]', h.betas[1]);
    nonNegative(this.name, 'eps', h.eps);
    nonNegative(this.name, 'weightDecay', h.weightDecay);
    boolean(this.name, 'decoupledWeightDecay', h.decoupledWeightDecay);
    boolean(this.name, 'maximize', h.maximize);
  }

  protected update(p: Tensor, g: Tensor, state: ParamState, h: ParamGroup<RAdamHyper>): FusedUpdate {
    const t = state.step;
    const [beta1, beta2] = h.betas;
    const rect = radamRectification(beta2, t);
    const bc1 = 1 - beta1 ** t;
    const coefficient = rect === null ? h.lr / bc1 : (h.lr * rect * Math.sqrt(1 - beta2 ** t)) / bc1;
    const decay = h.weightDecay === 0 ? 'none' : h.decoupledWeightDecay ? 'decoupled' : 'l2';
    const scalars = [
      beta1,
      1 - beta1,
      beta2,
      1 - beta2,
      h.eps,
      coefficient,
      decay === 'decoupled' ? 1 - h.lr * h.weightDecay : h.weightDecay,
    ];
    const inputs = [p, g, this.stateTensor(p, state, 'expAvg'), this.stateTensor(p, state, 'expAvgSq')];
    return { ...kernel(rect !== null, decay, h.maximize), inputs, scalars, state: STATE };
  }
}
