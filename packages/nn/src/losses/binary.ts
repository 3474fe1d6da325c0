import { gradientRule, registerGradient } from '@tsdl/autograd';
import {
  ArgumentError,
  ShapeError,
  type Tensor,
  div,
  ge,
  isGradEnabled,
  le,
  log,
  log1p,
  logicalAnd,
  maximum,
  mul,
  neg,
  softplus,
  sub,
  tidy,
  where,
} from '@tsdl/tensor';
import { E, type Expr, dispatch, runElementwise } from '@tsdl/tensor/backend';
import { broadcastShapes, fmtShape, shapesEqual } from '@tsdl/tensor/internal';
import { type ReductionOptions, checkReduction, reduce, sameShapeTarget } from './reduction';

export interface BCEOptions extends ReductionOptions {
  /** Per-element rescaling weight, broadcast to the input's shape. */
  weight?: Tensor | null;
}

function checkWeight(loss: string, name: string, w: Tensor | null | undefined, input: Tensor): void {
  if (!w) return;
  const b = broadcastShapes(loss, w.shape, input.shape);
  if (!shapesEqual(b, input.shape)) {
    throw new ShapeError(
      `${loss}: ${name} of shape ${fmtShape(w.shape)} does not broadcast to input of shape ${fmtShape(input.shape)}`,
    );
  }
}

/*
 * Binary cross-entropy is one recorded op with PyTorch's own forward and backward
 * (aten/src/ATen/native/Loss.cpp, binary_cross_entropy_out_cpu and
 * binary_cross_entropy_backward_out_cpu; the target's gradient is
 * binary_cross_entropy_target_backward in FunctionsManual.cpp):
 *
 *   loss = (y − 1)·max(log1p(−p), −100) − y·max(log(p), −100)
 *   dp   = dy·(p − y) / max((1 − p)·p, 1e-12)
 *   dy_t = dy·(log1p(−p) − log(p))            (−logit(p)·dy, unclamped)
 *
 * A composition of clamped logs differentiates to 0 where a log is clamped, so at
 * p = 1, y = 0 it gave a zero gradient where PyTorch's is 1e12. p or y outside [0, 1]
 * (NaN included) has no loss: PyTorch raises, as this does on a backend that reads
 * synchronously (the CPU); where it cannot read without waiting (WebGPU) the kernel
 * gives NaN for that element (and its gradients), so the loss is NaN, not a wrong number.
 */
const OP = '@tsdl/nn:binaryCrossEntropy';
const P = E.in(0);
const Y = E.in(1);
const DY = E.in(2);
const NAN = E.c(Number.NaN);
const inUnit = (v: Expr): Expr => E.b('and', E.b('ge', v, E.c(0)), E.b('le', v, E.c(1)));
const VALID = E.b('and', inUnit(P), inUnit(Y));
const clampedLog = (v: Expr): Expr => E.b('max', v, E.c(-100));
const LOSS = [
  E.where(
    VALID,
    E.sub(E.mul(E.sub(Y, E.c(1)), clampedLog(E.u('log1p', E.u('neg', P)))), E.mul(Y, clampedLog(E.u('log', P)))),
    NAN,
  ),
];
const GRAD_INPUT = E.where(
  VALID,
  E.div(E.mul(DY, E.sub(P, Y)), E.b('max', E.mul(E.sub(E.c(1), P), P), E.c(1e-12))),
  NAN,
);
const GRAD_TARGET = E.where(VALID, E.mul(DY, E.sub(E.u('log1p', E.u('neg', P)), E.u('log', P))), NAN);

/** Registered on first use rather than at import, so no bundler can drop it as a side effect. */
function ensureRule(): void {
  if (gradientRule(OP)) return;
  registerGradient(
    OP,
    (dy, { inputs, needs }) => {
      const [p, y] = inputs as [Tensor, Tensor];
      // Under createGraph the gradient must itself be differentiable: recorded ops there.
      if (isGradEnabled()) {
        const valid = logicalAnd(logicalAnd(ge(p, 0), le(p, 1)), logicalAnd(ge(y, 0), le(y, 1)));
        const dp = needs[0]
          ? where(valid, div(mul(dy, sub(p, y)), maximum(mul(sub(1, p), p), 1e-12)), Number.NaN)
          : null;
        const dt = needs[1] ? where(valid, mul(dy, sub(log1p(neg(p)), log(p))), Number.NaN) : null;
        return [dp, dt];
      }
      const exprs = [needs[0] ? GRAD_INPUT : null, needs[1] ? GRAD_TARGET : null].filter((e): e is Expr => e !== null);
      const tag = `${OP}:grad:${needs[0] ? 'p' : ''}${needs[1] ? 'y' : ''}`;
      const out = runElementwise(
        dy.backend,
        exprs,
        [p, y, dy],
        [],
        p.shape,
        exprs.map(() => 'float32'),
        tag,
      );
      return [needs[0] ? out[0] : null, needs[1] ? out[out.length - 1] : null];
    },
    { output: false },
  );
}

