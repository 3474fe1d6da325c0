import { type FusedUpdate, Optimizer, type ParamGroup, type ParamState } from '@tsdl/optim';
import { ArgumentError, type Tensor } from '@tsdl/tensor';
import { E, type Expr } from '@tsdl/tensor/backend';

export type KerasAdamaxHyper = {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
};

/** float32's smallest normal number: the averages are stored flushed below it, as @tsdl/optim's are. */
const MIN_NORMAL = 2 ** -126;
const flush = (x: Expr): Expr => E.where(E.b('lt', E.u('abs', x), E.c(MIN_NORMAL)), E.c(0), x);

/**
 * inputs:  0 θ, 1 g, 2 m, 3 u
 * scalars: 0 β1, 1 1 − β1, 2 β2, 3 ε, 4 lr/(1 − β1^t)
 * outputs: θ', m', u'
 */
const M = flush(E.add(E.mul(E.s(0), E.in(2)), E.mul(E.s(1), E.in(1))));
const U = flush(E.b('max', E.mul(E.s(2), E.in(3)), E.u('abs', E.in(1))));
const EXPRS: Expr[] = [E.sub(E.in(0), E.mul(E.s(4), E.div(M, E.add(U, E.s(3))))), M, U];
const STATE = ['m', 'u'];

function unit(name: string, v: number): void {
  if (typeof v !== 'number' || !(v >= 0 && v < 1))
    throw new ArgumentError(`Adamax: ${name} must be a number in [0, 1), got ${String(v)}`);
}

function nonNegative(name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new ArgumentError(`Adamax: ${name} must be a finite number >= 0, got ${String(v)}`);
}

/**
 * Keras' Adamax, whose update differs from PyTorch's (torch.optim.Adamax puts
 * ε inside the maximum, max(β2·u, |g| + ε), and decays it with u; Keras adds
 * it to the denominator):
 *
 *     m ← β1·m + (1 − β1)·g
 *     u ← max(β2·u, |g|)
 *     θ ← θ − lr·m / ((1 − β1^t)·(u + ε))
 *
 * One fused kernel per parameter, batched across parameters as @tsdl/optim's
 * optimizers are; its state (`m`, `u`, Keras' names) saves with the model.
 */
export class KerasAdamax extends Optimizer<KerasAdamaxHyper> {
  protected readonly stateNames = STATE;

  constructor(params: Tensor[], options: Partial<KerasAdamaxHyper>) {
    super('Adamax', params, { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, options);
  }

  protected checkHyper(h: KerasAdamaxHyper): void {
    nonNegative('learningRate', h.lr);
    unit('beta1', h.beta1);
    unit('beta2', h.beta2);
    nonNegative('epsilon', h.epsilon);
  }

  protected update(p: Tensor, g: Tensor, state: ParamState, h: ParamGroup<KerasAdamaxHyper>): FusedUpdate {
    const scalars = [h.beta1, 1 - h.beta1, h.beta2, h.epsilon, h.lr / (1 - h.beta1 ** state.step)];
    return {
      tag: 'keras-adamax',
      exprs: EXPRS,
      inputs: [p, g, this.stateTensor(p, state, 'm'), this.stateTensor(p, state, 'u')],
      scalars,
      state: STATE,
    };
  }
}
