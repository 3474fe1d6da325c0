import { rnnStates } from '@tsdl/nn/internal';
import { type Tensor, matmul } from '@tsdl/tensor';
import { type FusedRun, runFused } from './fused-run';
import { type CellState, RECURRENT_OPTIONS, type RecurrentArgs, RecurrentLayer, recurrentOptions } from './rnn-base';

export type SimpleRNNArgs = RecurrentArgs;

/** One SimpleRNN step (shared by SimpleRNN and SimpleRNNCell): act(xw + hRec · U), xw the input's share with the bias. */
export function simpleStep(xw: Tensor, hRec: Tensor, U: Tensor, act: (t: Tensor) => Tensor): Tensor {
  return act(xw.add(matmul(hRec, U)));
}

/**
 * Keras' SimpleRNN: h_t = activation(x_t · kernel + h_{t−1} · recurrent_kernel + bias),
 * kernel [features, units], recurrent_kernel [units, units], bias [units].
 * `new SimpleRNN({ units: 8, returnSequences: true })` or `new SimpleRNN(8)`.
 */
export class SimpleRNN extends RecurrentLayer {
  constructor(config: SimpleRNNArgs | number) {
    const a = recurrentOptions('SimpleRNN', config, RECURRENT_OPTIONS, new.target === SimpleRNN);
    super(a);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'SimpleRNN';
  }

  protected get gates(): number {
    return 1;
  }

  get stateCount(): number {
    return 1;
  }

  protected buildBias(): Tensor {
    return this.addWeight('bias', [this.units], this.biasInit);
  }

  /** tanh (the default) and relu run as one op over the sequence (nn's rnnSequence); other activations step by step. */
  protected override fusedSequence(xw: Tensor, init: Tensor[], mask: Tensor | null, given: boolean): FusedRun | null {
    const activation = this.activation;
    if (activation !== 'tanh' && activation !== 'relu') return null;
    const plan = {
      op: (x: Tensor, m: Tensor | null, sequence: boolean) =>
        rnnStates(x, this.recurrentKernel, init[0], m, { sequence, activation }),
      returnSequences: this.returnSequences,
      goBackwards: this.goBackwards,
      zeroOutputForMask: this.zeroOutputForMask,
    };
    return runFused(plan, xw, mask, given);
  }

  protected step(xw: Tensor, _prev: CellState, hRec: Tensor): CellState {
    return { h: simpleStep(xw, hRec, this.recurrentKernel, (t) => this.act(t)), c: null };
  }
}
