import { memory } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { expectClose, useCpu } from './helpers';
import { loadCases, runCase } from './rnn-fixtures';

useCpu();

/**
 * RNN (tanh, relu), LSTM (with and without projSize), GRU and the cells
 * against PyTorch (fixtures/make_rnn_fixtures.py): outputs, final states and
 * the gradients of a fixed projection of them with respect to the input, the
 * initial states and every parameter, for one and two layers, one and two
 * directions, batch-first or not, with and without lengths, unbatched.
 */

for (const file of ['rnn', 'lstm', 'gru', 'cells'] as const) {
  describe(`PyTorch parity: ${file}.json`, () => {
    for (const c of loadCases(file)) {
      it(c.name, () => {
        const before = memory().numTensors;
        const r = runCase(c);
        try {
          for (const [name, got, want] of r.pairs) {
            expect(got, `${name} is missing`).toBeTruthy();
            expect(got.shape, `${name} shape`).toEqual(want.shape);
            try {
              expectClose(got, want.data, 1e-5, 1e-5);
            } catch (e) {
              throw new Error(`${c.name}: ${name}: ${(e as Error).message}`);
            }
          }
        } finally {
          r.dispose();
        }
        expect(memory().numTensors).toBe(before);
      });
    }
  });
}
