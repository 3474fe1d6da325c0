import { type Tensor, add, concat, matmul, reshape, zeros } from '@tsdl/tensor';
import { E, type Expr } from '@tsdl/tensor/backend';
import { type SequenceStates, forwardOnly, needsTrace, statesOfTrace } from './forward-only';
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

/**
 * A whole GRU sequence with the reset gate applied before the recurrent product (Keras'
 * reset_after=False, TF.js' default, so the GRUs of imported TF.js models; sigmoid or, as TF.js'
 * default, hard-sigmoid gates: `gate`) as one recorded op:
 *   z, r = σ(xw_{z,r} + h·U_{z,r}),  q = r ⊙ h,  n = tanh(xw_n + q·U_n),  h' = n + z ⊙ (h − n),
 * gate blocks z, r, n along the last axis (Keras' order), xw the input's share with its bias (the
 * layer has no recurrent bias). n's product reads q, which needs r of the same step, so a step
 * costs two products and four elementwise kernels forward, two products and two kernels
 * backward; U's gradient is two products over every step after the loop (h₋₁ᵀ·dz,r and qᵀ·dn).
 * The trace (kernels.ts) has five blocks per step: z, r, q, n and h (GRU_V1_TRACE).
 */

const OP = '@tsdl/nn:gruV1Sequence';

/** Where q = r ⊙ h₋₁ and the state sit in a row of the trace. */
export const GRU_V1_TRACE = { blocks: 5, q: 2, h: 4 } as const;

/** The op's options: the layout and the gates' activation (0: sigmoid; see GateSlope). */
export interface GruV1Attrs extends SequenceAttrs {
  gate: GateSlope;
}

function attrsOf(options: Partial<GruV1Attrs>): GruV1Attrs {
  return { ...sequenceAttrs(options), gate: gateOption(OP, options.gate) };
}

/*
 * Forward kernels, each the loop's ops in the loop's order: z and r from xw's and the product's
 * blocks; q = r ⊙ h₋₁; n from xw_n and q·U_n; h as gru-sequence.ts' HIDDEN (from n, z, h₋₁).
 */
const gates = (g: GateSlope): Expr[] => [gate(g, E.add(x(0), x(1))), gate(g, E.add(x(2), x(3)))];
const RESET = [E.mul(x(0), x(1))];
const CAND = [E.u('tanh', E.add(x(0), x(1)))];
const HIDDEN = [E.add(x(0), E.mul(x(1), E.sub(x(2), x(0))))];

/*
 * Backward, first kernel: from 0 z, 1 n, 2 h₋₁, 3 dz, 4 dn (the trace's own gradient), 5 dh (the
 * trace's), 6 dh through the next step's z, r product, 7 dh straight from the next step (z ⊙ dh'),
 * 8 dh through the next step's q: dL/d of z's and n's pre-activations and the direct share of dh₋₁.
 */
const DH = E.add(E.add(E.add(x(5), x(6)), x(7)), x(8));
const backZN = (g: GateSlope): Expr[] => [
  E.mul(E.add(x(3), E.mul(DH, E.sub(x(2), x(1)))), dGate(g, x(0))),
  E.mul(E.add(x(4), E.mul(DH, E.sub(E.c(1), x(0)))), dTanh(x(1))),
  E.mul(DH, x(0)),
];
/*
 * Second kernel, after dq = dq (the trace's) + dn·U_nᵀ: from 0 r, 1 h₋₁, 2 dr (the trace's),
 * 3 the trace's dq, 4 dn·U_nᵀ: dL/d of r's pre-activation and q's share of dh₋₁.
 */
const DQ = E.add(x(3), x(4));
const backR = (g: GateSlope): Expr[] => [E.mul(E.add(x(2), E.mul(DQ, x(1))), dGate(g, x(0))), E.mul(DQ, x(0))];
const SPLIT = splitExprs(5);
const kernelsFor = perGate(OP, (g) => ({ gates: gates(g), backZN: backZN(g), backR: backR(g) }));

/** One forward step: its trace blocks (GRU_V1_TRACE order) from xw's step xt, the previous h and the step's mask column. */
function step(xt: Tensor, U: Tensor, h: Tensor, m: Tensor | null, g: GateSlope): Tensor[] {
  const [B, G] = xt.shape;
  const u = G / 3;
  const k = kernelsFor(g);
  const p = matmul(h, cols(U, 0, 2 * u));
  const [zg, rg] = run(
    k.gates,
    [cols(xt, 0, u), cols(p, 0, u), cols(xt, u, 2 * u), cols(p, u, 2 * u)],
    [B, u],
    `${k.tag}:zr`,
  );
  const q = run(RESET, [rg, h], [B, u], `${OP}:q`)[0];
  const n = run(CAND, [cols(xt, 2 * u, G), matmul(q, cols(U, 2 * u, G))], [B, u], `${OP}:n`)[0];
  let hNew = run(HIDDEN, [n, zg, h], [B, u], `${OP}:h`)[0];
  if (m) hNew = run(KEEP, [m, hNew, h], [B, u], `${OP}:keep`)[0];
  return [zg, rg, q, n, hNew];
}

function forward(xw: Tensor, U: Tensor, h0: Tensor, mask: Tensor | null, a: GruV1Attrs): Tensor {
  const { B, T, G } = sizesOf(xw, a);
  const xd = dense(xw);
  const rows: Tensor[][] = new Array<Tensor[]>(T);
  let h = h0;
  for (const t of stepOrder(T, a.reverse)) {
    rows[t] = step(stepInput(xd, t, a), U, h, mask && maskAt(mask, t), a.gate);
    h = rows[t][GRU_V1_TRACE.h];
  }
  return traceOf(rows, B, G / 3);
}

