import { noGrad } from '@tsdl/autograd';
import { type Tensor, dispose, memory, tensor, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { GRU, LSTM, type Layer, Sequential, SimpleRNN } from '../src/index';
import { seeded, useCpu } from './helpers';

useCpu();

/**
 * Without a gradient (predict, noGrad) the fused LSTM, GRU (resetAfter or not) and SimpleRNN run their steps
 * forward-only (nn's fused/forward-only.ts): the same kernels as the recorded op, keeping only
 * what the outputs need instead of the op's whole trace. The outputs must be the recorded
 * path's bit for bit, and after the call memory must hold the outputs and nothing more.
 */

type Options = {
  returnSequences?: boolean;
  returnState?: boolean;
  goBackwards?: boolean;
  zeroOutputForMask?: boolean;
  masked?: boolean;
};

const CASES: Options[] = [
  {},
  { returnSequences: true },
  { returnState: true },
  { returnSequences: true, returnState: true, goBackwards: true },
  { masked: true, returnSequences: true },
  { masked: true, returnState: true, goBackwards: true },
  { masked: true, returnSequences: true, returnState: true, zeroOutputForMask: true },
  { masked: true, returnState: true, zeroOutputForMask: true, goBackwards: true },
];

const KINDS = [
  { name: 'LSTM', states: 2, make: (u: number, o: Options) => new LSTM({ units: u, ...o, seed: 5 }) },
  {
    name: 'GRU',
    states: 1,
    make: (u: number, o: Options) => new GRU({ units: u, ...o, biasInitializer: 'random_uniform', seed: 5 }),
  },
  {
    name: 'GRU resetAfter false',
    states: 1,
    make: (u: number, o: Options) => new GRU({ units: u, resetAfter: false, ...o, seed: 6 }),
  },
  { name: 'SimpleRNN', states: 1, make: (u: number, o: Options) => new SimpleRNN({ units: u, ...o, seed: 5 }) },
];

const B = 4;
const T = 6;
const F = 8;
const U = 16;

/** Bytes the outputs hold: their distinct storages (a state may be a view of the sequence). */
function bytesHeld(outs: Tensor[]): number {
  const seen = new Set<unknown>();
  let bytes = 0;
  for (const t of outs) {
    const s = (t as unknown as { storage: unknown }).storage;
    if (seen.has(s)) continue;
    seen.add(s);
    bytes += 4 * (s as { size: number }).size;
  }
  return bytes;
}

describe.each(KINDS)('$name without a gradient', ({ states, make }) => {
  it.each(CASES.map((c) => [c]))('%j: the recorded op bit for bit, and only the outputs left', ({ masked, ...o }) => {
    const l = make(U, o);
    const x = seeded([B, T, F], 3);
    const mask = masked
      ? tensor(
          Array.from({ length: B * T }, (_, i) => i % T < [6, 2, 4, 5][Math.floor(i / T)] && i % T !== 1),
          [B, T],
          'bool',
        )
      : null;
    const call = (): Tensor[] => {
      const out = l.call(x, mask ? { mask } : {}) as Tensor | Tensor[];
      return Array.isArray(out) ? out : [out];
    };
    dispose(call());
    // With gradients on (the weights require them) the layer records the op and reads its trace.
    const recorded = tidy(() => {
      const outs = call();
      expect(outs[0].gradFn).not.toBeNull();
      return outs.map((t) => Array.from(t.dataSync()));
    });
    const before = memory();
    const outs = noGrad(call);
    const after = memory();
    expect(outs).toHaveLength(o.returnState ? 1 + states : 1);
    expect(outs[0].gradFn).toBeNull();
    expect(outs.map((t) => Array.from(t.dataSync()))).toEqual(recorded);
    expect(recorded[0].some((v) => v !== 0)).toBe(true);
    expect(after.numTensors - before.numTensors).toBe(outs.length);
    expect(after.numBytes - before.numBytes).toBe(bytesHeld(outs));
    // What that is: the sequence [B, T, U] (or the last output [B, U]) plus, with returnState, each state [B, U]
    // (a state the same storage as the last output counted once).
    const seqBytes = o.returnSequences ? 4 * B * T * U : 4 * B * U;
    const lastIsH = !o.returnSequences && !(masked && o.zeroOutputForMask);
    const stateBytes = o.returnState ? 4 * B * U * (states - (lastIsH ? 1 : 0)) : 0;
    expect(after.numBytes - before.numBytes).toBe(seqBytes + stateBytes);
    dispose(outs);
    expect(memory().numTensors).toBe(before.numTensors);
    dispose([x, ...(mask ? [mask] : [])]);
    l.dispose();
  });
});

describe('predict', () => {
  it.each([
    ['LSTM', (): Layer => new LSTM({ units: U, returnSequences: true, inputShape: [T, F], seed: 1 })],
    ['GRU', (): Layer => new GRU({ units: U, returnSequences: true, inputShape: [T, F], seed: 1 })],
    ['SimpleRNN', (): Layer => new SimpleRNN({ units: U, returnSequences: true, inputShape: [T, F], seed: 1 })],
  ])("%s: a batch's prediction leaves exactly the [B, T, units] output", (_, make) => {
    const m = new Sequential([make()]);
    const x = seeded([B, T, F], 9);
    dispose(m.predict(x) as Tensor);
    const before = memory();
    const y = m.predict(x) as Tensor;
    const after = memory();
    expect(y.shape).toEqual([B, T, U]);
    expect(after.numTensors - before.numTensors).toBe(1);
    expect(after.numBytes - before.numBytes).toBe(4 * B * T * U);
    // The same values as the model called with gradients on (the recorded op's trace).
    const recorded = tidy(() => Array.from((m.call(x) as Tensor).dataSync()));
    expect(Array.from(y.dataSync())).toEqual(recorded);
    dispose([x, y]);
    m.dispose();
  });
});
