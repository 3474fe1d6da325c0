import { type Tensor, isGradEnabled, stack, tidy } from '@tsdl/tensor';
import { setGradEnabled } from '@tsdl/tensor/internal';
import { traceBlock, traceSteps } from './kernels';

/**
 * A sequence run without a gradient (predict, evaluate, noGrad): the op's trace (7 blocks a step
 * for the LSTM, 5 for the GRU) only serves the backward, and the outputs, views of it, would keep
 * all of it alive. So when no gradient can be taken the layers run the same step kernels here,
 * keeping each step's h only where every step's output is wanted, else only the last states,
 * and freeing the rest of a step as it ends. Same kernels in the same order: the same values.
 */

/** What a layer reads from a run: every step's h [T, B, u] in time order (null unless asked for), the final h and c. */
export interface SequenceStates {
  sequence: Tensor | null;
  h: Tensor;
  c: Tensor | null;
}

/** Whether a gradient can reach any input of the run, so the op must be recorded with its trace. */
export function needsTrace(inputs: readonly (Tensor | null)[]): boolean {
  return isGradEnabled() && inputs.some((t) => t !== null && t.requiresGrad);
}

/** The states a trace [T, k·B·u] holds: h at block `hBlock` of every row, c (or none) at `cBlock`; `last` the row processed last. Views. */
export function statesOfTrace(
  trace: Tensor,
  hBlock: number,
  cBlock: number | null,
  B: number,
  u: number,
  last: number,
): SequenceStates {
  return {
    sequence: traceSteps(trace, hBlock, B, u),
    h: traceBlock(trace, last, hBlock, B, u),
    c: cBlock === null ? null : traceBlock(trace, last, cBlock, B, u),
  };
}

/**
 * Runs `step` (the new states [h] or [h, c] from time step t and the previous ones) over
 * `order`, each step under its own tidy, with recording off so that the kernels run as the
 * trace op's forward runs them. `sequence`: keep every step's h (stacked in time order).
 */
export function forwardOnly(
  order: readonly number[],
  init: readonly Tensor[],
  step: (t: number, states: readonly Tensor[]) => Tensor[],
  sequence: boolean,
): SequenceStates {
  const prevGrad = setGradEnabled(false);
  try {
    return tidy(() => {
      const hs: Tensor[] = new Array<Tensor>(order.length);
      let states: readonly Tensor[] = init;
      for (const t of order) {
        const prev = states;
        states = tidy(() => step(t, prev));
        if (sequence) hs[t] = states[0];
        // Free the states a step replaced as soon as the next exists (the kept h's stay for the stack).
        prev.forEach((s, k) => {
          if (s !== init[k] && !(sequence && k === 0)) s.dispose();
        });
      }
      if (!sequence) return { sequence: null, h: states[0], c: states[1] ?? null };
      const seq = stack(hs, 0);
      // The last h stays its own tensor: a caller keeping the state but not the sequence frees the sequence.
      const h = states[0];
      for (const piece of hs) if (piece !== h) piece.dispose();
      return { sequence: seq, h, c: states[1] ?? null };
    });
  } finally {
    setGradEnabled(prevGrad);
  }
}
