import { type Tensor, add, concat, matmul, reshape, slice, sum, zeros } from '@tsdl/tensor';
import { E, type Expr } from '@tsdl/tensor/backend';
import {
  type GateSlope,
  KEEP,
  type SequenceAttrs,
  cols,
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
  splitExprs,
  stepInput,
  stepOrder,
  stepsInLayout,
  traceBlock,
  traceOf,
  x,
} from './kernels';
import { type SequenceStates, forwardOnly, needsTrace, statesOfTrace } from './forward-only';

/**
 * A whole GRU sequence as one recorded op (sigmoid gates, or hard-sigmoid ones: `gate`; tanh
 * candidate; the reset gate applied after the recurrent product: PyTorch's GRU and Keras' with
 * reset_after, its default):
 *   z, r = σ(xw_{z,r} + h·U_{z,r} + b_{z,r}),  n = tanh(xw_n + r ⊙ (h·U_n + b_n)),
 *   h' = n + z ⊙ (h − n)  (= (1 − z) ⊙ n + z ⊙ h),
 * with xw the input's share (its bias included) and b the recurrent bias. A step costs its
 * recurrent product and three elementwise kernels forward, one product and two kernels backward;
 * the recurrent kernel's and bias' gradients are one product and one sum over every step after
 * the loop. The trace (kernels.ts) has five blocks per step: z, r, h·U_n + b_n, n and h (GRU_TRACE).
 */

const OP = '@tsdl/nn:gruSequence';

/** Where the state sits in a row of the GRU trace. */
export const GRU_TRACE = { blocks: 5, h: 4 } as const;

/** The op's attributes: its layout, the gate order (Keras z, r, n; PyTorch r, z, n) and whether it has a recurrent bias. */
interface GruAttrs extends SequenceAttrs {
  zFirst: boolean;
  bias: boolean;
  gate: GateSlope;
}

/** gruSequence's and gruStates' options: the layout, Keras' or PyTorch's gate order, the gates' activation. */
export type GruOptions = Partial<SequenceAttrs> & { zFirst?: boolean; gate?: GateSlope };

/*
 * Forward kernels, each the loop's ops in the loop's order (the bias is added to the product
 * first): z and r from their blocks; h·U_n + b_n and n; then h. With bias, inputs are
 * (xw block, product block, bias block) per gate, and r for n.
 */
const gatesB = (g: GateSlope): Expr[] => [
  gate(g, E.add(x(0), E.add(x(1), x(2)))),
  gate(g, E.add(x(3), E.add(x(4), x(5)))),
];
const gates = (g: GateSlope): Expr[] => [gate(g, E.add(x(0), x(1))), gate(g, E.add(x(2), x(3)))];
const CAND_B = [E.add(x(1), x(2)), E.u('tanh', E.add(x(0), E.mul(x(3), E.add(x(1), x(2)))))];
const CAND = [x(1), E.u('tanh', E.add(x(0), E.mul(x(2), x(1))))];
const HIDDEN = [E.add(x(0), E.mul(x(1), E.sub(x(2), x(0))))];

/*
 * One backward step, every input and output [B, u]: 0 z, 1 r, 2 h·U_n + b_n, 3 n, 4 h₋₁, 5–9 the
 * trace's own gradient (z, r, h·U_n + b_n, n, h), 10 dh through the next step's product, 11 dh
 * straight from the next step (z ⊙ dh'). Outputs: dL/d of z's and r's pre-activations, of n's
 * pre-activation (xw_n's gradient), of h·U_n + b_n, and the direct share of dh₋₁.
 */
const DH = E.add(E.add(x(9), x(10)), x(11));
const DPN = E.mul(E.add(x(8), E.mul(DH, E.sub(E.c(1), x(0)))), dTanh(x(3)));
const back = (g: GateSlope): Expr[] => [
  E.mul(E.add(x(5), E.mul(DH, E.sub(x(4), x(3)))), dGate(g, x(0))),
  E.mul(E.add(x(6), E.mul(DPN, x(2))), dGate(g, x(1))),
  DPN,
  E.add(x(7), E.mul(DPN, x(1))),
  E.mul(DH, x(0)),
];
const SPLIT = splitExprs(4);
const kernelsFor = perGate(OP, (g) => ({ gatesB: gatesB(g), gates: gates(g), back: back(g) }));

