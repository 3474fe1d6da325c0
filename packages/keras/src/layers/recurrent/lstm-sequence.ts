import { gradientRule, registerGradient } from '@tsdl/autograd';
import {
  type Tensor,
  add,
  concat,
  eq,
  isGradEnabled,
  matmul,
  mul,
  neg,
  reshape,
  sigmoid,
  slice,
  sub,
  tanh,
  tidy,
  where,
  zeros,
} from '@tsdl/tensor';
import { E, type Expr, dispatch, runElementwise } from '@tsdl/tensor/backend';
import { copyContiguous, isContiguousTensor, setGradEnabled, view } from '@tsdl/tensor/internal';

/**
 * A whole LSTM sequence (tanh activation, sigmoid gates: Keras' defaults) as one recorded op,
 * so that a step costs its recurrent product and two elementwise kernels forward, and one
 * product and two kernels backward, instead of ~10 and ~30 recorded ops (each gate slice's
 * gradient a pad, each step's hᵀ·dz its own small product). The backward is the textbook
 * backpropagation through time, with the recurrent kernel's gradient as one product over
 * every step after the loop.
 *
 * The op's output is the run's trace [T, 7·B·u], one row per step of seven dense [B, u]
 * blocks: the gate activations i, f, g, o, then c, tanh(c) and h. The layer takes its h (and
 * last c) out of it; the gradient reads the rest, so nothing is recomputed, and every kernel of
 * the backward reads and writes dense blocks.
 * Elementwise expressions and products only: it runs on every backend.
 */

const OP = '@tsdl/keras:lstmSequence';

const x = E.in;
const one = E.c(1);
const dSigmoid = (a: Expr): Expr => E.mul(a, E.sub(one, a));
const dTanh = (a: Expr): Expr => E.sub(one, E.mul(a, a));

/*
 * One forward step, every output [B, u] (each a dense block of the trace): z = x·W + b + h·U,
 * each gate from its block of z, c from i, f, g and c₋₁, tanh(c), then h = o·tanh(c). Small
 * kernels, each the op the per-step loop runs, so that on the CPU the result is bit for bit the
 * loop's (RNN(LSTMCell) computes what LSTM does); one kernel would also compute every gate's exp
 * again for c and h (a kernel evaluates each output's expression on its own), and on the CPU a
 * loop with four exp calls ran at half the speed per exp of four loops with one.
 */
const Z = [E.add(x(0), x(1))];
const GATE = [[E.u('sigmoid', x(0))], [E.u('sigmoid', x(0))], [E.u('tanh', x(0))], [E.u('sigmoid', x(0))]];
const CELL = [E.add(E.mul(x(1), x(3)), E.mul(x(0), x(2)))];
const TANH = [E.u('tanh', x(0))];
const HIDDEN = [E.mul(x(0), x(1))];

/*
 * One backward step, every input and output [B, u]: 0–3 i, f, g, o, 4 c₋₁, 5 tanh(c) (from the
 * trace), 6–12 the trace's own gradient (i, f, g, o, c, tanh(c), h), 13 dh and 14 dc carried from
 * step t + 1. Outputs: dz for each gate (dL/d(x·W + b + h·U)) and dc₋₁.
 */
const DH = E.add(x(12), x(13));
const DC = E.add(E.add(x(10), x(14)), E.mul(E.add(x(11), E.mul(DH, x(3))), dTanh(x(5))));
const BACK = [
  E.mul(E.add(x(6), E.mul(DC, x(2))), dSigmoid(x(0))),
  E.mul(E.add(x(7), E.mul(DC, x(4))), dSigmoid(x(1))),
  E.mul(E.add(x(8), E.mul(DC, x(0))), dTanh(x(2))),
  E.mul(E.add(x(9), E.mul(DH, x(5))), dSigmoid(x(3))),
  E.mul(DC, x(1)),
];

/*
 * A masked step's states: where the mask is true they are the step's new values, so their
 * gradient goes into BACK; where false they are the previous states, so it passes straight
 * through to step t − 1. From 0 the mask [B, 1], 1 the trace's dh, 2 dh carried from t + 1, 3 dh
 * passed through from t + 1, 4 the trace's dc, 5 dc carried: dh and dc into the step, dh and dc past it.
 */
