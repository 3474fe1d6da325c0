import { gradientRule, registerGradient } from '@tsdl/autograd';
import {
  ArgumentError,
  type Tensor,
  add,
  concat,
  eq,
  gt,
  isGradEnabled,
  lt,
  maximum,
  minimum,
  mul,
  neg,
  reshape,
  sigmoid,
  slice,
  sub,
  tanh,
  tidy,
  where,
} from '@tsdl/tensor';
import { E, type Expr, dispatch, runElementwise } from '@tsdl/tensor/backend';
import { copyContiguous, isContiguousTensor, setGradEnabled, view } from '@tsdl/tensor/internal';

/**
 * What the fused sequence ops (lstm-sequence.ts, gru-sequence.ts, rnn-sequence.ts) share: the
 * layout of their input and of their output, the trace, and the way their small kernels run.
 *
 * Each op's output is the run's trace [T, k·B·u]: row t holds time step t's k dense [B, u]
 * blocks (gate activations, states), so the gradient reads what it needs without recomputing,
 * and every backward kernel reads and writes dense blocks. Rows are in time order also when the
 * op runs from the last step to the first (`reverse`), so a layer reads its outputs in time order.
 */

/** The layout of a fused sequence op's input: xw [B, T, G] (batch-major) or [T, B, G] (timeMajor); reverse runs t = T−1 … 0. */
export interface SequenceAttrs {
  timeMajor: boolean;
  reverse: boolean;
}

/** The layout options with their defaults: batch-major, first step first. */
export function sequenceAttrs(options: Partial<SequenceAttrs>): SequenceAttrs {
  return { timeMajor: options.timeMajor ?? false, reverse: options.reverse ?? false };
}

export const x = E.in;
const one = E.c(1);
const zero = E.c(0);
export const dSigmoid = (a: Expr): Expr => E.mul(a, E.sub(one, a));
export const dTanh = (a: Expr): Expr => E.sub(one, E.mul(a, a));

/**
 * A gate's activation: 0 for the logistic sigmoid, else the slope of a hard sigmoid
 * clip(slope·z + 0.5, 0, 1): 1/6 is Keras 3's hard_sigmoid, 0.2 Keras 2's and TF.js' (their
 * LSTM and GRU default), so models from either run as one op too.
 */
export type GateSlope = number;

/** The gate activation of z (as Keras' clip: max, then min). */
export function gate(slope: GateSlope, z: Expr): Expr {
  if (slope === 0) return E.u('sigmoid', z);
  return E.b('min', E.b('max', E.add(E.mul(z, E.c(slope)), E.c(0.5)), zero), one);
}

/** The gate option, checked: absent is the sigmoid. */
export function gateOption(op: string, slope: GateSlope | undefined): GateSlope {
  const g = slope ?? 0;
  if (!(g >= 0 && g <= 1)) throw new ArgumentError(`${op}: gate slope must be in [0, 1], got ${g}`);
  return g;
}

/**
 * A sequence op's step kernels for one gate activation, built once per slope, with the tag prefix
 * their runs use (a kernel tag must always stand for the same expressions: see runElementwise).
 */
export function perGate<K>(op: string, build: (slope: GateSlope) => K): (slope: GateSlope) => K & { tag: string } {
  const built = new Map<GateSlope, K & { tag: string }>();
  return (slope) => {
    let k = built.get(slope);
    if (k === undefined) {
      k = { ...build(slope), tag: slope === 0 ? op : `${op}:hard${slope}` };
      built.set(slope, k);
    }
    return k;
  };
}

/**
 * The gate's derivative from its output a. A hard gate's is the slope where 0 < a < 1 and 0 where
 * it saturates; at exactly the two kinks this takes 0 where clip's rule passes the gradient (the
 * output alone cannot tell z = 2.5 from z > 2.5), a measure-zero difference.
 */
export function dGate(slope: GateSlope, a: Expr): Expr {
  if (slope === 0) return dSigmoid(a);
  return E.where(E.b('gt', a, zero), E.where(E.b('lt', a, one), E.c(slope), zero), zero);
}