/** Column offsets of z and r in the gate blocks. */
function gateCols(a: GruAttrs, u: number): { zo: number; ro: number } {
  return a.zFirst ? { zo: 0, ro: u } : { zo: u, ro: 0 };
}

/** One forward step: its trace blocks (GRU_TRACE order) from xw's step xt, the previous h and the step's mask column. */
function step(xt: Tensor, U: Tensor, h: Tensor, b: Tensor | null, m: Tensor | null, a: GruAttrs): Tensor[] {
  const [B, G] = xt.shape;
  const u = G / 3;
  const { zo, ro } = gateCols(a, u);
  const blk = (t: Tensor, o: number): Tensor => cols(t, o, o + u);
  const k = kernelsFor(a.gate);
  const r = matmul(h, U);
  const [zg, rg] = b
    ? run(k.gatesB, [blk(xt, zo), blk(r, zo), blk(b, zo), blk(xt, ro), blk(r, ro), blk(b, ro)], [B, u], `${k.tag}:zr`)
    : run(k.gates, [blk(xt, zo), blk(r, zo), blk(xt, ro), blk(r, ro)], [B, u], `${k.tag}:zr0`);
  const [hn, n] = b
    ? run(CAND_B, [blk(xt, 2 * u), blk(r, 2 * u), blk(b, 2 * u), rg], [B, u], `${OP}:n`)
    : run(CAND, [blk(xt, 2 * u), blk(r, 2 * u), rg], [B, u], `${OP}:n0`);
  let hNew = run(HIDDEN, [n, zg, h], [B, u], `${OP}:h`)[0];
  if (m) hNew = run(KEEP, [m, hNew, h], [B, u], `${OP}:keep`)[0];
  return [zg, rg, hn, n, hNew];
}

function forward(xw: Tensor, U: Tensor, h0: Tensor, b: Tensor | null, mask: Tensor | null, a: GruAttrs): Tensor {
  const { B, T, G } = sizesOf(xw, a);
  const xd = dense(xw);
  const rows: Tensor[][] = new Array<Tensor[]>(T);
  let h = h0;
  for (const t of stepOrder(T, a.reverse)) {
    rows[t] = step(stepInput(xd, t, a), U, h, b, mask && maskAt(mask, t), a);
    h = rows[t][GRU_TRACE.h];
  }
  return traceOf(rows, B, G / 3);
}

