import * as T from '@tsdl/tensor';
import { ShapeError, type Tensor } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { ONNX } from '../data-types';
import type { GraphNode } from '../graph/node';
import type { RunContext } from '../runtime/context';
import { type Value, device } from '../runtime/value';
import { type Inputs, type OpSpec, req } from './spec';

/**
 * ONNX's LSTM and GRU nodes with ONNX's weights and gate orders (LSTM i, o, f, c;
 * GRU z, r, h), directions forward / reverse / bidirectional, both layouts,
 * peepholes, clip, GRU's linear_before_reset, and sequence_lens (a sequence's
 * steps past its length keep its state and output zeros; the reverse direction
 * reads each sequence backwards from its own last step).
 *
 * As nn's recurrent layers: the input's share of every step is one matmul, a
 * step is h·Rᵀ plus the gates under its own tidy, and the per-step views come
 * from unstack.
 */

type Kind = 'LSTM' | 'GRU';

const ACTIVATIONS: Record<string, (x: Tensor) => Tensor> = { Sigmoid: T.sigmoid, Tanh: T.tanh, Relu: T.relu };
const DEFAULTS: Record<Kind, string[]> = { LSTM: ['Sigmoid', 'Tanh', 'Tanh'], GRU: ['Sigmoid', 'Tanh'] };
const GATES: Record<Kind, number> = { LSTM: 4, GRU: 3 };

function directions(node: GraphNode): ('forward' | 'reverse')[] {
  const d = node.string('direction', 'forward');
  if (d === 'forward' || d === 'reverse') return [d];
  if (d === 'bidirectional') return ['forward', 'reverse'];
  throw new ShapeError(`${node.where}: direction is '${d}'; expected forward, reverse or bidirectional`);
}

function check(kind: Kind) {
  return (node: GraphNode): string[] => {
    const problems: string[] = [];
    const acts = node.strings('activations', []);
    const unknown = acts.filter((a) => !(a in ACTIVATIONS));
    if (unknown.length > 0) problems.push(`${kind} with activations ${unknown.join(', ')}`);
    if (node.floats('activation_alpha', []).length > 0 || node.floats('activation_beta', []).length > 0)
      problems.push(`${kind} with activation_alpha/beta`);
    if (kind === 'LSTM' && node.int('input_forget', 0) !== 0) problems.push('LSTM with input_forget');
    return problems;
  };
}

interface Parts {
  x: Tensor; // [seq, batch, in]
  w: Tensor; // [dirs, G·H, in]
  r: Tensor; // [dirs, G·H, H]
  b: Tensor | null; // [dirs, 2·G·H]
  lens: Tensor | null; // [batch] int32, only when some sequence is shorter than seq
  h0: Tensor | null; // [dirs, batch, H]
  c0: Tensor | null;
  p: Tensor | null; // [dirs, 3H]
}