/**
 * Throws, naming the value and its position, for the first value of `t` outside [0, 1]
 * (NaN included), where the backend reads synchronously (see above for the others).
 */
function checkUnit(t: Tensor, what: string, hint: string): void {
  if (!t.backend.readSync) return;
  const v = t.dataSync();
  for (let i = 0; i < v.length; i++) {
    if (!(v[i] >= 0 && v[i] <= 1)) {
      throw new ArgumentError(
        `binaryCrossEntropy: every ${what} value must lie in [0, 1], got ${v[i]} at index ${i}${at(i, t.shape)}${hint}`,
      );
    }
  }
}

/** The nested position of flat index i, where the shape has several axes. */
function at(i: number, shape: readonly number[]): string {
  if (shape.length <= 1) return '';
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1, r = i; d >= 0; d--) {
    idx[d] = r % shape[d];
    r = Math.floor(r / shape[d]);
  }
  return ` ${fmtShape(idx)}`;
}

/**
 * Binary cross-entropy on probabilities: −w·(y·log p + (1 − y)·log(1 − p)),
 * each log clamped to >= −100, reduced; values and gradients are PyTorch's
 * (see above: at p = 1, y = 0 the gradient is 1e12, not 0). Inputs and
 * targets must lie in [0, 1]: outside it (NaN included) this throws an
 * ArgumentError on the CPU, as PyTorch does, and gives NaN on WebGPU, which
 * cannot read the values without waiting. Prefer
 * binaryCrossEntropyWithLogits on raw scores.
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BCEOptions = {}): Tensor {
  const name = 'binaryCrossEntropy';
  const r = checkReduction(name, options.reduction);
  checkWeight(name, 'weight', options.weight, input);
  return tidy(() => {
    const y = sameShapeTarget(name, input, target);
    checkUnit(
      input,
      'input',
      ' (probabilities: apply sigmoid first, or use binaryCrossEntropyWithLogits on raw scores)',
    );
    checkUnit(y, 'target', '');
    ensureRule();
    let loss = dispatch(
      OP,
      [input, y],
      undefined,
      (backend) => runElementwise(backend, LOSS, [input, y], [], input.shape, ['float32'], OP)[0],
    );
    if (options.weight) loss = loss.mul(options.weight);
    return reduce(loss, r);
  });
}

export interface BCEWithLogitsOptions extends BCEOptions {
  /** Weight of positive examples, broadcast along the last (class) axis (PyTorch's pos_weight). */
  posWeight?: Tensor | null;
}

/**
 * Binary cross-entropy on logits, stable for any |x|:
 * max(x, 0) − x·y + log(1 + exp(−|x|)) (= softplus(x) − x·y); with posWeight p,
 * (1 − y)·x + (1 + (p − 1)·y)·softplus(−x).
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: BCEWithLogitsOptions = {},
): Tensor {
  const name = 'binaryCrossEntropyWithLogits';
  const r = checkReduction(name, options.reduction);
  checkWeight(name, 'weight', options.weight, input);
  checkWeight(name, 'posWeight', options.posWeight, input);
  return tidy(() => {
    const y = sameShapeTarget(name, input, target);
    let loss: Tensor;
    if (options.posWeight) {
      const coef = options.posWeight.sub(1).mul(y).add(1);
      loss = y
        .neg()
        .add(1)
        .mul(input)
        .add(coef.mul(softplus(input.neg())));
    } else {
      loss = softplus(input).sub(input.mul(y));
    }
    if (options.weight) loss = loss.mul(options.weight);
    return reduce(loss, r);
  });
}