function backwardThrough(
  dy: Tensor,
  inputs: Tensor[],
  y: Tensor,
  needs: readonly boolean[],
  a: GruAttrs,
): (Tensor | null)[] {
  const [xw, U, h0] = inputs;
  const mask = inputs.length > (a.bias ? 4 : 3) ? inputs[inputs.length - 1] : null;
  const k = kernelsFor(a.gate);
  const { B, T, G } = sizesOf(xw, a);
  const u = G / 3;
  const zero = zeros([B, u], 'float32', { backend: y.backend });
  let dhMat = zero;
  let dhDirect = zero;
  let pass = zero;
  const dHR: Tensor[] = new Array<Tensor>(T);
  const dPN: Tensor[] = new Array<Tensor>(T);
  const order = stepOrder(T, a.reverse);
  for (let i = T - 1; i >= 0; i--) {
    const t = order[i];
    const ins: Tensor[] = [];
    for (let k = 0; k < 4; k++) ins.push(traceBlock(y, t, k, B, u));
    ins.push(i > 0 ? traceBlock(y, order[i - 1], GRU_TRACE.h, B, u) : h0);
    for (let k = 0; k < 5; k++) ins.push(traceBlock(dy, t, k, B, u));
    ins.push(dhMat, dhDirect);
    if (mask) {
      const [dhIn, passed] = run(SPLIT, [maskAt(mask, t), ins[9], dhMat, dhDirect, pass], [B, u], `${OP}:split`);
      ins[9] = dhIn;
      ins[10] = ins[11] = zero;
      pass = passed;
    }
    const [dpz, dpr, dpn, dhn, direct] = run(k.back, ins, [B, u], `${k.tag}:back`);
    const dhr = concat(a.zFirst ? [dpz, dpr, dhn] : [dpr, dpz, dhn], 1);
    dhMat = matmul(dhr, U, { transposeB: true });
    dhDirect = direct;
    dHR[t] = dhr;
    dPN[t] = dpn;
  }
  // dL/d(h·U + b) over every step, [B·T, 3u] in xw's layout: U's gradient as one product, b's as one sum.
  const dR = stepsInLayout(dHR, a);
  const dU = needs[1] ? matmul(previousStates(y, GRU_TRACE.h, h0, a), dR, { transposeA: true }) : null;
  const dh0 = needs[2] ? (mask ? add(add(dhMat, dhDirect), pass) : add(dhMat, dhDirect)) : null;
  const db = a.bias && needs[3] ? sum(dR, 0) : null;
  // xw's gradient is the product's except in n's block, where r ⊙ … stands between them.
  const dX = needs[0] ? reshape(concat([slice(dR, [0, 0], [T * B, 2 * u]), stepsInLayout(dPN, a)], 1), xw.shape) : null;
  return [dX, dU, dh0, ...(a.bias ? [db] : []), ...(mask ? [null] : [])];
}

/**
 * The trace [T, 5·B·u] of a GRU over xw = x·W + b_in [B, T, 3u] (or [T, B, 3u] with `timeMajor`)
 * from h0 [B, u], with recurrent kernel U [u, 3u] (a transposed view of PyTorch's W_hh is fine)
 * and recurrent bias b [3u] or null; gate blocks z, r, n along the last axis (`zFirst`, Keras'
 * order) or r, z, n (PyTorch's). With a bool mask [B, T], a step where it is false keeps the
 * previous h. `reverse` runs from the last step to the first; `gate` picks the gates' activation
 * (GateSlope). Float32 inputs on one backend, shapes checked by the caller.
 */
export function gruSequence(
  xw: Tensor,
  U: Tensor,
  h0: Tensor,
  bias: Tensor | null,
  mask: Tensor | null = null,
  options: GruOptions = {},
): Tensor {
  const a = attrsOf(options, bias);
  const inputs = [xw, U, h0, ...(bias ? [bias] : []), ...(mask ? [mask] : [])];
  return recordSequence(OP, inputs, a, () => forward(xw, U, h0, bias, mask, a), backwardThrough);
}

function attrsOf(options: GruOptions, bias: Tensor | null): GruAttrs {
  return {
    ...sequenceAttrs(options),
    zFirst: options.zFirst ?? true,
    bias: bias !== null,
    gate: gateOption(OP, options.gate),
  };
}

/**
 * What a GRU layer reads from the run (gruSequence's arguments; `sequence`: every step's h):
 * views of the trace op's output when a gradient can be taken, else from the same steps run
 * forward-only (forward-only.ts), which keeps only those states.
 */
export function gruStates(
  xw: Tensor,
  U: Tensor,
  h0: Tensor,
  bias: Tensor | null,
  mask: Tensor | null,
  options: GruOptions & { sequence: boolean },
): SequenceStates {
  const a = attrsOf(options, bias);
  const { B, T, G } = sizesOf(xw, a);
  const order = stepOrder(T, a.reverse);
  if (needsTrace([xw, U, h0, bias]))
    return statesOfTrace(gruSequence(xw, U, h0, bias, mask, a), GRU_TRACE.h, null, B, G / 3, order[T - 1]);
  const xd = dense(xw);
  return forwardOnly(
    order,
    [h0],
    (t, [h]) => [step(stepInput(xd, t, a), U, h, bias, mask && maskAt(mask, t), a)[GRU_TRACE.h]],
    options.sequence,
  );
}
