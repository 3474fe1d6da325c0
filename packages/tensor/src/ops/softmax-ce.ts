import type { Backend } from '../backend';
import { dispatch, wrap } from '../engine';
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors';
import { lowerings } from '../lowerings/index';
import type { Tensor } from '../tensor';
import { checkIndexRange } from './index-range';

/**
 * Fused softmax cross-entropy: one kernel forward and one backward where the
 * backend has `softmaxCrossEntropy` / `softmaxCrossEntropyGrad`, else their
 * lowerings (logSoftmax, a mask and a row sum; lowerings/softmax.ts), still
 * recorded as one op, so its gradient rule is the fused one either way.
 */

/** Whether labels are class indices (int32 [N]) or probabilities (float32 [N, C]); throws on anything else. */
function checkArgs(op: string, logits: Tensor, labels: Tensor): boolean {
  if (logits.rank !== 2) throw new ShapeError(`${op}: logits must be 2-D [N, C], got shape ${fmtShape(logits.shape)}`);
  if (logits.dtype !== 'float32') throw new DTypeError(`${op}: logits must be float32, got ${logits.dtype}`);
  const [n, c] = logits.shape;
  if (c === 0) throw new ShapeError(`${op}: logits of shape ${fmtShape(logits.shape)} have no classes`);
  if (labels.dtype === 'int32') {
    if (labels.rank !== 1 || labels.shape[0] !== n) {
      throw new ShapeError(
        `${op}: int32 class labels of shape ${fmtShape(labels.shape)} do not fit logits ${fmtShape(logits.shape)}; expected shape [${n}]`,
      );
    }
    return true;
  }
  if (labels.dtype === 'float32') {
    if (labels.rank !== 2 || labels.shape[0] !== n || labels.shape[1] !== c) {
      throw new ShapeError(
        `${op}: float32 probability labels of shape ${fmtShape(labels.shape)} do not fit logits ${fmtShape(logits.shape)}; expected shape ${fmtShape(logits.shape)}`,
      );
    }
    return false;
  }
  throw new DTypeError(
    `${op}: labels must be int32 class indices [N] or float32 probabilities [N, C], got ${labels.dtype} of shape ${fmtShape(labels.shape)}`,
  );
}

/**
 * Class indices outside [0, C) are checked by index-range.ts' rule: at the call wherever the
 * host knows them, else on the device, by the fused kernel (which gives a bad one's row NaN)
 * or, for the lowering (NaN too, but its kernels do not see the labels as indices), by
 * checkIndices; the next read from that backend then rejects (the Backend contract).
 */
function checkRange(op: 'softmaxCrossEntropy' | 'softmaxCrossEntropyGrad', labels: Tensor, classes: number): void {
  const fused = labels.backend[op] !== undefined;
  checkIndexRange(
    labels,
    classes,
    (v, i) =>
      new ArgumentError(
        `${op}: label ${v} at row ${i} is out of range for ${classes} classes (expected 0 to ${classes - 1})`,
      ),
    {
      deviceCheck: fused ? null : op,
    },
  );
}

/**
 * Per-example softmax cross-entropy: logits [N, C] float32, labels int32 [N]
 * (class indices) or float32 [N, C] (probabilities, e.g. one-hot) → float32 [N].
 * Computed as logSumExp(x) − x[label] (or Σ_c t_c·(logSumExp(x) − x_c)), so
 * large logits do not overflow. Index labels outside [0, C) throw an
 * ArgumentError naming the label, except labels computed on a device that
 * cannot read synchronously (see checkRange): the next read from that device
 * rejects with an ArgumentError naming softmaxCrossEntropy and the range
 * (the row is NaN).
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  const op = 'softmaxCrossEntropy';
  const sparse = checkArgs(op, logits, labels);
  if (sparse) checkRange(op, labels, logits.shape[1]);
  return dispatch(op, [logits, labels], { sparse }, (backend) =>
    backend.softmaxCrossEntropy
      ? wrap(backend, backend.softmaxCrossEntropy(logits.view(), labels.view(), sparse), [logits.shape[0]], 'float32')
      : lowerings.softmaxCrossEntropy(logits, labels, sparse),
  );
}

/**
 * d softmaxCrossEntropy / d logits for the cotangent dy [N]:
 * (softmax(x)·Σ_c t_c − t)·dy (used by autograd; not itself differentiable).
 * Index labels are range-checked as in softmaxCrossEntropy (through autograd the
 * forward op has checked them, and the check finds their range remembered).
 */
export function softmaxCrossEntropyGrad(logits: Tensor, labels: Tensor, dy: Tensor): Tensor {
  const op = 'softmaxCrossEntropyGrad';
  const sparse = checkArgs(op, logits, labels);
  if (dy.dtype !== 'float32' || dy.rank !== 1 || dy.shape[0] !== logits.shape[0]) {
    throw new ShapeError(
      `${op}: dy must be float32 [${logits.shape[0]}], got ${dy.dtype} of shape ${fmtShape(dy.shape)}`,
    );
  }
  if (sparse) checkRange(op, labels, logits.shape[1]);
  return dispatch(op, [logits, labels, dy], { sparse }, (backend: Backend) =>
    backend.softmaxCrossEntropyGrad
      ? wrap(
          backend,
          backend.softmaxCrossEntropyGrad(logits.view(), labels.view(), dy.view(), sparse),
          logits.shape,
          'float32',
        )
      : lowerings.softmaxCrossEntropyGrad(logits, labels, dy, sparse),
  );
}

/** The gradient from differentiable ops (for createGraph, where it must itself be differentiable). */
export { softmaxCrossEntropyGradComposed } from '../lowerings/softmax';
