import { type Tensor, add, concat, matmul, reshape, zeros } from '@tsdl/tensor';
import { E, type Expr } from '@tsdl/tensor/backend';
import { view } from '@tsdl/tensor/internal';
import {
  type GateSlope,
  KEEP,
  type SequenceAttrs,
  dGate,
  dTanh,
  gate,
  gateOption,
  perGate,
  dense,
  maskAt,
  previousStates,
  recordSequence,
  sequenceAttrs,
  run,
  sizesOf,
  stepInput,
  stepOrder,
  stepsInLayout,
  traceBlock,
  traceOf,
  x,
} from './kernels';
import { type SequenceStates, forwardOnly, needsTrace, statesOfTrace } from './forward-only';

/**
 * A whole LSTM sequence (tanh activation; sigmoid gates, Keras' defaults and PyTorch's LSTM, or
 * hard-sigmoid gates, Keras 2's and TF.js' default: `gate`) as one recorded op, so that a step costs its recurrent product and a few elementwise kernels
 * forward, and one product and two kernels backward, instead of ~10 and ~30 recorded ops (each
 * gate slice's gradient a pad, each step's hᵀ·dz its own small product). The backward is the
 * textbook backpropagation through time, with the recurrent kernel's gradient as one product
 * over every step after the loop.
 *
 * The trace (kernels.ts) has seven blocks per step: the gate activations i, f, g, o, then c,
 * tanh(c) and h (LSTM_TRACE).
 * Elementwise expressions and products only: it runs on every backend.
 */

const OP = '@tsdl/nn:lstmSequence';

/** Where the states sit in a row of the LSTM trace. */
export const LSTM_TRACE = { blocks: 7, c: 4, h: 6 } as const;

/*
 * One forward step, every output [B, u] (each a dense block of the trace): z = x·W + b + h·U,
 * each gate from its block of z, c from i, f, g and c₋₁, tanh(c), then h = o·tanh(c). Small
 * kernels, each the op the per-step loop runs, so that on the CPU the result is the loop's
 * to rounding; one kernel would also compute every gate's exp again for c and h (a kernel
 * evaluates each output's expression on its own), and on the CPU a loop with four exp calls ran
 * at half the speed per exp of four loops with one.
 */
const Z = [E.add(x(0), x(1))];
const gates = (g: GateSlope): Expr[][] => [[gate(g, x(0))], [gate(g, x(0))], [E.u('tanh', x(0))], [gate(g, x(0))]];
const CELL = [E.add(E.mul(x(1), x(3)), E.mul(x(0), x(2)))];
const TANH = [E.u('tanh', x(0))];
const HIDDEN = [E.mul(x(0), x(1))];

/*
 * One backward step, every input and output [B, u]: 0–3 i, f, g, o, 4 c₋₁, 5 tanh(c) (from the
 * trace), 6–12 the trace's own gradient (i, f, g, o, c, tanh(c), h), 13 dh and 14 dc carried from
 * the next step. Outputs: dz for each gate (dL/d(x·W + b + h·U)) and dc₋₁.
 */
const DH = E.add(x(12), x(13));
const DC = E.add(E.add(x(10), x(14)), E.mul(E.add(x(11), E.mul(DH, x(3))), dTanh(x(5))));
const back = (g: GateSlope): Expr[] => [
  E.mul(E.add(x(6), E.mul(DC, x(2))), dGate(g, x(0))),
  E.mul(E.add(x(7), E.mul(DC, x(4))), dGate(g, x(1))),
  E.mul(E.add(x(8), E.mul(DC, x(0))), dTanh(x(2))),
  E.mul(E.add(x(9), E.mul(DH, x(5))), dGate(g, x(3))),
  E.mul(DC, x(1)),
];

/** The options of the LSTM op: the layout, and the gates' activation (0: sigmoid; see GateSlope). */
export interface LstmAttrs extends SequenceAttrs {
  gate: GateSlope;
}

