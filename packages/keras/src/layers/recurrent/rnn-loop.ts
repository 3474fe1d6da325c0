import {
  ArgumentError,
  DTypeError,
  ShapeError,
  type Tensor,
  Tensor as TensorClass,
  stack,
  tidy,
  transpose,
  unsqueeze,
  unstack,
  where,
} from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { quote } from '../../names';

/**
 * The time loop every Keras recurrent layer runs (SimpleRNN, LSTM, GRU, and RNN around a
 * cell): steps in order (or reversed with goBackwards), a padding mask that keeps the
 * states and repeats the previous output (or zeros) at masked steps, the outputs of every
 * step (returnSequences) or the last, and the final states (returnState).
 */

/** One step: the output and the new states from the step's input and the previous states (run under tidy). */
export type StepFn = (input: Tensor, states: Tensor[]) => { out: Tensor; states: Tensor[] };

export interface Recurrence {
  /** The per-step inputs, in time order (each [batch, …]). */
  inputs: Tensor[];
  /** The states before the first step; never disposed here. */
  init: Tensor[];
  /** The output before the first step (Keras' "previous output" for a masked first step); never disposed here. */
  initOut: Tensor;
  /** [batch, 1] bool per step (false: a padded step), or null. */
  stepMasks: Tensor[] | null;
  goBackwards: boolean;
  returnSequences: boolean;
  returnState: boolean;
  zeroOutputForMask: boolean;
  step: StepFn;
}

/** The per-step [batch, 1] masks of a checked [batch, time] bool mask. */
export function stepMasksOf(mask: Tensor): Tensor[] {
  return unstack(transpose(unsqueeze(mask, -1), [1, 0, 2]));
}

/** Runs the loop (call under the caller's tidy): the output, or [output, ...final states] with returnState. */
export function runRecurrence(r: Recurrence): Tensor | Tensor[] {
  const T = r.inputs.length;
  const outs: Tensor[] = [];
  let states = r.init;
  let prevOut = r.initOut;
  // Never freed early: the caller's initial states and the output they stand for.
  const held = new Set<Tensor>([...r.init, r.initOut]);
  for (let i = 0; i < T; i++) {
    const t = r.goBackwards ? T - 1 - i : i;
    const m = r.stepMasks?.[t] ?? null;
    const prev = states;
    const last = prevOut;
    const next = tidy(() => {
      const s = r.step(r.inputs[t], prev);
      if (!m) return { out: s.out, states: s.states };
      // A masked step keeps the states and repeats the previous output (or outputs zeros).
      return {
        out: where(m, s.out, r.zeroOutputForMask ? 0 : last),
        states: s.states.map((st, k) => where(m, st, prev[k])),
      };
    });
    // Free the previous step's handles early (inference memory over long sequences); the
    // autograd graph keeps what backward reads, and the outputs returnSequences stacks stay.
    const kept = new Set<Tensor>([next.out, ...next.states]);
    for (const old of new Set([...prev, last])) {
      if (held.has(old) || kept.has(old) || (r.returnSequences && old === last)) continue;
      old.dispose();
    }
    if (r.returnSequences) outs.push(next.out);
    prevOut = next.out;
    states = next.states;
  }
  const output = r.returnSequences ? stack(outs, 1) : prevOut;
  if (!r.returnState) return output;
  // Distinct handles, so the caller may dispose each result once.
  return [output, ...states.map((s) => (s === output ? s.reshape(s.shape) : s))];
}

/**
 * The checked initial states of a call (a tensor or a list, one per state, each [batch,
 * size]), or null for zeros. `sizes` are the states' sizes.
 */
export function checkInitialState(label: string, s: unknown, batch: number, sizes: readonly number[]): Tensor[] | null {
  if (s === undefined || s === null) return null;
  const list = s instanceof TensorClass ? [s] : s;
  const n = sizes.length;
  if (!Array.isArray(list) || list.length !== n || !list.every((t) => t instanceof TensorClass)) {
    throw new ArgumentError(
      `${label}: initialState must be ${n === 1 ? 'a tensor h (or a list [h])' : n === 2 ? 'a list [h, c] of 2 tensors' : `a list of ${n} tensors`}, got ${quote(s)}`,
    );
  }
  list.forEach((t: Tensor, i: number) => {
    t.assertAlive(label);
    if (t.dtype !== 'float32') throw new DTypeError(`${label}: initialState[${i}] must be float32, got ${t.dtype}`);
    if (t.rank !== 2 || t.shape[0] !== batch || t.shape[1] !== sizes[i]) {
      throw new ShapeError(
        `${label}: initialState[${i}] has shape ${fmtShape(t.shape)} but expected ${fmtShape([batch, sizes[i]])} ([batch, units])`,
      );
    }
  });
  return list as Tensor[];
}