/** A masked step keeps the previous state: where(mask, new, previous). */
export const KEEP = [E.where(x(0), x(1), x(2))];

/**
 * The gradient reaching a state h at a step the mask may skip: from 0 the mask [B, 1], then the
 * `terms` parts of dL/dh (summed). Where the mask is true the step computed h, so the sum goes
 * into the step's backward; where false h is the previous state, so it passes straight to step
 * t − 1. Outputs: the share into the step, the share passed through.
 */
export function splitExprs(terms: number): Expr[] {
  let total: Expr = x(1);
  for (let k = 2; k <= terms; k++) total = E.add(total, x(k));
  return [E.where(x(0), total, E.c(0)), E.where(x(0), E.c(0), total)];
}

/** Runs expressions as one kernel, or (when the gradient itself is recorded, under createGraph) as recorded ops. */
export function run(exprs: readonly Expr[], inputs: Tensor[], shape: number[], tag: string): Tensor[] {
  if (!isGradEnabled())
    return runElementwise(
      inputs[0].backend,
      exprs,
      inputs,
      [],
      shape,
      exprs.map(() => 'float32'),
      tag,
    );
  // Every expression here reads an input of the full output shape, so the result has that shape.
  return exprs.map((e) => evalOps(e, inputs, tag) as Tensor);
}

/** An expression with the recorded ops (the few these ops use), so a second-order gradient sees every part. */
function evalOps(e: Expr, xs: Tensor[], tag: string): Tensor | number {
  switch (e.kind) {
    case 'input':
      return xs[e.index];
    case 'const':
      return e.value;
    case 'unary': {
      const a = evalOps(e.a, xs, tag) as Tensor;
      if (e.op === 'tanh') return tanh(a);
      if (e.op === 'sigmoid') return sigmoid(a);
      if (e.op === 'neg') return neg(a);
      throw new Error(`${tag}: no recorded form for unary op ${e.op}`);
    }
    case 'binary': {
      const a = evalOps(e.a, xs, tag);
      const b = evalOps(e.b, xs, tag);
      if (e.op === 'add') return add(a, b);
      if (e.op === 'sub') return sub(a, b);
      if (e.op === 'mul') return mul(a, b);
      if (e.op === 'eq') return eq(a, b);
      if (e.op === 'max') return maximum(a, b);
      if (e.op === 'min') return minimum(a, b);
      if (e.op === 'gt') return gt(a, b);
      if (e.op === 'lt') return lt(a, b);
      throw new Error(`${tag}: no recorded form for binary op ${e.op}`);
    }
    case 'where':
      return where(evalOps(e.cond, xs, tag) as Tensor, evalOps(e.a, xs, tag), evalOps(e.b, xs, tag));
    default:
      throw new Error(`${tag}: no recorded form for expression kind ${e.kind}`);
  }
}

/** Row t's block k of a trace-shaped [T, k·B·u] tensor (the trace or its gradient), as [B, u]. */
export function traceBlock(y: Tensor, t: number, k: number, B: number, u: number): Tensor {
  const Bu = B * u;
  return reshape(slice(y, [t, k * Bu], [t + 1, (k + 1) * Bu]), [B, u]);
}

/** Block k of every row of a trace, [T, B, u] in time order (a view). */
export function traceSteps(trace: Tensor, k: number, B: number, u: number): Tensor {
  const Bu = B * u;
  return reshape(slice(trace, [0, k * Bu], [trace.shape[0], (k + 1) * Bu]), [trace.shape[0], B, u]);
}

/** Columns [from, to) of `t`'s last axis: a view (of any strides). */
export function cols(t: Tensor, from: number, to: number): Tensor {
  const last = t.rank - 1;
  return view(t, [...t.shape.slice(0, last), to - from], t.strides, t.offset + from * t.strides[last]);
}

