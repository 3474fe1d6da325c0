import { type Tensor, matmul, reshape, slice } from '@tsdl/tensor';
import { type ActivationName, activationName, getActivation } from '../../activations';
import { optionalBool } from '../options';
import { cols } from './cols';
import { type CellState, RECURRENT_OPTIONS, type RecurrentArgs, RecurrentLayer, recurrentOptions } from './rnn-base';

export interface GRUArgs extends RecurrentArgs {
  /** The gates' activation (default 'sigmoid'). */
  recurrentActivation?: string | null;
  /**
   * Apply the reset gate after the recurrent product (default true, Keras 3 and
   * cuDNN): bias [2, 3·units], a row for the input and one for the recurrent
   * product. false: before it, bias [3·units].
   */
  resetAfter?: boolean;
}

const GRU_OPTIONS = [...RECURRENT_OPTIONS, 'recurrentActivation', 'resetAfter'];

/**
 * Keras' GRU, gates in Keras' order z, r, h along the kernels' columns (PyTorch's
 * is r, z, n): z, r = recurrentActivation(x_t·W + b + h_{t−1}·U (+ b_rec));
 * h̃ = activation(x_t·W_h + b_h + r ⊙ (h_{t−1}·U_h + b_rec,h)) with resetAfter,
 * activation(x_t·W_h + b_h + (r ⊙ h_{t−1})·U_h) without; h_t = z ⊙ h_{t−1} + (1 − z) ⊙ h̃.
 */
export class GRU extends RecurrentLayer {
  readonly recurrentActivation: ActivationName;
  readonly resetAfter: boolean;

  constructor(config: GRUArgs | number) {
    const a = recurrentOptions('GRU', config, GRU_OPTIONS, new.target === GRU);
    super(a);
    this.recurrentActivation = a.recurrentActivation === undefined ? 'sigmoid' : activationName(a.recurrentActivation, this.label);
    this.resetAfter = optionalBool(this.label, 'resetAfter', a.resetAfter, true);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'GRU';
  }

  protected get gates(): number {
    return 3;
  }

  get stateCount(): number {
    return 1;
  }

  protected buildBias(): Tensor {
    return this.addWeight('bias', this.resetAfter ? [2, 3 * this.units] : [3 * this.units], this.biasInit);
  }

  /** Row `r` of the [2, 3·units] bias (resetAfter): a view. */
  private biasRow(r: number): Tensor {
    const b = this.bias as Tensor;
    return reshape(slice(b, [r], [r + 1]), [b.shape[1]]);
  }

  protected override inputBias(): Tensor | null {
    return this.bias && this.resetAfter ? this.biasRow(0) : this.bias;
  }

  protected step(xw: Tensor, prev: CellState, hRec: Tensor): CellState {
    const u = this.units;
    const U = this.recurrentKernel;
    const recAct = getActivation(this.recurrentActivation);
    let hh: Tensor;
    let zr: Tensor;
    if (this.resetAfter) {
      let inner = matmul(hRec, U);
      if (this.bias) inner = inner.add(this.biasRow(1));
      zr = recAct(cols(xw, 0, 2 * u).add(cols(inner, 0, 2 * u)));
      hh = this.act(cols(xw, 2 * u, 3 * u).add(cols(zr, u, 2 * u).mul(cols(inner, 2 * u, 3 * u))));
    } else {
      zr = recAct(cols(xw, 0, 2 * u).add(matmul(hRec, cols(U, 0, 2 * u))));
      hh = this.act(cols(xw, 2 * u, 3 * u).add(matmul(cols(zr, u, 2 * u).mul(hRec), cols(U, 2 * u, 3 * u))));
    }
    // z ⊙ h + (1 − z) ⊙ h̃, written with one product fewer.
    return { h: hh.add(cols(zr, 0, u).mul(prev.h.sub(hh))), c: null };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), recurrentActivation: this.recurrentActivation, resetAfter: this.resetAfter };
  }
}