const kernelsFor = perGate(OP, (g) => ({ gates: gates(g), back: back(g) }));
type LstmKernels = ReturnType<typeof kernelsFor>;

function lstmAttrs(options: Partial<LstmAttrs>): LstmAttrs {
  return { ...sequenceAttrs(options), gate: gateOption(OP, options.gate) };
}

/*
 * A masked step's states: where the mask is true they are the step's new values, so their
 * gradient goes into BACK; where false they are the previous states, so it passes straight
 * through to the previous step. From 0 the mask [B, 1], 1 the trace's dh, 2 dh carried, 3 dh
 * passed through from the next step, 4 the trace's dc, 5 dc carried: dh and dc into the step,
 * dh and dc past it.
 */
const SPLIT = ((): Expr[] => {
  const dh = E.add(E.add(x(1), x(2)), x(3));
  const dc = E.add(x(4), x(5));
  return [E.where(x(0), dh, E.c(0)), E.where(x(0), dc, E.c(0)), E.where(x(0), E.c(0), dh), E.where(x(0), E.c(0), dc)];
})();

/** One forward step: its trace blocks (LSTM_TRACE order) from xw's step xt, the previous h and c and the step's mask column. */
function step(xt: Tensor, U: Tensor, h: Tensor, c: Tensor, m: Tensor | null, kern: LstmKernels): Tensor[] {
  const [B, G] = xt.shape;
  const u = G / 4;
  const r = matmul(h, U);
  const z = run(Z, [xt, r], [B, G], `${OP}:z`)[0];
  const gates = kern.gates.map((e, k) => run(e, [view(z, [B, u], [G, 1], k * u)], [B, u], `${kern.tag}:g${k}`)[0]);
  const cNew = run(CELL, [gates[0], gates[1], gates[2], c], [B, u], `${OP}:c`)[0];
  const tc = run(TANH, [cNew], [B, u], `${OP}:tanh`)[0];
  let hNew = run(HIDDEN, [gates[3], tc], [B, u], `${OP}:h`)[0];
  let cState = cNew;
  if (m) {
    cState = run(KEEP, [m, cNew, c], [B, u], `${OP}:keep`)[0];
    hNew = run(KEEP, [m, hNew, h], [B, u], `${OP}:keep`)[0];
  }
  return [...gates, cState, tc, hNew];
}

/** The op's forward: the trace of the run (under no recording; the caller records the op once). */
function forward(xw: Tensor, U: Tensor, h0: Tensor, c0: Tensor, mask: Tensor | null, a: LstmAttrs): Tensor {
  const { B, T, G } = sizesOf(xw, a);
  const u = G / 4;
  const kern = kernelsFor(a.gate);
  const xd = dense(xw);
  const rows: Tensor[][] = new Array<Tensor[]>(T);
  let h = h0;
  let c = c0;
  for (const t of stepOrder(T, a.reverse)) {
    rows[t] = step(stepInput(xd, t, a), U, h, c, mask && maskAt(mask, t), kern);
    c = rows[t][LSTM_TRACE.c];
    h = rows[t][LSTM_TRACE.h];
  }
  return traceOf(rows, B, u);
}

