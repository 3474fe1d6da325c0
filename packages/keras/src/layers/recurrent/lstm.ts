import { lstmStates } from '@tsdl/nn/internal';
import { type Tensor, concat, matmul, ones, slice, tidy } from '@tsdl/tensor';
import { type ActivationName, activationName, getActivation } from '../../activations';
import { optionalBool } from '../options';
import { cols } from './cols';
import { type FusedRun, gateSlope, runFused } from './fused-run';
import { type CellState, RECURRENT_OPTIONS, type RecurrentArgs, RecurrentLayer, recurrentOptions } from './rnn-base';

export interface LSTMArgs extends RecurrentArgs {
  /** The gates' activation (default 'sigmoid'). */
  recurrentActivation?: string | null;
  /** Start the forget gate's bias at 1 (Jozefowicz et al.; default true). */
  unitForgetBias?: boolean;
}

const LSTM_OPTIONS = [...RECURRENT_OPTIONS, 'recurrentActivation', 'unitForgetBias'];

/** Keras' unit_forget_bias: the initializer's values for i, c and o, ones for f (bias [4·units], in place). */
export function setForgetBias(b: Tensor, units: number): void {
  const u = units;
  const v = tidy(() =>
    concat([slice(b, [0], [u]), ones([u], 'float32', { backend: b.backend }), slice(b, [2 * u], [4 * u])], 0),
  );
  b.assign(v);
  v.dispose();
}

/**
 * One LSTM step (shared by LSTM and LSTMCell): z = xw + hRec · U, with xw the input's share
 * (bias included); i, f, o = recAct of their blocks; c_t = f ⊙ c + i ⊙ act(z_c); h_t = o ⊙ act(c_t).
 */
export function lstmStep(
  xw: Tensor,
  c: Tensor,
  hRec: Tensor,
  U: Tensor,
  units: number,
  act: (t: Tensor) => Tensor,
  recAct: (t: Tensor) => Tensor,
): CellState {
  const u = units;
  const z = xw.add(matmul(hRec, U));
  // One recurrentActivation over all four blocks (c's quarter unused) costs less than three kernels.
  const gate = recAct(z);
  const cNew = cols(gate, u, 2 * u)
    .mul(c)
    .add(cols(gate, 0, u).mul(act(cols(z, 2 * u, 3 * u))));
  return { h: cols(gate, 3 * u, 4 * u).mul(act(cNew)), c: cNew };
}

/**
 * Keras' LSTM, gates in Keras' order i, f, c, o along the kernels' columns:
 * z = x_t · kernel + h_{t−1} · recurrent_kernel + bias; i, f, o = recurrentActivation
 * of their blocks; c_t = f ⊙ c_{t−1} + i ⊙ activation(z_c); h_t = o ⊙ activation(c_t).
 * kernel [features, 4·units], recurrent_kernel [units, 4·units], bias [4·units].
 */
export class LSTM extends RecurrentLayer {
  readonly recurrentActivation: ActivationName;
  readonly unitForgetBias: boolean;

  constructor(config: LSTMArgs | number) {
    const a = recurrentOptions('LSTM', config, LSTM_OPTIONS, new.target === LSTM);
    super(a);
    this.recurrentActivation =
      a.recurrentActivation === undefined ? 'sigmoid' : activationName(a.recurrentActivation, this.label);
    this.unitForgetBias = optionalBool(this.label, 'unitForgetBias', a.unitForgetBias, true);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'LSTM';
  }

  protected get gates(): number {
    return 4;
  }

  get stateCount(): number {
    return 2;
  }

  protected buildBias(): Tensor {
    const b = this.addWeight('bias', [4 * this.units], this.biasInit);
    if (this.unitForgetBias) setForgetBias(b, this.units);
    return b;
  }

  protected step(xw: Tensor, prev: CellState, hRec: Tensor): CellState {
    return lstmStep(
      xw,
      prev.c as Tensor,
      hRec,
      this.recurrentKernel,
      this.units,
      (t) => this.act(t),
      getActivation(this.recurrentActivation),
    );
  }

  /** tanh with sigmoid or hard-sigmoid gates runs as one op over the sequence (nn's lstmSequence); others step by step. */
  protected override fusedSequence(xw: Tensor, init: Tensor[], mask: Tensor | null, given: boolean): FusedRun | null {
    const gate = gateSlope(this.recurrentActivation);
    if (this.activation !== 'tanh' || gate === null) return null;
    const plan = {
      op: (x: Tensor, m: Tensor | null, sequence: boolean) =>
        lstmStates(x, this.recurrentKernel, init[0], init[1], m, { sequence, gate }),
      returnSequences: this.returnSequences,
      goBackwards: this.goBackwards,
      zeroOutputForMask: this.zeroOutputForMask,
    };
    return runFused(plan, xw, mask, given);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), recurrentActivation: this.recurrentActivation, unitForgetBias: this.unitForgetBias };
  }
}