/** The sizes of a sequence op's input xw: batch, time, gate columns. */
export function sizesOf(xw: Tensor, a: SequenceAttrs): { B: number; T: number; G: number } {
  const [d0, d1, G] = xw.shape;
  return a.timeMajor ? { B: d1, T: d0, G } : { B: d0, T: d1, G };
}

/** Time step t of xw (dense from offset 0) as [B, G]: a view. */
export function stepInput(xd: Tensor, t: number, a: SequenceAttrs): Tensor {
  const { B, T, G } = sizesOf(xd, a);
  return a.timeMajor ? view(xd, [B, G], [G, 1], t * B * G) : view(xd, [B, G], [T * G, 1], t * G);
}

/** The time steps in the order the op runs them. */
export function stepOrder(T: number, reverse: boolean): number[] {
  return Array.from({ length: T }, (_, i) => (reverse ? T - 1 - i : i));
}

/** The mask's column for time step t, [B, 1]. */
export function maskAt(mask: Tensor, t: number): Tensor {
  return slice(mask, [0, t], [mask.shape[0], t + 1]);
}

/** `t` dense from offset 0 (views address it by offset). */
export function dense(t: Tensor): Tensor {
  return t.offset === 0 && isContiguousTensor(t) ? t : copyContiguous(t);
}

/** The trace from each step's blocks ([B, u] each, in block order), rows in time order. */
export function traceOf(rows: Tensor[][], B: number, u: number): Tensor {
  const flat = rows.flatMap((blocks) => blocks.map((b) => reshape(b, [B * u])));
  return reshape(concat(flat, 0), [rows.length, rows[0].length * B * u]);
}

/**
 * Per-step [B, G] tensors (indexed by time step) as one [N, G] tensor in xw's layout: N = T·B
 * rows time-major, B·T batch-major. The gradients of xw and of the recurrent kernel are built in
 * this order, so xw's needs no transposing copy.
 */
export function stepsInLayout(steps: Tensor[], a: SequenceAttrs): Tensor {
  if (a.timeMajor) return concat(steps, 0);
  const [B, G] = steps[0].shape;
  return reshape(
    concat(
      steps.map((s) => reshape(s, [B, 1, G])),
      1,
    ),
    [B * steps.length, G],
  );
}

/**
 * The state each step read, [N, u] in xw's layout (stepsInLayout), from the trace's block k (the
 * state after each step) and the initial state: what the recurrent kernel's gradient multiplies.
 */
export function previousStates(trace: Tensor, k: number, h0: Tensor, a: SequenceAttrs): Tensor {
  const T = trace.shape[0];
  const [B, u] = h0.shape;
  const prev = (t: number): Tensor => {
    const p = a.reverse ? t + 1 : t - 1;
    return p < 0 || p >= T ? h0 : traceBlock(trace, p, k, B, u);
  };
  return stepsInLayout(
    Array.from({ length: T }, (_, t) => prev(t)),
    a,
  );
}

/** A sequence op's backpropagation through the run: each input's gradient (null where none is needed). */
export type SequenceBackward<A extends SequenceAttrs> = (
  dy: Tensor,
  inputs: Tensor[],
  y: Tensor,
  needs: readonly boolean[],
  attrs: A,
) => (Tensor | null)[];

/**
 * Dispatches a sequence op: its forward runs unrecorded (the op is recorded once, by dispatch),
 * and its gradient rule, `backward` under a tidy, is registered on the op's first use.
 */
export function recordSequence<A extends SequenceAttrs>(
  op: `${string}:${string}`,
  inputs: Tensor[],
  attrs: A,
  forward: () => Tensor,
  backward: SequenceBackward<A>,
): Tensor {
  if (!gradientRule(op)) {
    registerGradient(op, (dy, ctx) =>
      tidy(() => backward(dy, ctx.inputs as Tensor[], ctx.output, ctx.needs, ctx.attrs as A)),
    );
  }
  return dispatch(op, inputs, attrs, () => {
    const prev = setGradEnabled(false);
    try {
      return tidy(forward);
    } finally {
      setGradEnabled(prev);
    }
  });
}
