import { type Tensor, matmul } from '@tsdl/tensor';
import { type CellState, RECURRENT_OPTIONS, type RecurrentArgs, RecurrentLayer, recurrentOptions } from './rnn-base';

export type SimpleRNNArgs = RecurrentArgs;

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
    return { h: this.act(xw.add(matmul(hRec, this.recurrentKernel))), c: null };
  }
}
