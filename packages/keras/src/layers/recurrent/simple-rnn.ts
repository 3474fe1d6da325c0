import { type Tensor, matmul } from '@tsdl/tensor';
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

  protected step(xw: Tensor, _prev: CellState, hRec: Tensor): CellState {
    return { h: simpleStep(xw, hRec, this.recurrentKernel, (t) => this.act(t)), c: null };
  }
}
