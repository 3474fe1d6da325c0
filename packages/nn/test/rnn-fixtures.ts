import { readFileSync } from 'node:fs';
import { type Tensor, tensor, tidy } from '@tsdl/tensor';
import { GRU, GRUCell, LSTM, LSTMCell, type Module, RNN, RNNCell } from '../src/index';

/**
 * The PyTorch reference cases written by fixtures/make_rnn_fixtures.py, and
 * one function that runs a case here: same state dict, input, initial states
 * and loss Σ output·dOutput + Σ h_n·dH (+ Σ c_n·dC), then backward.
 */

export interface Encoded {
  shape: number[];
  data: number[];
}

export interface RnnCase {
  name: string;
  module: 'RNN' | 'LSTM' | 'GRU' | 'RNNCell' | 'LSTMCell' | 'GRUCell';
  options: Record<string, unknown>;
  stateDict: Record<string, Encoded>;
  input: Encoded;
  lengths?: number[] | null;
  h0: Encoded | null;
  c0: Encoded | null;
  dOutput?: Encoded;
  dH: Encoded;
  dC: Encoded | null;
  output?: Encoded;
  hN: Encoded;
  cN: Encoded | null;
  grads: { input: Encoded; h0: Encoded | null; c0: Encoded | null; params: Record<string, Encoded> };
}

export function loadCases(file: 'rnn' | 'lstm' | 'gru' | 'cells'): RnnCase[] {
  const url = new URL(`./fixtures/${file}.json`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: RnnCase[] }).cases;
}

const CTORS = { RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell } as const;

export function makeModule(c: RnnCase): Module {
  const Ctor = CTORS[c.module] as unknown as new (o: Record<string, unknown>) => Module;
  const m = new Ctor({ ...c.options });
  const dict: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(c.stateDict)) dict[k] = tensor(v.data, v.shape);
  m.loadStateDict(dict);
  for (const t of Object.values(dict)) t.dispose();
  return m;
}

/** What a case computes, as tensors the caller reads and disposes. */
export interface CaseResult {
  /** [name, got, want] for every compared value: output, states and gradients. */
  pairs: [string, Tensor, Encoded][];
  dispose(): void;
}

function leafOf(e: Encoded): Tensor {
  const t = tensor(e.data, e.shape);
  t.requiresGrad = true;
  return t;
}

/** Runs a case on the active backend (forward, loss, backward). */
export function runCase(c: RnnCase): CaseResult {
  const m = makeModule(c);
  const x = leafOf(c.input);
  const h0 = c.h0 ? leafOf(c.h0) : null;
  const c0 = c.c0 ? leafOf(c.c0) : null;
  const kept = tidy(() => {
    let out: Tensor | null = null;
    let h: Tensor;
    let cell: Tensor | null = null;
    const isLstm = c.module === 'LSTM' || c.module === 'LSTMCell';
    const hx = isLstm ? (h0 && c0 ? [h0, c0] : null) : h0;
    const call = m.call as unknown as (...a: unknown[]) => unknown;
    if (c.module.endsWith('Cell')) {
      const r = call.call(m, x, hx);
      if (isLstm) [h, cell] = r as [Tensor, Tensor];
      else h = r as Tensor;
    } else {
      const r = call.call(m, x, hx, c.lengths ? { lengths: c.lengths } : undefined) as [
        Tensor,
        Tensor | [Tensor, Tensor],
      ];
      out = r[0];
      if (isLstm) [h, cell] = r[1] as [Tensor, Tensor];
      else h = r[1] as Tensor;
    }
    let loss = h.mul(tensor(c.dH.data, c.dH.shape)).sum();
    if (out && c.dOutput) loss = loss.add(out.mul(tensor(c.dOutput.data, c.dOutput.shape)).sum());
    if (cell && c.dC) loss = loss.add(cell.mul(tensor(c.dC.data, c.dC.shape)).sum());
    loss.backward();
    return { out, h, cell };
  });
  const pairs: [string, Tensor, Encoded][] = [];
  if (kept.out && c.output) pairs.push(['output', kept.out, c.output]);
  pairs.push(['h_n', kept.h, c.hN]);
  if (kept.cell && c.cN) pairs.push(['c_n', kept.cell, c.cN]);
  pairs.push(['grad input', x.grad as Tensor, c.grads.input]);
  if (h0 && c.grads.h0) pairs.push(['grad h0', h0.grad as Tensor, c.grads.h0]);
  if (c0 && c.grads.c0) pairs.push(['grad c0', c0.grad as Tensor, c.grads.c0]);
  const params = new Map(m.namedParameters());
  for (const [k, g] of Object.entries(c.grads.params)) pairs.push([`grad ${k}`, params.get(k)?.grad as Tensor, g]);
  return {
    pairs,
    dispose() {
      for (const t of [kept.out, kept.h, kept.cell]) t?.dispose();
      for (const t of [x, h0, c0]) {
        t?.zeroGrad();
        t?.dispose();
      }
      m.dispose();
    },
  };
}
