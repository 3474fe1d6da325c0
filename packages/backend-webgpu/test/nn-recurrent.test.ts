import '@tsdl/autograd';
import { memory, setBackend } from '@tsdl/tensor';
import { compareClose } from '@tsdl/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
// The cases and their runner live with @tsdl/nn's own parity test (fixtures written by PyTorch).
import { loadCases, runCase } from '../../nn/test/rnn-fixtures';
import { acquireTestGpu, gpuAvailable } from './gpu';

/**
 * nn's recurrent layers on WebGPU against the same PyTorch fixtures the CPU
 * backend meets: outputs, final states and every gradient, within 1e-5.
 * A few cases cover the paths (lengths masks, both directions, batch-first,
 * projection, GRU's per-step bias) without repeating the whole CPU table.
 */

const gpu = await acquireTestGpu();

const CASES = [
  ['lstm', 'LSTM 2 layers, bidirectional, seq-first, lengths [4, 2, 3], h0'],
  ['lstm', 'LSTM projSize 2 2 layers, bidirectional, batch-first, no h0'],
  ['gru', 'GRU 1 layer, batch-first, lengths [3, 5, 1], h0'],
  ['rnn', 'RNN relu 2 layers, bidirectional, seq-first, lengths [4, 2, 3], h0'],
  ['cells', 'GRUCell'],
] as const;

describe.runIf(gpuAvailable(gpu, it))('webgpu: nn recurrent layers against PyTorch', () => {
  beforeAll(() => {
    setBackend(gpu.backend('webgpu-recurrent'));
  });

  for (const [file, name] of CASES) {
    it(name, async () => {
      const c = loadCases(file).find((k) => k.name === name);
      if (!c) throw new Error(`no case '${name}' in ${file}.json`);
      const before = memory().numTensors;
      const r = runCase(c);
      try {
        for (const [what, got, want] of r.pairs) {
          expect(got.shape, what).toEqual(want.shape);
          const msg = compareClose(await got.data(), want.data, { atol: 1e-5, rtol: 1e-5 });
          expect(msg, `${what}: ${msg}`).toBeNull();
        }
      } finally {
        r.dispose();
      }
      expect(memory().numTensors).toBe(before);
    });
  }
});
