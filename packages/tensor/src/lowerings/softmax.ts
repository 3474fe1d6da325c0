import type { Tensor } from '../tensor';
import { E } from '../expr';
import { zeros } from '../ops/creation';
import { cast, logicalAnd, ge, lt, mul, neg, sub, where } from '../ops/elementwise';
import { runElementwise } from '../ops/internal';
import { logSoftmax, softmax as softmaxOp } from '../ops/nn';
import { max, sum } from '../ops/reduce';
import { oneHotUnchecked, unsqueeze } from '../ops/shape';

/**
 * The reference lowerings of Backend.softmax, softmaxCrossEntropy and
 * softmaxCrossEntropyGrad, over rows (the last axis), float32.
 *
 * Each row is shifted by its max m, or by 0 where m is −Infinity (a row of −Infinity
 * gives 0 / 0 = NaN, not −∞ − (−∞)); a row holding +Infinity or NaN gives NaN.
 * softmax = e / Σe and logSoftmax = (x − m) − log Σe, with e = exp(x − m).
 */

// exp(x − shift(m)), shift(m) = m where m is not −Infinity, else 0.
const SHIFTED = E.where(E.b('eq', E.in(1), E.c(-Infinity)), E.in(0), E.sub(E.in(0), E.in(1)));
const EXP_SHIFTED = [E.u('exp', SHIFTED)];
// softmax: e / s; logSoftmax: (x − shift) − log s
const SOFTMAX = [E.div(E.in(0), E.in(1))];
const LOG_SOFTMAX = [E.sub(SHIFTED, E.u('log', E.in(2)))];

/** Softmax or log-softmax over the last axis of float32 `x`. */
export function softmax(x: Tensor, log: boolean): Tensor {
  if (x.size === 0) return zeros(x.shape, 'float32', { backend: x.backend });
  const m = max(x, -1, true);
  const e = runElementwise(x.backend, EXP_SHIFTED, [x, m], [], x.shape, ['float32'], 'softmax:lowered-exp')[0];
  const s = sum(e, -1, true);
  return log
    ? runElementwise(x.backend, LOG_SOFTMAX, [x, m, s], [], x.shape, ['float32'], 'logSoftmax:lowered')[0]
    : runElementwise(x.backend, SOFTMAX, [e, s], [], x.shape, ['float32'], 'softmax:lowered')[0];
}

/** Whether each index label lies in [0, classes): bool [N]. */
function inRange(labels: Tensor, classes: number): Tensor {
  return logicalAnd(ge(labels, 0), lt(labels, classes));
}

/**
 * loss[n] = −Σ_c t[n, c]·logSoftmax(x[n])_c, t the one-hot row of an index label
 * (`sparse`; a label outside [0, C) gives NaN) or the label row.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor, sparse: boolean): Tensor {
  const logp = logSoftmax(logits, -1);
  if (!sparse) return neg(sum(mul(labels, logp), -1));
  // where, not mul: a −Infinity log-probability of a class with zero weight must not make 0·∞ = NaN.
  const loss = neg(sum(where(cast(oneHotUnchecked(labels, logits.shape[1]), 'bool'), logp, 0), -1));
  return where(inRange(labels, logits.shape[1]), loss, NaN);
}

/**
 * dx[n, c] = (softmax(x[n])_c · Σ_c t[n, c] − t[n, c]) · dy[n]; an index label outside
 * [0, C) gives its row NaN.
 */
export function softmaxCrossEntropyGrad(logits: Tensor, labels: Tensor, dy: Tensor, sparse: boolean): Tensor {
  const dx = softmaxCrossEntropyGradComposed(logits, labels, dy, sparse);
  return sparse ? where(unsqueeze(inRange(labels, logits.shape[1]), -1), dx, NaN) : dx;
}

/**
 * The same gradient from recorded, differentiable ops only (no range check): the
 * lowering's body, and what autograd runs under createGraph, where the gradient must
 * itself be differentiable. The cross-entropy lowerings take the backend's softmax
 * where it has one (the ops' own dispatch), so they compose over its accelerations.
 */
export function softmaxCrossEntropyGradComposed(logits: Tensor, labels: Tensor, dy: Tensor, sparse: boolean): Tensor {
  const t = sparse ? oneHotUnchecked(labels, logits.shape[1]) : labels;
  const p = softmaxOp(logits, -1);
  const scaled = sparse ? p : mul(p, sum(t, -1, true));
  return mul(sub(scaled, t), unsqueeze(dy, -1));
}
