import { type Tensor } from '@tsdl/tensor';
import { E, type Expr } from '@tsdl/tensor/backend';
import { Optimizer } from '../optimizer';
import { flushSubnormal } from './flush';
import { gradientInput, maximizeTag } from './gradient';
import type { FusedUpdate, ParamGroup, ParamState, ParamsInput } from '../types';
import { argumentError, boolean, closedUnit, nonNegative } from '../validate';

export type SGDHyper = {
  lr: number;
  /** Momentum factor μ (default 0: plain SGD). */
  momentum: number;
  /** Dampening τ of the momentum (default 0). */
  dampening: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). */
  nesterov: boolean;
  /** Maximize the objective: step along +g instead of −g (default false). */
  maximize: boolean;
};

export type SGDOptions = Partial<SGDHyper>;

type Kernel = { tag: string; exprs: Expr[] };

interface Kernels {
  plain: Kernel;
  momentum: Kernel;
  nesterov: Kernel;
}

// inputs: 0 param, 1 grad, 2 momentum buffer
// scalars: 0 lr, 1 weightDecay, 2 momentum μ, 3 buffer coefficient (μ, or 0 on the first step), 4 gradient coefficient (1 − τ, or 1 on the first step)
function sgdKernels(maximize: boolean): Kernels {
  const p = E.in(0);
  const g = E.add(gradientInput(maximize), E.mul(E.s(1), p)); // ±g + λθ
  const lr = E.s(0);
  // μb + (1 − τ)g, stored flushed (flush.ts): where g is 0 it decays through float32's subnormal range.
  const buf = flushSubnormal(E.add(E.mul(E.s(3), E.in(2)), E.mul(E.s(4), g)));
  const max = maximizeTag(maximize);
  return {
    plain: { tag: `sgd${max}`, exprs: [E.sub(p, E.mul(lr, g))] },
    momentum: { tag: `sgd-momentum${max}`, exprs: [E.sub(p, E.mul(lr, buf)), buf] },
    nesterov: { tag: `sgd-nesterov${max}`, exprs: [E.sub(p, E.mul(lr, E.add(g, E.mul(E.s(2), buf)))), buf] },
  };
}

const KERNELS = [sgdKernels(false), sgdKernels(true)];
const MOMENTUM_STATE = ['momentumBuffer'];

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov
 * momentum and L2 weight decay, as torch.optim.SGD:
 *
 *     g ← −g (maximize)
 *     g ← g + λθ
 *     b ← g on the first step, else μb + (1 − τ)g
 *     g ← g + μb (Nesterov) or b
 *     θ ← θ − lr·g
 */
export class SGD extends Optimizer<SGDHyper> {
  protected readonly stateNames = ['momentumBuffer'] as const;

  constructor(params: ParamsInput<SGDHyper>, options: SGDOptions = {}) {
    super(
      'SGD',
      params,
      { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false },
      options,
    );
  }

  protected checkHyper(h: SGDHyper): void {
    nonNegative(this.name, 'lr', h.lr);
    nonNegative(this.name, 'momentum', h.momentum);
    closedUnit(this.name, 'dampening', h.dampening);
    nonNegative(this.name, 'weightDecay', h.weightDecay);
    boolean(this.name, 'nesterov', h.nesterov);
    boolean(this.name, 'maximize', h.maximize);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      argumentError(
        this.name,
        `nesterov momentum needs momentum > 0 and dampening 0, got momentum ${h.momentum} and dampening ${h.dampening}`,
      );
    }
  }

  protected update(p: Tensor, g: Tensor, state: ParamState, h: ParamGroup<SGDHyper>): FusedUpdate {
    const k = KERNELS[h.maximize ? 1 : 0];
    if (h.momentum === 0) return { ...k.plain, inputs: [p, g], scalars: [h.lr, h.weightDecay], state: [] };
    const first = state.tensors.momentumBuffer === undefined;
    const buf = this.stateTensor(p, state, 'momentumBuffer');
    const scalars = [h.lr, h.weightDecay, h.momentum, first ? 0 : h.momentum, first ? 1 : 1 - h.dampening];
    return h.nesterov
      ? { ...k.nesterov, inputs: [p, g, buf], scalars, state: MOMENTUM_STATE }
      : { ...k.momentum, inputs: [p, g, buf], scalars, state: MOMENTUM_STATE };
  }
}