/** Backpropagation through the run: each input's gradient (null where none is needed). */
function backwardThrough(
  dy: Tensor,
  inputs: Tensor[],
  y: Tensor,
  needs: readonly boolean[],
  a: LstmAttrs,
): (Tensor | null)[] {
  const [xw, U, h0, c0] = inputs;
  const kern = kernelsFor(a.gate);
  const mask = inputs.length > 4 ? inputs[4] : null;
  const { B, T, G } = sizesOf(xw, a);
  const u = G / 4;
  const zero = zeros([B, u], 'float32', { backend: y.backend });
  let dh = zero;
  let dc = zero;
  let pass = dh;
  const dz: Tensor[] = new Array<Tensor>(T);
  const order = stepOrder(T, a.reverse);
  for (let i = T - 1; i >= 0; i--) {
    const t = order[i];
    const ins: Tensor[] = [];
    for (let k = 0; k < 4; k++) ins.push(traceBlock(y, t, k, B, u));
    ins.push(i > 0 ? traceBlock(y, order[i - 1], 4, B, u) : c0, traceBlock(y, t, 5, B, u));
    for (let k = 0; k < 7; k++) ins.push(traceBlock(dy, t, k, B, u));
    ins.push(dh, dc);
    let passC: Tensor | null = null;
    if (mask) {
      const [dhIn, dcIn, passH, pc] = run(
        SPLIT,
        [maskAt(mask, t), ins[12], dh, pass, ins[10], dc],
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
    const outs = run(kern.back, ins, [B, u], `${kern.tag}:back`);
    const dzt = concat(outs.slice(0, 4), 1);
    dc = passC ? add(outs[4], passC) : outs[4];
    dh = matmul(dzt, U, { transposeB: true });
    dz[t] = dzt;
  }
  // dL/d(x·W + b) over every step, [B·T, 4u] in xw's layout; U's gradient as one product over them.
  const dZ = stepsInLayout(dz, a);
  const dU = needs[1] ? matmul(previousStates(y, LSTM_TRACE.h, h0, a), dZ, { transposeA: true }) : null;
  const dh0 = needs[2] ? (mask ? add(dh, pass) : dh) : null;
  return [needs[0] ? reshape(dZ, xw.shape) : null, dU, dh0, needs[3] ? dc : null, ...(mask ? [null] : [])];
}

/**
 * The trace [T, 7·B·u] of an LSTM over xw = x·W + b (gates i, f, g, o along the last axis: Keras'
 * and PyTorch's order), [B, T, 4u], or [T, B, 4u] with `timeMajor`, from h0, c0 [B, u] with
 * recurrent kernel U [u, 4u] (z = xw + h·U; a transposed view of PyTorch's W_hh is fine); with a
 * bool mask [B, T], a step where it is false keeps the previous h and c (the trace's c and h are
 * the states). `reverse` runs from the last step to the first; `gate` picks the gates'
 * activation (GateSlope). Float32 inputs on one backend, shapes checked by the caller.
 */
export function lstmSequence(
  xw: Tensor,
  U: Tensor,
  h0: Tensor,
  c0: Tensor,
  mask: Tensor | null = null,
  options: Partial<LstmAttrs> = {},
): Tensor {
  const a = lstmAttrs(options);
  const inputs = mask ? [xw, U, h0, c0, mask] : [xw, U, h0, c0];
  return recordSequence(OP, inputs, a, () => forward(xw, U, h0, c0, mask, a), backwardThrough);
}

/**
 * What an LSTM layer reads from the run (lstmSequence's arguments; `sequence`: every step's h):
 * views of the trace op's output when a gradient can be taken, else from the same steps run
 * forward-only (forward-only.ts), which keeps only those states.
 */
export function lstmStates(
  xw: Tensor,
  U: Tensor,
  h0: Tensor,
  c0: Tensor,
  mask: Tensor | null,
  options: Partial<LstmAttrs> & { sequence: boolean },
): SequenceStates {
  const a = lstmAttrs(options);
  const kern = kernelsFor(a.gate);
  const { B, T, G } = sizesOf(xw, a);
  const order = stepOrder(T, a.reverse);
  if (needsTrace([xw, U, h0, c0]))
    return statesOfTrace(lstmSequence(xw, U, h0, c0, mask, a), LSTM_TRACE.h, LSTM_TRACE.c, B, G / 4, order[T - 1]);
  const xd = dense(xw);
  return forwardOnly(
    order,
    [h0, c0],
    (t, [h, c]) => {
      const blocks = step(stepInput(xd, t, a), U, h, c, mask && maskAt(mask, t), kern);
      return [blocks[LSTM_TRACE.h], blocks[LSTM_TRACE.c]];
    },
    options.sequence,
  );
}
