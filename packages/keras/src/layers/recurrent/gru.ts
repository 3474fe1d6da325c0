import { gruStates, gruV1States } from '@tsdl/nn/internal';
import { type Tensor, matmul, reshape, slice } from '@tsdl/tensor';
import { type ActivationName, activationName, getActivation } from '../../activations';
import { optionalBool } from '../options';
import { cols } from './cols';
import { type FusedRun, gateSlope, runFused } from './fused-run';
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

/** Row `r` of a [2, 3·units] bias (resetAfter): a view. */
export function biasRow(b: Tensor, r: number): Tensor {
  return reshape(slice(b, [r], [r + 1]), [b.shape[1]]);
}

/** The bias added to the input's product (resetAfter: the bias' first row). */
export function gruInputBias(bias: Tensor | null, resetAfter: boolean): Tensor | null {
  return bias && resetAfter ? biasRow(bias, 0) : bias;
}

/**
 * One GRU step (shared by GRU and GRUCell): the new h from xw, the input's share (input
 * bias included), the previous h, hRec (h as the recurrent product reads it), the
 * recurrent kernel U and, with resetAfter, the recurrent bias row.
 */
export function gruStep(
  xw: Tensor,
  h: Tensor,
  hRec: Tensor,
  U: Tensor,
  recBias: Tensor | null,
  units: number,
  resetAfter: boolean,
  act: (t: Tensor) => Tensor,
  recAct: (t: Tensor) => Tensor,
): Tensor {
  const u = units;
  let hh: Tensor;
  let zr: Tensor;
  if (resetAfter) {
    let inner = matmul(hRec, U);
    if (recBias) inner = inner.add(recBias);
    zr = recAct(cols(xw, 0, 2 * u).add(cols(inner, 0, 2 * u)));
    hh = act(cols(xw, 2 * u, 3 * u).add(cols(zr, u, 2 * u).mul(cols(inner, 2 * u, 3 * u))));
  } else {
    zr = recAct(cols(xw, 0, 2 * u).add(matmul(hRec, cols(U, 0, 2 * u))));
    hh = act(cols(xw, 2 * u, 3 * u).add(matmul(cols(zr, u, 2 * u).mul(hRec), cols(U, 2 * u, 3 * u))));
  }
  // z ⊙ h + (1 − z) ⊙ h̃, written with one product fewer.
  return hh.add(cols(zr, 0, u).mul(h.sub(hh)));
}

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
    this.recurrentActivation =
      a.recurrentActivation === undefined ? 'sigmoid' : activationName(a.recurrentActivation, this.label);
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

  protected override inputBias(): Tensor | null {
    return gruInputBias(this.bias, this.resetAfter);
  }

  protected step(xw: Tensor, prev: CellState, hRec: Tensor): CellState {
    const recBias = this.bias && this.resetAfter ? biasRow(this.bias, 1) : null;
    return {
      h: gruStep(
        xw,
        prev.h,
        hRec,
        this.recurrentKernel,
        recBias,
        this.units,
        this.resetAfter,
        (t) => this.act(t),
        getActivation(this.recurrentActivation),
      ),
      c: null,
    };
  }

  /**
   * tanh with sigmoid or hard-sigmoid gates runs as one op over the sequence: nn's gruSequence
   * with resetAfter, gruV1States' op (a second product per step, on r ⊙ h) without; others step
   * by step.
   */
  protected override fusedSequence(xw: Tensor, init: Tensor[], mask: Tensor | null, given: boolean): FusedRun | null {
    const gate = gateSlope(this.recurrentActivation);
    if (this.activation !== 'tanh' || gate === null) return null;
    const U = this.recurrentKernel;
    const recBias = this.resetAfter && this.bias ? biasRow(this.bias, 1) : null;
    const plan = {
      op: (x: Tensor, m: Tensor | null, sequence: boolean) =>
        this.resetAfter
          ? gruStates(x, U, init[0], recBias, m, { sequence, gate })
          : gruV1States(x, U, init[0], m, { sequence, gate }),
      returnSequences: this.returnSequences,
      goBackwards: this.goBackwards,
      zeroOutputForMask: this.zeroOutputForMask,
    };
    return runFused(plan, xw, mask, given);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), recurrentActivation: this.recurrentActivation, resetAfter: this.resetAfter };
  }
}
