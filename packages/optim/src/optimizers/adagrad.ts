import { type Tensor } from '@tsdl/tensor';
import { E, type Expr } from '@tsdl/tensor/backend';
import { Optimizer } from '../optimizer';
import { gradientInput, maximizeTag } from './gradient';
import type { FusedUpdate, ParamGroup, ParamState, ParamsInput } from '../types';
import { boolean, nonNegative } from '../validate';

export type AdagradHyper = {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Learning-rate decay: step t uses lr / (1 + (t − 1)·lrDecay) (default 0). */
  lrDecay: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Starting value of the squared-gradient sum (default 0). */
  initialAccumulatorValue: number;
  /** ε added to the denominator (default 1e-10). */
  eps: number;
  /** Maximize the objective: the gradient is negated first (default false). */
  maximize: boolean;
};

export type AdagradOptions = Partial<AdagradHyper>;

// inputs: 0 θ, 1 g, 2 s (sum of squares); scalars: 0 the step's lr, 1 λ, 2 ε
function adagradKernel(maximize: boolean): { tag: string; exprs: Expr[] } {
  const p = E.in(0);
  const g = E.add(gradientInput(maximize), E.mul(E.s(1), p));
  const sum = E.add(E.in(2), E.mul(g, g));
  return {
    tag: `adagrad${maximizeTag(maximize)}`,
    exprs: [E.sub(p, E.mul(E.s(0), E.div(g, E.add(E.u('sqrt', sum), E.s(2))))), sum],
  };
}

const KERNELS = [adagradKernel(false), adagradKernel(true)];
const SUM_STATE = ['sum'];

/**
 * Adagrad (Duchi et al., 2011), as torch.optim.Adagrad:
 *
 *     lr_t = lr / (1 + (t − 1)·lrDecay)
 *     g ← −g (maximize)
 *     g ← g + λθ
 *     s ← s + g²                    (s starts at initialAccumulatorValue)
 *     θ ← θ − lr_t·g / (√s + ε)
 */
export class Adagrad extends Optimizer<AdagradHyper> {
  protected readonly stateNames = ['sum'] as const;

  constructor(params: ParamsInput<AdagradHyper>, options: AdagradOptions = {}) {
    super(
      'Adagrad',
      params,
      { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false },
      options,
    );
  }

  protected checkHyper(h: AdagradHyper): void {
    nonNegative(this.name, 'lr', h.lr);
    nonNegative(this.name, 'lrDecay', h.lrDecay);
    nonNegative(this.name, 'weightDecay', h.weightDecay);
    nonNegative(this.name, 'initialAccumulatorValue', h.initialAccumulatorValue);
    nonNegative(this.name, 'eps', h.eps);
    boolean(this.name, 'maximize', h.maximize);
  }

  protected update(p: Tensor, g: Tensor, state: ParamState, h: ParamGroup<AdagradHyper>): FusedUpdate {
    const sum = this.stateTensor(p, state, 'sum', h.initialAccumulatorValue);
    const clr = h.lr / (1 + (state.step - 1) * h.lrDecay);
    return {
      ...KERNELS[h.maximize ? 1 : 0],
      inputs: [p, g, sum],
      scalars: [clr, h.weightDecay, h.eps],
      state: SUM_STATE,
    };
  }
}
