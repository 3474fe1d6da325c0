import { ArgumentError, type Tensor, add, matmul, reshape, zeros } from '@tsdl/tensor';
import { E, type Expr } from '@tsdl/tensor/backend';
import {
  KEEP,
  type SequenceAttrs,
  dTanh,
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
 * A whole Elman RNN sequence (Keras' SimpleRNN, PyTorch's RNN), h' = tanh(xw + h·U) or
 * relu(xw + h·U) (`activation`), as one recorded op: a step is its recurrent product and one elementwise
 * kernel forward, one kernel and one product backward, and the recurrent kernel's gradient one
 * product over every step after the loop. The trace (kernels.ts) has one block per step: h.
 */

const OP = '@tsdl/nn:rnnSequence';

/** Where the state sits in a row of the RNN trace. */
export const RNN_TRACE = { blocks: 1, h: 0 } as const;

/** The op's options: the layout and the activation. */
export interface RnnAttrs extends SequenceAttrs {
  activation: 'tanh' | 'relu';
}

function attrsOf(options: Partial<RnnAttrs>): RnnAttrs {
  const activation = options.activation ?? 'tanh';
  if (activation !== 'tanh' && activation !== 'relu')
    throw new ArgumentError(`${OP}: activation must be 'tanh' or 'relu', got ${JSON.stringify(activation)}`);
  return { ...sequenceAttrs(options), activation };
}

/**
 * Per activation: the loop's step, act(xw + h·U); backward, from 0 h, 1 the trace's dh, 2 dh
 * through the next step's product: dL/d(xw + h·U) (relu's as its rule: where the output is > 0,
 * which is where the input is); and the kernels' tag (a tag stands for one expression list).
 */
const KERNELS: Record<RnnAttrs['activation'], { step: Expr[]; back: Expr[]; tag: string }> = {
  tanh: { step: [E.u('tanh', E.add(x(0), x(1)))], back: [E.mul(E.add(x(1), x(2)), dTanh(x(0)))], tag: OP },
  relu: {
    step: [E.b('max', E.add(x(0), x(1)), E.c(0))],
    back: [E.where(E.b('gt', x(0), E.c(0)), E.add(x(1), x(2)), E.c(0))],
    tag: `${OP}:relu`,
  },
};
const SPLIT = splitExprs(3);

/** One forward step: h from xw's step xt, the previous h and the step's mask column. */
function step(xt: Tensor, U: Tensor, h: Tensor, m: Tensor | null, a: RnnAttrs): Tensor {
  const [B, u] = xt.shape;
  const k = KERNELS[a.activation];
  const hNew = run(k.step, [xt, matmul(h, U)], [B, u], `${k.tag}:h`)[0];
  return m ? run(KEEP, [m, hNew, h], [B, u], `${OP}:keep`)[0] : hNew;
}

function forward(xw: Tensor, U: Tensor, h0: Tensor, mask: Tensor | null, a: RnnAttrs): Tensor {
  const { B, T, G: u } = sizesOf(xw, a);
  const xd = dense(xw);
  const rows: Tensor[][] = new Array<Tensor[]>(T);
  let h = h0;
  for (const t of stepOrder(T, a.reverse)) {
    h = step(stepInput(xd, t, a), U, h, mask && maskAt(mask, t), a);
    rows[t] = [h];
  }
  return traceOf(rows, B, u);
}

function backwardThrough(
  dy: Tensor,
  inputs: Tensor[],
  y: Tensor,
  needs: readonly boolean[],
  a: RnnAttrs,
): (Tensor | null)[] {
  const k = KERNELS[a.activation];
  const [xw, U, h0] = inputs;
  const mask = inputs.length > 3 ? inputs[3] : null;
  const { B, T, G: u } = sizesOf(xw, a);
  const zero = zeros([B, u], 'float32', { backend: y.backend });
  let dh = zero;
  let pass = zero;
  const dz: Tensor[] = new Array<Tensor>(T);
  for (const t of stepOrder(T, !a.reverse)) {
    let dyh = traceBlock(dy, t, 0, B, u);
    let carried = dh;
    if (mask) {
      [dyh, pass] = run(SPLIT, [maskAt(mask, t), dyh, dh, pass], [B, u], `${OP}:split`);
      carried = zero;
    }
    const dzt = run(k.back, [traceBlock(y, t, 0, B, u), dyh, carried], [B, u], `${k.tag}:back`)[0];
    dh = matmul(dzt, U, { transposeB: true });
    dz[t] = dzt;
  }
  const dZ = stepsInLayout(dz, a);
  const dU = needs[1] ? matmul(previousStates(y, RNN_TRACE.h, h0, a), dZ, { transposeA: true }) : null;
  const dh0 = needs[2] ? (mask ? add(dh, pass) : dh) : null;
  return [needs[0] ? reshape(dZ, xw.shape) : null, dU, dh0, ...(mask ? [null] : [])];
}

/**
 * The trace [T, B·u] of a tanh (or, with `activation`, relu) RNN over xw = x·W + b [B, T, u] (or
 * [T, B, u] with `timeMajor`) from h0 [B, u] with recurrent kernel U [u, u] (a transposed view of
 * PyTorch's W_hh is fine); with a bool mask [B, T], a step where it is false keeps the previous h.
 * `reverse` runs from the last step to the first. Float32 inputs on one backend, shapes checked
 * by the caller.
 */
export function rnnSequence(
  xw: Tensor,
  U: Tensor,
  h0: Tensor,
  mask: Tensor | null = null,
  options: Partial<RnnAttrs> = {},
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
 * What an RNN layer reads from the run (rnnSequence's arguments; `sequence`: every step's h):
 * views of the trace op's output when a gradient can be taken, else from the same steps run
 * forward-only (forward-only.ts), which keeps only those states.
 */
export function rnnStates(
  xw: Tensor,
  U: Tensor,
  h0: Tensor,
  mask: Tensor | null,
  options: Partial<RnnAttrs> & { sequence: boolean },
): SequenceStates {
  const a = attrsOf(options);
  const { B, T, G } = sizesOf(xw, a);
  const order = stepOrder(T, a.reverse);
  if (needsTrace([xw, U, h0]))
    return statesOfTrace(rnnSequence(xw, U, h0, mask, a), RNN_TRACE.h, null, B, G, order[T - 1]);
  const xd = dense(xw);
  return forwardOnly(
    order,
    [h0],
    (t, [h]) => [step(stepInput(xd, t, a), U, h, mask && maskAt(mask, t), a)],
    options.sequence,
  );
}
