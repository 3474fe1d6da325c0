import { ArgumentError, Tensor } from '@tsdl/tensor';
import {
  RECURRENT_OPTION_NAMES,
  RNNBase,
  type RecurrentForwardOptions,
  type RecurrentOptions,
  sizesAndOptions,
} from './base';
import { type Nonlinearity, nonlinearityOption } from './options';

/**
 * PyTorch's recurrent layers. Construct with `(inputSize, hiddenSize, options)`
 * or one options object; call with `(input, hx?, { lengths }?)`.
 */

export interface RNNOptions extends RecurrentOptions {
  /** h' = tanh(…) (default) or relu(…). */
  nonlinearity?: Nonlinearity;
}

export interface LSTMOptions extends RecurrentOptions {
  /** Project h to this many features with weight_hr (default 0: none); must be smaller than hiddenSize. */
  projSize?: number;
}

export type GRUOptions = RecurrentOptions;

/**
 * Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh) (or relu).
 * `forward(input, h0?, { lengths }?)` returns `[output, h_n]`: output
 * [seq, batch, directions·hidden] (batch first with batchFirst), h_n
 * [layers·directions, batch, hidden]; unbatched input [seq, in] drops the batch axis.
 */
export class RNN extends RNNBase {
  readonly nonlinearity: Nonlinearity;

  constructor(inputSize: number, hiddenSize: number, options?: Omit<RNNOptions, 'inputSize' | 'hiddenSize'>);
  constructor(options: RNNOptions & { inputSize: number; hiddenSize: number });
  constructor(first: number | RNNOptions, hiddenSize?: number, options?: RNNOptions) {
    const o = sizesAndOptions('RNN', [...RECURRENT_OPTION_NAMES, 'nonlinearity'], first, hiddenSize, options);
    const nonlinearity = nonlinearityOption('RNN', o.nonlinearity);
    super('RNN', nonlinearity, o);
    this.nonlinearity = nonlinearity;
  }

  override forward(input: Tensor, hx?: Tensor | null, options?: RecurrentForwardOptions): [Tensor, Tensor] {
    const r = this.run(input, hx ?? null, null, options);
    return [r.output, r.hN];
  }

  override extraRepr(): string {
    return this.nonlinearity === 'tanh'
      ? super.extraRepr()
      : `${super.extraRepr()}, nonlinearity='${this.nonlinearity}'`;
  }
}

/**
 * Long short-term memory, gates i, f, g, o (PyTorch's order):
 * c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t) (then W_hr h_t with projSize).
 * `forward(input, [h0, c0]?, { lengths }?)` returns `[output, [h_n, c_n]]`.
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options?: Omit<LSTMOptions, 'inputSize' | 'hiddenSize'>);
  constructor(options: LSTMOptions & { inputSize: number; hiddenSize: number });
  constructor(first: number | LSTMOptions, hiddenSize?: number, options?: LSTMOptions) {
    super('LSTM', 'lstm', sizesAndOptions('LSTM', [...RECURRENT_OPTION_NAMES, 'projSize'], first, hiddenSize, options));
  }

  override forward(
    input: Tensor,
    hx?: readonly [Tensor, Tensor] | null,
    options?: RecurrentForwardOptions,
  ): [Tensor, [Tensor, Tensor]] {
    let h0: Tensor | null = null;
    let c0: Tensor | null = null;
    if (hx !== undefined && hx !== null) {
      if (!Array.isArray(hx) || hx.length !== 2 || !(hx[0] instanceof Tensor) || !(hx[1] instanceof Tensor)) {
        throw new ArgumentError('LSTM: the initial state must be a pair [h0, c0] of tensors (or null for zeros)');
      }
      [h0, c0] = hx;
    }
    const r = this.run(input, h0, c0, options);
    return [r.output, [r.hN, r.cN as Tensor]];
  }
}

/**
 * Gated recurrent unit, gates r, z, n (PyTorch's order and equations):
 * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.
 * `forward(input, h0?, { lengths }?)` returns `[output, h_n]`.
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options?: Omit<GRUOptions, 'inputSize' | 'hiddenSize'>);
  constructor(options: GRUOptions & { inputSize: number; hiddenSize: number });
  constructor(first: number | GRUOptions, hiddenSize?: number, options?: GRUOptions) {
    super('GRU', 'gru', sizesAndOptions('GRU', RECURRENT_OPTION_NAMES, first, hiddenSize, options));
  }

  override forward(input: Tensor, hx?: Tensor | null, options?: RecurrentForwardOptions): [Tensor, Tensor] {
    const r = this.run(input, hx ?? null, null, options);
    return [r.output, r.hN];
  }
}
