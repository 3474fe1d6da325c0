import { type SequenceStates } from '@tsdl/nn/internal';
import { type Tensor, flip, slice, unsqueeze, where } from '@tsdl/tensor';
import { type ActivationName, HARD_SIGMOID_SLOPES } from '../../activations';

/**
 * The fused ops' gate activation (nn's GateSlope: 0 the sigmoid, else a hard sigmoid's slope) for
 * a layer's recurrent activation, or null where only the per-step loop runs it.
 */
export function gateSlope(name: ActivationName): number | null {
  if (name === 'sigmoid') return 0;
  if (name === 'hard_sigmoid' || name === 'hard_sigmoid_legacy') return HARD_SIGMOID_SLOPES[name];
  return null;
}

/** A recurrent layer's results from one fused sequence op (see RecurrentLayer.fusedSequence). */
export interface FusedRun {
  states: Tensor[];
  last: Tensor;
  sequence: () => Tensor;
}

/** How a layer runs its fused op and reads its trace. */
export interface FusedPlan {
  /**
   * The run over xw [batch, time, gates·units] in processing order, with the mask in that order
   * (nn's lstmStates, gruStates, rnnStates); `sequence`: every step's h is wanted.
   */
  op: (xw: Tensor, mask: Tensor | null, sequence: boolean) => SequenceStates;
  returnSequences: boolean;
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
  const T = xw.shape[1];
  const m = mask && p.goBackwards ? flip(mask, 1) : mask;
  const run = p.op(p.goBackwards ? flip(xw, 1) : xw, m, p.returnSequences);
  const h = run.h;
  const states = run.c ? [h, run.c] : [h];
  // Asked for only with returnSequences, when the run kept every step's h.
  const hs = (): Tensor => (run.sequence as Tensor).transpose([1, 0, 2]);
  // zeroOutputForMask: a masked step outputs zeros (the states are still kept).
  if (m === null || !p.zeroOutputForMask) return { states, last: h, sequence: hs };
  return {
    states,
    last: where(slice(m, [0, T - 1], [B, T]), h, 0),
    sequence: () => where(unsqueeze(m, -1), hs(), 0),
  };
}