const SPLIT = ((): Expr[] => {
  const dh = E.add(E.add(x(1), x(2)), x(3));
  const dc = E.add(x(4), x(5));
  return [E.where(x(0), dh, E.c(0)), E.where(x(0), dc, E.c(0)), E.where(x(0), E.c(0), dh), E.where(x(0), E.c(0), dc)];
})();

/** A masked step keeps the previous state: where(mask, new, previous). */
const KEEP = [E.where(x(0), x(1), x(2))];

/** Runs expressions as one kernel, or (when the gradient itself is recorded, under createGraph) as recorded ops. */
function run(exprs: readonly Expr[], inputs: Tensor[], shape: number[], tag: string): Tensor[] {
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
  return exprs.map((e) => evalOps(e, inputs) as Tensor);
}

/** An expression with the recorded ops (the few it uses), so a second-order gradient sees every part. */
function evalOps(e: Expr, xs: Tensor[]): Tensor | number {
  switch (e.kind) {
    case 'input':
      return xs[e.index];
    case 'const':
      return e.value;
    case 'unary': {
      const a = evalOps(e.a, xs) as Tensor;
      if (e.op === 'tanh') return tanh(a);
      if (e.op === 'sigmoid') return sigmoid(a);
      return neg(a);
    }
    case 'binary': {
      const a = evalOps(e.a, xs);
      const b = evalOps(e.b, xs);
      if (e.op === 'add') return add(a, b);
      if (e.op === 'sub') return sub(a, b);
      if (e.op === 'mul') return mul(a, b);
      return eq(a, b);
    }
    case 'where':
      return where(evalOps(e.cond, xs) as Tensor, evalOps(e.a, xs), evalOps(e.b, xs));
    default:
      throw new Error(`${OP}: no recorded form for expression kind ${e.kind}`);
  }
}

/** Row t's block k (0–6: i, f, g, o, c, tanh(c), h) of a trace-shaped [T, 7·B·u] tensor, as [B, u]. */
function block(y: Tensor, t: number, k: number, B: number, u: number): Tensor {
  const Bu = B * u;
  return reshape(slice(y, [t, k * Bu], [t + 1, (k + 1) * Bu]), [B, u]);
}

/** `t` dense from offset 0 (views address it by offset). */
function dense(t: Tensor): Tensor {
  return t.offset === 0 && isContiguousTensor(t) ? t : copyContiguous(t);
}

/** The op's forward: the trace of the run (under no recording; the caller records the op once). */
function forward(xw: Tensor, U: Tensor, h0: Tensor, c0: Tensor, mask: Tensor | null): Tensor {
  const [B, T, Gs] = xw.shape;
  const u = Gs / 4;
  const xd = dense(xw);
  const rows: Tensor[] = [];
  let h = h0;
  let c = c0;
  for (let t = 0; t < T; t++) {
    const r = matmul(h, U);
    const z = run(Z, [view(xd, [B, Gs], [T * Gs, 1], t * Gs), r], [B, Gs], `${OP}:z`)[0];
    const gates = GATE.map((e, k) => run(e, [view(z, [B, u], [Gs, 1], k * u)], [B, u], `${OP}:g${k}`)[0]);
    const cNew = run(CELL, [gates[0], gates[1], gates[2], c], [B, u], `${OP}:c`)[0];
    const tc = run(TANH, [cNew], [B, u], `${OP}:tanh`)[0];
    let hNew = run(HIDDEN, [gates[3], tc], [B, u], `${OP}:h`)[0];
    let cState = cNew;
    if (mask) {
      const m = slice(mask, [0, t], [B, t + 1]);
      cState = run(KEEP, [m, cNew, c], [B, u], `${OP}:keep`)[0];
      hNew = run(KEEP, [m, hNew, h], [B, u], `${OP}:keep`)[0];
    }
    for (const o of [...gates, cState, tc, hNew]) rows.push(reshape(o, [B * u]));
    c = cState;
    h = hNew;
  }
  return reshape(concat(rows, 0), [T, 7 * B * u]);
}

function ensureRule(): void {
  if (gradientRule(OP)) return;
  registerGradient(OP, (dy, ctx) => tidy(() => backwardThrough(dy, ctx.inputs as Tensor[], ctx.output, ctx.needs)));
}

