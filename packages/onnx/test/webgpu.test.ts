import { dispose, memory, setBackend } from '@tsdl/tensor';
import { expectAllClose } from '@tsdl/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOnnx } from '../src/index';
import { type FixtureName, fixture, fixtureBytes, fixtureInputs } from './fixtures';
import { acquireTestGpu, gpuAvailable } from './gpu';

/**
 * The same PyTorch exports on WebGPU (SwiftShader without a GPU): the graph's
 * shape arithmetic stays on the host, so a backend without synchronous reads
 * runs it, and the outputs match PyTorch's within 1e-4.
 */

const gpu = await acquireTestGpu();
afterAll(() => gpu.backend?.dispose());

const ON_GPU: FixtureName[] = ['cnn', 'transformer_dynamic', 'lstm', 'packed_rnn'];

describe.runIf(gpuAvailable(gpu, it))('PyTorch exports on WebGPU', () => {
  for (const name of ON_GPU) {
    it(`${name}: matches PyTorch within 1e-4`, async () => {
      setBackend(gpu.backend!);
      const f = fixture(name);
      const before = memory().numTensors;
      const model = loadOnnx(fixtureBytes(name), { name: `${name}.onnx` });
      expect(model.backend).toBe(gpu.backend);
      const inputs = fixtureInputs(f);
      const out = model.run(inputs);
      for (const [k, want] of Object.entries(f.outputs)) {
        expect(out[k].shape, `${name} ${k}`).toEqual(want.shape);
        expectAllClose(await out[k].data(), want.data, { atol: 1e-4, rtol: 1e-4 }, `${name} ${k}`);
      }
      dispose([out, inputs]);
      model.dispose();
      expect(memory().numTensors).toBe(before);
    });
  }
});
