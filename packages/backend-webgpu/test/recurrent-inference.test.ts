import { noGrad } from '@tsdl/autograd';
import { GRU, LSTM, type Layer, SimpleRNN } from '@tsdl/keras';
import { type Tensor, dispose, memory, setBackend, tensor, tidy } from '@tsdl/tensor';
import { seededNumbers } from '@tsdl/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { acquireTestGpu, gpuAvailable } from './gpu';

/**
 * keras' fused recurrent layers on WebGPU without a gradient: nn's forward-only run (the
 * recorded op's kernels, keeping only the states the outputs need) gives the recorded op's
 * values exactly, and leaves only the outputs' bytes behind. A small case per layer, masked.
 */

const gpu = await acquireTestGpu();

const B = 2;
const T = 4;
const F = 3;
const U = 5;

const LAYERS: [string, () => Layer, number][] = [
  ['LSTM', () => new LSTM({ units: U, returnSequences: true, returnState: true, seed: 1 }), 2],
  ['GRU', () => new GRU({ units: U, returnSequences: true, returnState: true, seed: 2 }), 1],
  [
    'GRU resetAfter false',
    () => new GRU({ units: U, resetAfter: false, returnSequences: true, returnState: true, seed: 4 }),
    1,
  ],
  ['SimpleRNN', () => new SimpleRNN({ units: U, returnSequences: true, returnState: true, seed: 3 }), 1],
];

describe.runIf(gpuAvailable(gpu, it))('webgpu: fused recurrent layers without a gradient', () => {
  beforeAll(() => {
    setBackend(gpu.backend('webgpu-recurrent-inference'));
  });

  it.each(LAYERS)('%s: the recorded values, and only the outputs left', async (_, make, states) => {
    const l = make();
    const x = tensor(seededNumbers(B * T * F, 4, -1, 1), [B, T, F]);
    const mask = tensor([true, true, false, true, true, false, false, false], [B, T], 'bool');
    const call = (): Tensor[] => l.call(x, { mask }) as Tensor[];
    dispose(call());
    const recordedOuts = tidy(() => call().map((t) => t.clone()));
    expect(recordedOuts).toHaveLength(1 + states);
    const recorded = await Promise.all(recordedOuts.map(async (t) => Array.from(await t.data())));
    dispose(recordedOuts);
    const before = memory();
    const outs = noGrad(call);
    const after = memory();
    expect(outs[0].gradFn).toBeNull();
    expect(after.numTensors - before.numTensors).toBe(outs.length);
    // The sequence [B, T, U] and each final state [B, U], each its own buffer.
    expect(after.numBytes - before.numBytes).toBe(4 * (B * T * U + states * B * U));
    const got = await Promise.all(outs.map(async (t) => Array.from(await t.data())));
    expect(got).toEqual(recorded);
    expect(got[0].some((v) => v !== 0)).toBe(true);
    dispose([...outs, x, mask]);
    l.dispose();
  });
});