/** Backpropagation through the run: each input's gradient (null where none is needed). */
function backwardThrough(dy: Tensor, inputs: Tensor[], y: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
  const [xw, U, h0, c0] = inputs;
  const mask = inputs.length > 4 ? inputs[4] : null;
  const [B, T, Gs] = xw.shape;
  const u = Gs / 4;
  const zero = zeros([B, u], 'float32', { backend: y.backend });
  let dh = zero;
  let dc = zero;
  let pass = dh;
  const dz: Tensor[] = new Array<Tensor>(T);
  for (let t = T - 1; t >= 0; t--) {
    const ins: Tensor[] = [];
    for (let k = 0; k < 4; k++) ins.push(block(y, t, k, B, u));
    ins.push(t > 0 ? block(y, t - 1, 4, B, u) : c0, block(y, t, 5, B, u));
    for (let k = 0; k < 7; k++) ins.push(block(dy, t, k, B, u));
    ins.push(dh, dc);
    let passC: Tensor | null = null;
    if (mask) {
      const [dhIn, dcIn, passH, pc] = run(
        SPLIT,
        [slice(mask, [0, t], [B, t + 1]), ins[12], dh, pass, ins[10], dc],
        [B, u],
        `${OP}:split`,
      );
      // BACK reads the trace's dh and dc plus the carried ones: the split's shares stand in for both.
      ins[10] = ins[12] = zero;
      ins[13] = dhIn;
      ins[14] = dcIn;
      pass = passH;
      passC = pc;
    }
    const outs = run(BACK, ins, [B, u], `${OP}:back`);
    const dzt = concat(outs.slice(0, 4), 1);
    dc = passC ? add(outs[4], passC) : outs[4];
    dh = matmul(dzt, U, { transposeB: true });
    dz[t] = reshape(dzt, [B, 1, Gs]);
  }
  // dL/d(x·W + b) in the input's layout [B, T, 4u]; U's gradient as one product over every step.
  const dxw = concat(dz, 1);
  let dU: Tensor | null = null;
  if (needs[1]) {
    const hs = [h0, ...Array.from({ length: T - 1 }, (_, t) => block(y, t, 6, B, u))];
    const hPrev = concat(
      hs.map((h) => reshape(h, [B, 1, u])),
      1,
    );
    dU = matmul(reshape(hPrev, [B * T, u]), reshape(dxw, [B * T, Gs]), { transposeA: true });
  }
  const dh0 = needs[2] ? (mask ? add(dh, pass) : dh) : null;
  return [needs[0] ? dxw : null, dU, dh0, needs[3] ? dc : null, ...(mask ? [null] : [])];
}

/**
 * The trace [T, 7·B·u] of an LSTM over xw = x·W + b [B, T, 4u] (gates i, f, g, o along the
 * last axis, Keras' order) from h0, c0 [B, u] with recurrent kernel U [u, 4u]; with a bool mask
 * [B, T], a step where it is false keeps the previous h and c (the trace's c and h are the
 * states). Float32 inputs on one backend, shapes checked by the caller.
 */
export function lstmSequence(xw: Tensor, U: Tensor, h0: Tensor, c0: Tensor, mask: Tensor | null = null): Tensor {
  ensureRule();
  return dispatch(OP, mask ? [xw, U, h0, c0, mask] : [xw, U, h0, c0], undefined, () => {
    const prev = setGradEnabled(false);
    try {
      return tidy(() => forward(xw, U, h0, c0, mask));
    } finally {
      setGradEnabled(prev);
    }
  });
}

/** The trace's h of every step [B, T, u] (a transposed view). */
export function traceHidden(trace: Tensor, batch: number, units: number): Tensor {
  const T = trace.shape[0];
  const Bu = batch * units;
  return reshape(slice(trace, [0, 6 * Bu], [T, 7 * Bu]), [T, batch, units]).transpose([1, 0, 2]);
}

/** The trace's h (k = 6) or c (k = 4) after the last step, [B, u]. */
export function traceLast(trace: Tensor, k: 4 | 6, batch: number, units: number): Tensor {
  return block(trace, trace.shape[0] - 1, k, batch, units);
}
