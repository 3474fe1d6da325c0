import { type Tensor } from '@tsdl/tensor';
import { E, type Expr } from '@tsdl/tensor/backend';
import { Optimizer } from '../optimizer';
import { flushSubnormal } from './flush';
import { gradientInput, maximizeTag } from './gradient';
import type { FusedUpdate, ParamGroup, ParamState, ParamsInput } from '../types';
import { boolean, nonNegative, unitInterval } from '../validate';

export type RMSpropHyper = {
  /** Learning rate (default 1e-2, as PyTorch). */
  lr: number;
  /** Smoothing constant α of the squared-gradient average (default 0.99). */
  alpha: number;
  /** ε added to the denominator (default 1e-8). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Momentum factor μ (default 0). */
  momentum: number;
  /** Normalise by the estimated variance instead of the raw second moment (default false). */
  centered: boolean;
  /** Maximize the objective: the gradient is negated first (default false). */
  maximize: boolean;
};

export type RMSpropOptions = Partial<RMSpropHyper>;

/**
 * inputs:  0 θ, 1 g, 2 v (square average), then the gradient average (centered) and the momentum buffer (momentum > 0)
 * scalars: 0 lr, 1 α, 2 1 − α, 3 ε, 4 λ, 5 μ
 * outputs: θ', v', then the gradient average and the buffer, in input order
 */
function rmspropExprs(centered: boolean, momentum: boolean, maximize: boolean): Expr[] {
  const p = E.in(0);
  const g = E.add(gradientInput(maximize), E.mul(E.s(4), p));
  // The running averages are stored flushed (flush.ts): they decay through float32's subnormal range.
  const v = flushSubnormal(E.add(E.mul(E.s(1), E.in(2)), E.mul(E.s(2), E.mul(g, g))));
  let next = 3;
  const outs: Expr[] = [v];
  let variance = v;
  if (centered) {
    const ga = flushSubnormal(E.add(E.mul(E.s(1), E.in(next++)), E.mul(E.s(2), g)));
    outs.push(ga);
    // Clamped at 0 so float rounding cannot give sqrt of a tiny negative number.
    variance = E.b('max', E.sub(v, E.mul(ga, ga)), E.c(0));
  }
  const avg = E.add(E.u('sqrt', variance), E.s(3));
  let param: Expr;
  if (momentum) {
    const buf = flushSubnormal(E.add(E.mul(E.s(5), E.in(next++)), E.div(g, avg)));
    outs.push(buf);
    param = E.sub(p, E.mul(E.s(0), buf));
  } else {
    param = E.sub(p, E.mul(E.s(0), E.div(g, avg)));
  }
  return [param, ...outs];
}

interface Kernel {
  tag: string;
  exprs: Expr[];
  /** The state names of the outputs after the new value, in rmspropExprs' order. */
  state: string[];
}

const KERNELS = new Map<string, Kernel>();

function kernel(centered: boolean, momentum: boolean, maximize: boolean): Kernel {
  const tag = `rmsprop${centered ? '-centered' : ''}${momentum ? '-momentum' : ''}${maximizeTag(maximize)}`;
  let k = KERNELS.get(tag);
  if (!k) {
    const state = ['squareAvg'];
    if (centered) state.push('gradAvg');
    if (momentum) state.push('momentumBuffer');
    k = { tag, exprs: rmspropExprs(centered, momentum, maximize), state };
    KERNELS.set(tag, k);
  }
  return k;
}

/**
 * RMSprop (Hinton), as torch.optim.RMSprop:
 *
 *     g ← −g (maximize)
 *     g ← g + λθ
 *     v ← αv + (1 − α)g²
 *     centered: ḡ ← αḡ + (1 − α)g,  ṽ = v − ḡ²   (else ṽ = v)
 *     momentum: b ← μb + g / (√ṽ + ε),  θ ← θ − lr·b
 *     else:     θ ← θ − lr·g / (√ṽ + ε)
 */
export class RMSprop extends Optimizer<RMSpropHyper> {
  protected readonly stateNames = ['squareAvg', 'gradAvg', 'momentumBuffer'] as const;

  constructor(params: ParamsInput<RMSpropHyper>, options: RMSpropOptions = {}) {
    super(
      'RMSprop',
      params,
      { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false },
      options,
    );
  }

  protected checkHyper(h: RMSpropHyper): void {
    nonNegative(this.name, 'lr', h.lr);
    unitInterval(this.name, 'alpha', h.alpha);
    nonNegative(this.name, 'eps', h.eps);
    nonNegative(this.name, 'weightDecay', h.weightDecay);
    nonNegative(this.name, 'momentum', h.momentum);
    boolean(this.name, 'centered', h.centered);
    boolean(this.name, 'maximize', h.maximize);
  }

  protected update(p: Tensor, g: Tensor, state: ParamState, h: ParamGroup<RMSpropHyper>): FusedUpdate {
    const useMomentum = h.momentum > 0;
    const inputs = [p, g, this.stateTensor(p, state, 'squareAvg')];
    if (h.centered) inputs.push(this.stateTensor(p, state, 'gradAvg'));
    if (useMomentum) inputs.push(this.stateTensor(p, state, 'momentumBuffer'));
    const { tag, exprs, state: names } = kernel(h.centered, useMomentum, h.maximize);
    return {
      tag,
      exprs,
      inputs,
      scalars: [h.lr, h.alpha, 1 - h.alpha, h.eps, h.weightDecay, h.momentum],
      state: names,
    };
  }
}
