import { type Tensor, matmul, relu, sigmoid, slice, tanh } from '@tsdl/tensor';

/**
 * One time step of each recurrent cell, with PyTorch's equations and gate
 * order. The input's contribution `xw` = x·W_ihᵀ + b_ih (and + b_hh, except
 * for the GRU, whose b_hn sits inside r ⊙ (…)) comes in precomputed: the
 * layers compute it for every time step in one matmul, as cuDNN does, so a
 * step only multiplies the hidden state by W_hhᵀ.
 */

export type CellMode = 'tanh' | 'relu' | 'lstm' | 'gru';

/** Blocks of hiddenSize rows in W_ih / W_hh: LSTM i, f, g, o; GRU r, z, n. */
export const GATES: Readonly<Record<CellMode, number>> = { tanh: 1, relu: 1, lstm: 4, gru: 3 };

/** The recurrent weights of one cell (one layer and direction). */
export interface StepWeights {
  /** [gates·hidden, hiddenOut]. */
  whh: Tensor;
  /** The GRU's b_hh, added per step; null for the others (folded into xw) or without bias. */
  bhh: Tensor | null;
  /** LSTM's projection [projSize, hidden], or null. */
  whr: Tensor | null;
}

export interface StepState {
  h: Tensor;
  /** The LSTM's cell state; null for RNN and GRU. */
  c: Tensor | null;
}

/** Columns [from, to) of a [batch, n] tensor: a view. */
function cols(x: Tensor, from: number, to: number): Tensor {
  return slice(x, [0, from], [null, to]);
}

/** The state after one step. Call under tidy: the gate intermediates are not freed here. */
export function cellStep(mode: CellMode, hidden: number, xw: Tensor, state: StepState, w: StepWeights): StepState {
  const H = hidden;
  const hw = matmul(state.h, w.whh, { transposeB: true });
  switch (mode) {
    case 'tanh':
      return { h: tanh(xw.add(hw)), c: null };
    case 'relu':
      return { h: relu(xw.add(hw)), c: null };
    case 'lstm': {
      const gates = xw.add(hw);
      // One sigmoid over all four blocks (g's quarter is wasted) costs less than three kernels.
      const sig = sigmoid(gates);
      const g = tanh(cols(gates, 2 * H, 3 * H));
      const c = cols(sig, H, 2 * H)
        .mul(state.c as Tensor)
        .add(cols(sig, 0, H).mul(g));
      let h = cols(sig, 3 * H, 4 * H).mul(tanh(c));
      if (w.whr) h = matmul(h, w.whr, { transposeB: true });
      return { h, c };
    }
    case 'gru': {
      const hwb = w.bhh ? hw.add(w.bhh) : hw;
      const rz = sigmoid(cols(xw, 0, 2 * H).add(cols(hwb, 0, 2 * H)));
      const n = tanh(cols(xw, 2 * H, 3 * H).add(cols(rz, 0, H).mul(cols(hwb, 2 * H, 3 * H))));
      // (1 − z) ⊙ n + z ⊙ h, written with one product fewer.
      return { h: n.add(cols(rz, H, 2 * H).mul(state.h.sub(n))), c: null };
    }
  }
}

/** x·W_ihᵀ + the biases that do not depend on the state (b_ih, and b_hh except for the GRU). */
export function inputProjection(
  mode: CellMode,
  x: Tensor,
  wih: Tensor,
  bih: Tensor | null,
  bhh: Tensor | null,
): Tensor {
  const xw = matmul(x, wih, { transposeB: true });
  if (!bih) return xw;
  return xw.add(mode === 'gru' || !bhh ? bih : bih.add(bhh));
}