function backwardThrough(
  dy: Tensor,
  inputs: Tensor[],
  y: Tensor,
  needs: readonly boolean[],
  a: GruV1Attrs,
): (Tensor | null)[] {
  const [xw, U, h0] = inputs;
  const k = kernelsFor(a.gate);
  const mask = inputs.length > 3 ? inputs[3] : null;
  const { B, T, G } = sizesOf(xw, a);
  const u = G / 3;
  const Uzr = cols(U, 0, 2 * u);
  const Un = cols(U, 2 * u, G);
  const zero = zeros([B, u], 'float32', { backend: y.backend });
  let dhMat = zero;
  let dhDirect = zero;
  let dhQ = zero;
  let pass = zero;
  const dZR: Tensor[] = new Array<Tensor>(T);
  const dN: Tensor[] = new Array<Tensor>(T);
  const order = stepOrder(T, a.reverse);
  const blk = (t: number, k: number, of = y): Tensor => traceBlock(of, t, k, B, u);
  for (let i = T - 1; i >= 0; i--) {
    const t = order[i];
    const hPrev = i > 0 ? blk(order[i - 1], GRU_V1_TRACE.h) : h0;
    let carried = [blk(t, 4, dy), dhMat, dhDirect, dhQ];
    if (mask) {
      const [dhIn, passed] = run(SPLIT, [maskAt(mask, t), ...carried, pass], [B, u], `${OP}:split`);
      carried = [dhIn, zero, zero, zero];
      pass = passed;
    }
    const [dpz, dpn, direct] = run(
      k.backZN,
      [blk(t, 0), blk(t, 3), hPrev, blk(t, 0, dy), blk(t, 3, dy), ...carried],
      [B, u],
      `${k.tag}:back`,
    );
    const dqm = matmul(dpn, Un, { transposeB: true });
    const [dpr, dq] = run(k.backR, [blk(t, 1), hPrev, blk(t, 1, dy), blk(t, 2, dy), dqm], [B, u], `${k.tag}:backR`);
    const dzr = concat([dpz, dpr], 1);
    dhMat = matmul(dzr, Uzr, { transposeB: true });
    dhDirect = direct;
    dhQ = dq;
    dZR[t] = dzr;
    dN[t] = dpn;
  }
  // dL/d(xw) over every step, [B·T, 3u] in xw's layout: U's gradient as two products over them.
  const dzrAll = stepsInLayout(dZR, a);
  const dnAll = stepsInLayout(dN, a);
  const dU = needs[1]
    ? concat(
        [
          matmul(previousStates(y, GRU_V1_TRACE.h, h0, a), dzrAll, { transposeA: true }),
          matmul(
            stepsInLayout(
              Array.from({ length: T }, (_, t) => blk(t, GRU_V1_TRACE.q)),
              a,
            ),
            dnAll,
            { transposeA: true },
          ),
        ],
        1,
      )
    : null;
  let dh0: Tensor | null = null;
  if (needs[2]) {
    dh0 = add(add(dhMat, dhDirect), dhQ);
    if (mask) dh0 = add(dh0, pass);
  }
  const dX = needs[0] ? reshape(concat([dzrAll, dnAll], 1), xw.shape) : null;
  return [dX, dU, dh0, ...(mask ? [null] : [])];
}

/**
 * The trace [T, 5·B·u] of a reset-before GRU over xw = x·W + b [B, T, 3u] (or [T, B, 3u] with
 * `timeMajor`), gate blocks z, r, n, from h0 [B, u] with recurrent kernel U [u, 3u]; with a bool
 * mask [B, T], a step where it is false keeps the previous h. `reverse` runs from the last step to
 * the first; `gate` picks the gates' activation (GateSlope). Float32 inputs on one backend, shapes
 * checked by the caller.
 */
export function gruV1Sequence(
  xw: Tensor,
  U: Tensor,
  h0: Tensor,
  mask: Tensor | null = null,
  options: Partial<GruV1Attrs> = {},
): Tensor {
  const a = attrsOf(options);
  return recordSequence(
    OP,
    mask ? [xw, U, h0, mask] : [xw, U, h0],
    a,
    () => forward(xw, U, h0, mask, a),
    backwardThrough,
  );
}

/**
 * What a reset-before GRU layer reads from the run (gruV1Sequence's arguments; `sequence`: every
 * step's h): views of the trace op's output when a gradient can be taken, else from the same
 * steps run forward-only (forward-only.ts), which keeps only those states.
 */
export function gruV1States(
  xw: Tensor,
  U: Tensor,
  h0: Tensor,
  mask: Tensor | null,
  options: Partial<GruV1Attrs> & { sequence: boolean },
): SequenceStates {
  const a = attrsOf(options);
  const { B, T, G } = sizesOf(xw, a);
  const order = stepOrder(T, a.reverse);
  if (needsTrace([xw, U, h0]))
    return statesOfTrace(gruV1Sequence(xw, U, h0, mask, a), GRU_V1_TRACE.h, null, B, G / 3, order[T - 1]);
  const xd = dense(xw);
  return forwardOnly(
    order,
    [h0],
    (t, [h]) => [step(stepInput(xd, t, a), U, h, mask && maskAt(mask, t), a.gate)[GRU_V1_TRACE.h]],
    options.sequence,
  );
}
