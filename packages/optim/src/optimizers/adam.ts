import type { Tensor } from '@tsdl/tensor';
import { Optimizer } from '../optimizer';
import type { FusedUpdate, ParamGroup, ParamState, ParamsInput } from '../types';
import { argumentError, boolean, nonNegative, unitInterval } from '../validate';
import { adamKernel, adamScalars } from './adam-kernel';

export type AdamHyper = {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Decay rates [β1, β2] of the first and second moment averages (default [0.9, 0.999]). */
  betas: [number, number];
  /** ε added to the denominator (default 1e-8, as PyTorch; Keras uses 1e-7). */
  eps: number;
  /** Weight decay λ: an L2 penalty added to the gradient for Adam (default 0), decoupled for AdamW (default 0.01). */
  weightDecay: number;
  /** Use the running maximum of the second moment (AMSGrad, default false). */
  amsgrad: boolean;
  /** Maximize the objective: the gradient is negated first (default false). */
  maximize: boolean;
};

export type AdamOptions = Partial<AdamHyper>;

export function checkAdamHyper(name: string, h: AdamHyper): void {
  nonNegative(name, 'lr', h.lr);
  if (!Array.isArray(h.betas) || h.betas.length !== 2)
    argumentError(name, `betas must be a pair [beta1, beta2], got ${JSON.stringify(h.betas)}`);
  unitInterval(name, 'betas[0]', h.betas[0]);
  unitInterval(name, 'betas[1]', h.betas[1]);
  nonNegative(name, 'eps', h.eps);
  nonNegative(name, 'weightDecay', h.weightDecay);
  boolean(name, 'amsgrad', h.amsgrad);
  boolean(name, 'maximize', h.maximize);
}

const STATE = ['expAvg', 'expAvgSq'];
const AMSGRAD_STATE = ['expAvg', 'expAvgSq', 'maxExpAvgSq'];

/** Shared by Adam and AdamW: they differ in how weight decay enters. */
export abstract class AdamBase extends Optimizer<AdamHyper> {
  protected readonly stateNames = ['expAvg', 'expAvgSq', 'maxExpAvgSq'] as const;
  protected abstract readonly decoupled: boolean;

  protected checkHyper(h: AdamHyper): void {
    checkAdamHyper(this.name, h);
  }

  protected update(p: Tensor, g: Tensor, state: ParamState, h: ParamGroup<AdamHyper>): FusedUpdate {
    const m = this.stateTensor(p, state, 'expAvg');
    const v = this.stateTensor(p, state, 'expAvgSq');
    const inputs = h.amsgrad ? [p, g, m, v, this.stateTensor(p, state, 'maxExpAvgSq')] : [p, g, m, v];
    const { tag, exprs } = adamKernel(h.amsgrad, this.decoupled, h.weightDecay !== 0, h.maximize);
    const scalars = adamScalars(h.lr, h.betas[0], h.betas[1], h.eps, h.weightDecay, state.step, this.decoupled);
    return { tag, exprs, inputs, scalars, state: h.amsgrad ? AMSGRAD_STATE : STATE };
  }
}

/**
 * Adam (Kingma & Ba, 2015), as torch.optim.Adam, with an L2 penalty folded
 * into the gradient and optional AMSGrad:
 *
 *     g ← −g (maximize)
 *     g ← g + λθ
 *     m ← β1·m + (1 − β1)·g          v ← β2·v + (1 − β2)·g²
 *     m̂ = m / (1 − β1^t)             v̂ = v / (1 − β2^t)   (amsgrad: v̂max ← max(v̂max, v), v̂ = v̂max / (1 − β2^t))
 *     θ ← θ − lr·m̂ / (√v̂ + ε)
 */
export class Adam extends AdamBase {
  protected readonly decoupled = false;

  constructor(params: ParamsInput<AdamHyper>, options: AdamOptions = {}) {
    super(
      'Adam',
      params,
      { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false },
      options,
    );
  }
}
