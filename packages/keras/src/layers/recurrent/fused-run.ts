import { type Tensor, flip, slice, unsqueeze, where } from '@tsdl/tensor';
import { traceBlock, traceSteps } from '@tsdl/nn/internal';

/** A recurrent layer's results from one fused sequence op (see RecurrentLayer.fusedSequence). */
export interface FusedRun {
  states: Tensor[];
  last: Tensor;
  sequence: () => Tensor;
}

/** How a layer runs its fused op and reads its trace. */
export interface FusedPlan {
  /** The op over xw [batch, time, gates·units] in processing order, with the mask in that order: the trace. */
  op: (xw: Tensor, mask: Tensor | null) => Tensor;
  /** The trace's blocks holding the states, in the layer's state order (h, then the LSTM's c). */
  stateBlocks: readonly number[];
  units: number;
  goBackwards: boolean;
  zeroOutputForMask: boolean;
}

/**
 * Runs a fused sequence op (nn's lstmSequence, gruSequence, rnnSequence) the way Keras' loop
 * runs the layer, or returns null where the loop must run: a masked step repeats the previous
 * output, which is the kept h, except before the first unmasked step after caller-given states
 * (the output starts at zeros there), which the loop does. goBackwards reverses the input and
 * mask, so the outputs come in processing order as the loop's.
 */
export function runFused(p: FusedPlan, xw: Tensor, mask: Tensor | null, given: boolean): FusedRun | null {
  if (mask && given && !p.zeroOutputForMask) return null;
  const B = xw.shape[0];
  const u = p.units;
  const m = mask && p.goBackwards ? flip(mask, 1) : mask;
  const trace = p.op(p.goBackwards ? flip(xw, 1) : xw, m);
  const T = trace.shape[0];
  const states = p.stateBlocks.map((k) => traceBlock(trace, T - 1, k, B, u));
  const h = states[0];
  const hs = (): Tensor => traceSteps(trace, p.stateBlocks[0], B, u).transpose([1, 0, 2]);
  // zeroOutputForMask: a masked step outputs zeros (the states are still kept).
  if (m === null || !p.zeroOutputForMask) return { states, last: h, sequence: hs };
  return {
    states,
    last: where(slice(m, [0, T - 1], [B, T]), h, 0),
    sequence: () => where(unsqueeze(m, -1), hs(), 0),
  };
}
