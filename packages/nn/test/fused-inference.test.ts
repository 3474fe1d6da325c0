import { noGrad } from '@tsdl/autograd';
import { type Tensor, dispose, memory, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { GRU, LSTM, RNN } from '../src/index';
import { detTensor, useCpu } from './helpers';

useCpu();

/**
 * Where no gradient can be taken (noGrad, or nothing requires one) nn's LSTM, GRU and RNN run
 * each layer's steps forward-only (fused/forward-only.ts): the recorded op's kernels, keeping
 * only each step's h and the last c instead of the op's whole trace. The outputs must be the
 * recorded path's bit for bit, and after the call memory must hold the outputs and nothing more.
 */

const T = 6;
const B = 4;
const IN = 8;
const H = 16;

const CASES: [string, () => LSTM | GRU | RNN, { lengths?: number[] }][] = [
  [
    'LSTM, 2 layers, bidirectional, lengths',
    () => new LSTM(IN, H, { seed: 1, numLayers: 2, bidirectional: true }),
    {
      lengths: [6, 3, 5, 1],
    },
  ],
  ['LSTM, batchFirst', () => new LSTM(IN, H, { seed: 2, batchFirst: true }), {}],
  ['GRU, bidirectional, lengths', () => new GRU(IN, H, { seed: 3, bidirectional: true }), { lengths: [2, 6, 4, 6] }],
  ['GRU, 2 layers', () => new GRU(IN, H, { seed: 4, numLayers: 2 }), {}],
  ['RNN, bidirectional', () => new RNN(IN, H, { seed: 5, bidirectional: true }), {}],
  ['RNN, lengths', () => new RNN(IN, H, { seed: 6 }), { lengths: [6, 1, 2, 5] }],
];

/** Every tensor a module call returns: the output, then h_n (and the LSTM's c_n). */
function flatten(r: unknown): Tensor[] {
  const [y, s] = r as [Tensor, Tensor | Tensor[]];
  return [y, ...(Array.isArray(s) ? s : [s])];
}

describe.each(CASES)('%s', (_, make, opts) => {
  it('without a gradient: the recorded op bit for bit, and only the outputs left', () => {
    const m = make();
    const batchFirst = m.batchFirst;
    const x = detTensor(batchFirst ? [B, T, IN] : [T, B, IN], 7);
    const call = (): Tensor[] => flatten(m.call(x, null, opts));
    dispose(call());
    const recorded = tidy(() => {
      const outs = call();
      expect(outs[0].gradFn).not.toBeNull();
      return outs.map((t) => Array.from(t.dataSync()));
    });
    expect(recorded[0].some((v) => v !== 0)).toBe(true);
    const dirs = m.bidirectional ? 2 : 1;
    const L = m.numLayers * dirs;
    // The output [T, B, dirs·H] and h_n [L, B, H] (and c_n), each its own storage.
    const expected = 4 * (T * B * dirs * H + L * B * H * (m instanceof LSTM ? 2 : 1));
    const check = (run: () => Tensor[]): void => {
      const before = memory();
      const outs = run();
      const after = memory();
      expect(outs[0].gradFn).toBeNull();
      expect(outs.map((t) => Array.from(t.dataSync()))).toEqual(recorded);
      expect(after.numTensors - before.numTensors).toBe(outs.length);
      expect(after.numBytes - before.numBytes).toBe(expected);
      dispose(outs);
      expect(memory().numTensors).toBe(before.numTensors);
    };
    check(() => noGrad(call));
    // Gradients on, but nothing requires one.
    for (const p of m.parameters()) p.requiresGrad = false;
    check(call);
    x.dispose();
    m.dispose();
  });
});
