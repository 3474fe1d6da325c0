import { cpu } from '@tsdl/backend-cpu';
import { dispose, memory, setBackend } from '@tsdl/tensor';
import { expectAllClose } from '@tsdl/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOnnx } from '../src/index';
import { FIXTURES, fixture, fixtureBytes, fixtureInputs } from './fixtures';

/**
 * Models exported by PyTorch 1.13's torch.onnx.export (test/fixtures/make_onnx_fixtures.py):
 * tsdl's outputs on the fixed inputs match PyTorch's within 1e-4.
 */

beforeAll(() => setBackend(cpu({ name: 'onnx-parity-cpu' })));

describe('PyTorch exports on the CPU', () => {
  for (const name of FIXTURES) {
    it(`${name}: every output matches PyTorch within 1e-4`, async () => {
      const f = fixture(name);
      const model = loadOnnx(fixtureBytes(name), { name: `${name}.onnx` });
      expect(model.inputNames).toEqual(Object.keys(f.inputs));
      expect(model.outputNames).toEqual(Object.keys(f.outputs));
      const inputs = fixtureInputs(f);
      const out = model.run(inputs);
      for (const [k, want] of Object.entries(f.outputs)) {
        expect(out[k].shape, `${name} ${k}`).toEqual(want.shape);
        expectAllClose(await out[k].data(), want.data, { atol: 1e-4, rtol: 1e-4 });
      }
      dispose(out);
      dispose(inputs);
      model.dispose();
    });
  }

  it('runs leave memory() as it was', () => {
    const model = loadOnnx(fixtureBytes('transformer_dynamic'));
    const inputs = fixtureInputs(fixture('transformer_dynamic'));
    const before = memory();
    for (let i = 0; i < 3; i++) dispose(model.run(inputs));
    const after = memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    dispose(inputs);
    model.dispose();
  });
});
