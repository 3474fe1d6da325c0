import { type Tensor } from '@tsdl/tensor';
import { E, type Expr } from '@tsdl/tensor/backend';
import { Optimizer } from '../optimizer';
import type { FusedUpdate, ParamGroup, ParamState, ParamsInput } from '../types';
import { argumentError, boolean, nonNegative, unitInterval } from '../validate';
import { flushSubnormal } from './flush';
import { gradientInput, maximizeTag } from './gradient';

export type NAdamHyper = {
  /** Learning rate (default 2e-3). */
  lr: number;
  /** Decay rates [β1, β2] of the first and second moment averages (default [0.9, 0.999]). */
  betas: [number, number];
  /** ε added to the denominator (default 1e-8). */
  eps: number;
  /** Weight decay λ (default 0): an L2 penalty added to the gradient, or decoupled (AdamW's) with decoupledWeightDecay. */
  weightDecay: number;
  /** ψ of the momentum schedule μ_t = β1·(1 − ½·0.96^(t·ψ)) (default 4e-3). */
  momentumDecay: number;
  /** Decay θ by (1 − lr·λ) instead of adding λθ to the gradient (NAdamW; default false). */
  decoupledWeightDecay: boolean;
  /** Maximize the objective: the gradient is negated first (default false). */
  maximize: boolean;
};

export type NAdamOptions = Partial<NAdamHyper>;

/**
 * inputs:  0 θ, 1 g, 2 m, 3 v
 * scalars: 0 β1, 1 1 − β1, 2 β2, 3 1 − β2, 4 1/√(1 − β2^t), 5 ε,
 *          6 lr·(1 − μ_t)/(1 − Π_t), 7 lr·μ_{t+1}/(1 − Π_t·μ_{t+1}),
 *          8 λ (L2) or 1 − lr·λ (decoupled)
 * outputs: θ', m', v'
 * Both Nesterov terms share the one division by the denominator.
 */
function nadamExprs(decay: 'none' | 'l2' | 'decoupled', maximize: boolean): Expr[] {
  const p = E.in(0);
  const raw = gradientInput(maximize);
  const g = decay === 'l2' ? E.add(raw, E.mul(E.s(8), p)) : raw;
  // The moments are stored flushed (flush.ts): they decay through float32's subnormal range.
  const m = flushSubnormal(E.add(E.mul(E.s(0), E.in(2)), E.mul(E.s(1), g)));
  const v = flushSubnormal(E.add(E.mul(E.s(2), E.in(3)), E.mul(E.s(3), E.mul(g, g))));
  const denom = E.add(E.mul(E.u('sqrt', v), E.s(4)), E.s(5));
  const p0 = decay === 'decoupled' ? E.mul(p, E.s(8)) : p;
  const next = E.sub(p0, E.div(E.add(E.mul(E.s(6), g), E.mul(E.s(7), m)), denom));
  return [next, m, v];
}

const KERNELS = new Map<string, { tag: string; exprs: Expr[] }>();

function kernel(decay: 'none' | 'l2' | 'decoupled', maximize: boolean): { tag: string; exprs: Expr[] } {
  const tag = `nadam-${decay}${maximizeTag(maximize)}`;
  let k = KERNELS.get(tag);
  if (!k) {
    k = { tag, exprs: nadamExprs(decay, maximize) };
    KERNELS.set(tag, k);
  }
  return k;
}

const STATE = ['expAvg', 'expAvgSq'];

/** The momentum factor μ_t of step t. */
export function nadamMu(beta1: number, momentumDecay: number, t: number): number {
  return beta1 * (1 - 0.5 * 0.96 ** (t * momentumDecay));
}

/**
 * NAdam (Dozat, 2016), as torch.optim.NAdam in PyTorch 2.x:
 *
 *     g ← −g (maximize)
 *     g ← g + λθ,  or θ ← θ·(1 − lr·λ) with decoupledWeightDecay
 *     μ_t = β1·(1 − ½·0.96^(t·ψ)),  Π_t = μ_1···μ_t
 *     m ← β1·m + (1 − β1)·g          v ← β2·v + (1 − β2)·g²
 *     θ ← θ − lr·(1 − μ_t)/(1 − Π_t) · g/(√v̂ + ε) − lr·μ_{t+1}/(1 − Π_t·μ_{t+1}) · m/(√v̂ + ε),  v̂ = v/(1 − β2^t)
 *
 * Π_t is kept per parameter (`muProduct`, in the state dict's values) as
 * PyTorch keeps `mu_product`, so a β1 that a schedule changes enters only
 * the later factors. A state dict without it (one saved by Keras' Nadam)
 * gets the product of the current β1's factors.
 */
export class NAdam extends Optimizer<NAdamHyper> {
  protected readonly stateNames = ['expAvg', 'expAvgSq'] as const;
  protected override readonly valueNames = ['muProduct'] as const;

  constructor(params: ParamsInput<NAdamHyper>, options: NAdamOptions = {}) {
    super(
      'NAdam',
      params,
      {
        lr: 2e-3,
        betas: [0.9, 0.999],
        eps: 1e-8,
        weightDecay: 0,
        momentumDecay: 4e-3,
        decoupledWeightDecay: false,
        maximize: false,
      },
      options,
    );
  }

  protected checkHyper(h: NAdamHyper): void {
    nonNegative(this.name, 'lr', h.lr);
    if (!Array.isArray(h.betas) || h.betas.length !== 2)
      argumentError(this.name, `betas must be a pair [beta1, beta2], got ${JSON.stringify(h.betas)}`);
    unitInterval(this.name, 'betas[0]', h.betas[0]);
    unitInterval(this.name, 'betas[1]', h.betas[1]);
    nonNegative(this.name, 'eps', h.eps);
    nonNegative(this.name, 'weightDecay', h.weightDecay);
    nonNegative(this.name, 'momentumDecay', h.momentumDecay);
    boolean(this.name, 'decoupledWeightDecay', h.decoupledWeightDecay);
    boolean(this.name, 'maximize', h.maximize);
  }

  protected update(p: Tensor, g: Tensor, state: ParamState, h: ParamGroup<NAdamHyper>): FusedUpdate {
    const t = state.step;
    const [beta1, beta2] = h.betas;
    const mu = nadamMu(beta1, h.momentumDecay, t);
    const muNext = nadamMu(beta1, h.momentumDecay, t + 1);
    const product = this.previousProduct(state, beta1, h.momentumDecay) * mu;
    const decay = h.weightDecay === 0 ? 'none' : h.decoupledWeightDecay ? 'decoupled' : 'l2';
    const scalars = [
      beta1,
      1 - beta1,
      beta2,
      1 - beta2,
      1 / Math.sqrt(1 - beta2 ** t),
      h.eps,
      (h.lr * (1 - mu)) / (1 - product),
      (h.lr * muNext) / (1 - product * muNext),
      decay === 'decoupled' ? 1 - h.lr * h.weightDecay : h.weightDecay,
    ];
    const inputs = [p, g, this.stateTensor(p, state, 'expAvg'), this.stateTensor(p, state, 'expAvgSq')];
    return { ...kernel(decay, h.maximize), inputs, scalars, state: STATE, values: { muProduct: product } };
  }

  /** Π_{t−1}: the stored product, or (state loaded without it) the product of the current factors. */
  private previousProduct(state: ParamState, beta1: number, momentumDecay: number): number {
    const stored = state.values?.muProduct;
    if (stored !== undefined) return stored;
    let product = 1;
    for (let k = 1; k < state.step; k++) product *= nadamMu(beta1, momentumDecay, k);
    return product;
  }
}