function parts(
  kind: Kind,
  node: GraphNode,
  inputs: Inputs,
  ctx: RunContext,
  dirs: number,
  layout: number,
): Parts & { hidden: number } {
  const opt = (i: number, what: string) => (inputs[i] ? ctx.tensor(inputs[i] as Value, node, what) : null);
  let x = ctx.tensor(req(inputs, 0), node, 'input X');
  if (x.rank !== 3) throw new ShapeError(`${node.where}: X must be 3-D, got ${fmtShape(x.shape)}`);
  if (layout === 1) x = T.transpose(x, [1, 0, 2]);
  const [seq, batch, inSize] = x.shape;
  const w = ctx.tensor(req(inputs, 1), node, 'input W');
  const r = ctx.tensor(req(inputs, 2), node, 'input R');
  const g = GATES[kind];
  const hidden = node.int('hidden_size', r.shape[2]);
  const expect = (t: Tensor | null, shape: number[], what: string) => {
    if (t && (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
      throw new ShapeError(
        `${node.where}: ${what} has shape ${fmtShape(t.shape)}; expected ${fmtShape(shape)} (${dirs} direction${dirs > 1 ? 's' : ''}, hidden_size ${hidden}, batch ${batch}, input ${inSize})`,
      );
    }
  };
  expect(w, [dirs, g * hidden, inSize], 'W');
  expect(r, [dirs, g * hidden, hidden], 'R');
  const b = opt(3, 'input B');
  expect(b, [dirs, 2 * g * hidden], 'B');
  let lens = opt(4, 'input sequence_lens');
  expect(lens, [batch], 'sequence_lens');
  const h0In = opt(5, 'input initial_h');
  const c0In = kind === 'LSTM' ? opt(6, 'input initial_c') : null;
  const stateShape = layout === 1 ? [batch, dirs, hidden] : [dirs, batch, hidden];
  expect(h0In, stateShape, 'initial_h');
  expect(c0In, stateShape, 'initial_c');
  const h0 = h0In && layout === 1 ? T.transpose(h0In, [1, 0, 2]) : h0In;
  const c0 = c0In && layout === 1 ? T.transpose(c0In, [1, 0, 2]) : c0In;
  const p = kind === 'LSTM' ? opt(7, 'input P') : null;
  expect(p, [dirs, 3 * hidden], 'P');
  // Lengths that are all the full length change nothing: skip the masks (the common export).
  const lensValue = inputs[4];
  if (lens && lensValue?.kind === 'host' && Array.from(lensValue.data).every((n) => n === seq)) lens = null;
  if (lens && lens.dtype !== 'int32') lens = T.cast(lens, 'int32');
  return { x, w, r, b, lens, h0, c0, p, hidden };
}

/** For each step t and sequence b, the step to read: reversed within each sequence's own length. */
function reverseSteps(x: Tensor, lens: Tensor | null): Tensor {
  if (!lens) return T.flip(x, 0);
  const [seq, batch] = x.shape;
  const t = T.reshape(T.arange(0, seq, 1, 'int32', { backend: x.backend }), [seq, 1]);
  const rev = T.where(T.lt(t, lens), T.sub(T.sub(lens, 1), t), t);
  const flat = T.add(T.mul(rev, batch), T.arange(0, batch, 1, 'int32', { backend: x.backend }));
  return T.reshape(T.gather(T.reshape(x, [seq * batch, -1]), T.reshape(flat, [-1])), x.shape);
}

interface Direction {
  w: Tensor; // [G·H, in]
  r: Tensor; // [G·H, H]
  wb: Tensor | null; // [G·H]
  rb: Tensor | null;
  p: Tensor | null; // [3H]
  h0: Tensor;
  c0: Tensor | null;
  acts: ((x: Tensor) => Tensor)[];
}

/** Runs one direction over x [seq, batch, in]; returns every step's h [seq, batch, H] and the last h (and c). */
function runDirection(
  kind: Kind,
  node: GraphNode,
  x: Tensor,
  d: Direction,
  hidden: number,
  masks: Tensor[] | null,
): [Tensor, Tensor, Tensor | null] {
  const [seq, batch, inSize] = x.shape;
  const H = hidden;
  const clip = node.has('clip') ? node.float('clip') : null;
  const clipped = (t: Tensor) => (clip === null ? t : T.clip(t, -clip, clip));
  const [f, g, h] = d.acts;
  const lbr = kind === 'GRU' && node.intIn('linear_before_reset', 0, [0, 1]) === 1;
  // The input's share of every step at once; for GRU with linear_before_reset=0 the h gate's
  // recurrent bias stays inside the reset product, so only Wb joins here.
  let xw = T.matmul(T.reshape(x, [seq * batch, inSize]), d.w, { transposeB: true });
  if (d.wb) xw = T.add(xw, d.wb);
  if (d.rb && kind === 'LSTM') xw = T.add(xw, d.rb);
  if (d.rb && kind === 'GRU')
    xw = T.add(xw, T.concat([T.slice(d.rb, [0], [2 * H]), T.zeros([H], 'float32', { backend: x.backend })]));
  const steps = seq === 0 ? [] : T.unstack(T.reshape(xw, [seq, batch, -1]), 0);
  let hPrev = d.h0;
  let cPrev = d.c0;
  const ys: Tensor[] = [];
  const rbH = kind === 'GRU' && d.rb ? T.slice(d.rb, [2 * H], [3 * H]) : null;
  const [rZR, rH] =
    kind === 'GRU' ? [T.slice(d.r, [0, 0], [2 * H, H]), T.slice(d.r, [2 * H, 0], [3 * H, H])] : [d.r, d.r];
  for (let t = 0; t < seq; t++) {
    const [hNext, cNext, y] = T.tidy(() => {
      const xt = steps[t];
      let hN: Tensor;
      let cN: Tensor | null = null;
      if (kind === 'LSTM') {
        const gates = T.add(xt, T.matmul(hPrev, d.r, { transposeB: true }));
        const [iIn, oIn, fgIn, c] = T.split(gates, 4, 1);
        let [i, o, fg] = [iIn, oIn, fgIn];
        if (d.p) {
          const [pi, po, pf] = T.split(d.p, 3, 0);
          i = T.add(i, T.mul(pi, cPrev!));
          fg = T.add(fg, T.mul(pf, cPrev!));
          cN = T.add(T.mul(f(clipped(fg)), cPrev!), T.mul(f(clipped(i)), g(clipped(c))));
          o = T.add(o, T.mul(po, cN));
        } else {
          cN = T.add(T.mul(f(clipped(fg)), cPrev!), T.mul(f(clipped(i)), g(clipped(c))));
        }
        hN = T.mul(f(clipped(o)), h(cN));
      } else {
        const [xz, xr, xh] = T.split(xt, 3, 1);
        const [rz, rr] = T.split(T.matmul(hPrev, rZR, { transposeB: true }), 2, 1);
        const z = f(clipped(T.add(xz, rz)));
        const r = f(clipped(T.add(xr, rr)));
        let recurrentH: Tensor;
        if (lbr) {
          let rh = T.matmul(hPrev, rH, { transposeB: true });
          if (rbH) rh = T.add(rh, rbH);
          recurrentH = T.mul(r, rh);
        } else {
          recurrentH = T.matmul(T.mul(r, hPrev), rH, { transposeB: true });
          if (rbH) recurrentH = T.add(recurrentH, rbH);
        }
        const hh = g(clipped(T.add(xh, recurrentH)));
        hN = T.add(T.mul(T.sub(1, z), hh), T.mul(z, hPrev));
      }
      if (masks) {
        const m = T.reshape(masks[t], [batch, 1]);
        hN = T.where(m, hN, hPrev);
        if (cN) cN = T.where(m, cN, cPrev!);
        return [hN, cN, T.where(m, hN, 0)];
      }
      return [hN, cN, hN];
    });
    ys.push(y);
    // Earlier states are each step's own tensors (ys holds its h); the first are the caller's.
    if (t > 0 && hPrev !== ys[t - 1]) hPrev.dispose();
    if (t > 0 && cPrev) cPrev.dispose();
    hPrev = hNext;
    cPrev = cNext;
  }
  const Y = seq === 0 ? T.zeros([0, batch, H], 'float32', { backend: x.backend }) : T.stack(ys, 0);
  return [Y, hPrev, cPrev];
}

function recurrentSpec(kind: Kind): OpSpec {
  const attrs: OpSpec['attrs'] = {
    activation_alpha: 'floats',
    activation_beta: 'floats',
    activations: 'strings',
    clip: 'float',
    direction: 'string',
    hidden_size: 'int',
    layout: 'int',
    ...(kind === 'LSTM' ? { input_forget: 'int' } : { linear_before_reset: 'int' }),
  };
  return {
    attrs,
    inputs: kind === 'LSTM' ? [3, 8] : [3, 6],
    outputs: kind === 'LSTM' ? [0, 3] : [0, 2],
    check: check(kind),
    run: (node, inputs, ctx) => {
      const dirNames = directions(node);
      const dirs = dirNames.length;
      const layout = node.intIn('layout', 0, [0, 1]);
      const names = node.strings('activations', []);
      const per = DEFAULTS[kind].length;
      if (names.length !== 0 && names.length !== per * dirs) {
        throw new ShapeError(
          `${node.where}: activations lists ${names.length} functions; ${kind} needs ${per} per direction (${per * dirs})`,
        );
      }
      const results = T.tidy(() => {
        const pr = parts(kind, node, inputs, ctx, dirs, layout);
        const [seq, batch] = pr.x.shape;
        const H = pr.hidden;
        const G = GATES[kind];
        const masks = pr.lens
          ? T.unstack(T.lt(T.reshape(T.arange(0, seq, 1, 'int32', { backend: pr.x.backend }), [seq, 1]), pr.lens), 0)
          : null;
        const zeros = () => T.zeros([batch, H], 'float32', { backend: pr.x.backend });
        const outs = dirNames.map((name, k) => {
          const pick = (t: Tensor | null) => (t ? T.squeeze(T.slice(t, [k], [k + 1]), 0) : null);
          const b = pick(pr.b);
          const d: Direction = {
            w: pick(pr.w)!,
            r: pick(pr.r)!,
            wb: b ? T.slice(b, [0], [G * H]) : null,
            rb: b ? T.slice(b, [G * H], [2 * G * H]) : null,
            p: pick(pr.p),
            h0: pick(pr.h0) ?? zeros(),
            c0: kind === 'LSTM' ? (pick(pr.c0) ?? zeros()) : null,
            acts: (names.length ? names.slice(k * per, (k + 1) * per) : DEFAULTS[kind]).map((a) => ACTIVATIONS[a]),
          };
          const xs = name === 'reverse' ? reverseSteps(pr.x, pr.lens) : pr.x;
          const [Y, hLast, cLast] = runDirection(kind, node, xs, d, H, masks);
          return [name === 'reverse' ? reverseSteps(Y, pr.lens) : Y, hLast, cLast] as const;
        });
        let Y = T.stack(
          outs.map((o) => o[0]),
          1,
        ); // [seq, dirs, batch, H]
        let Yh = T.stack(
          outs.map((o) => o[1]),
          0,
        ); // [dirs, batch, H]
        let Yc =
          kind === 'LSTM'
            ? T.stack(
                outs.map((o) => o[2]!),
                0,
              )
            : null;
        if (layout === 1) {
          Y = T.transpose(Y, [2, 0, 1, 3]);
          Yh = T.transpose(Yh, [1, 0, 2]);
          if (Yc) Yc = T.transpose(Yc, [1, 0, 2]);
        }
        return Yc ? [Y, Yh, Yc] : [Y, Yh];
      });
      return results.slice(0, node.outputs.length).map((t) => device(t, ONNX.FLOAT));
    },
  };
}

export const RECURRENT_OPS: Record<string, OpSpec> = {
  LSTM: recurrentSpec('LSTM'),
  GRU: recurrentSpec('GRU'),
};
