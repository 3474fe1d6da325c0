import { cpu } from '@tsdl/backend-cpu';
import { type Backend, setBackend } from '@tsdl/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpamData, loadSpamData } from '../src/data';
import { trainRecurrent } from '../src/train';
import { acquireTestGpu, gpuAvailable } from './gpu';
import { REDUCED_CONFIG, REDUCED_OPTIONS, reducedData } from './reduced';

/**
 * The reduced BiLSTM run of train.test.ts on WebGPU (SwiftShader without a GPU) beside the
 * CPU backend: the same seeded weights and batch order, so the two differ only by float32
 * rounding, and each epoch's loss must agree to 1e-3.
 */

const gpu = await acquireTestGpu();
afterAll(() => gpu.backend?.dispose());

const TOL = 1e-3;

let data: SpamData;
beforeAll(async () => {
  data = reducedData(await loadSpamData({ seed: 0 }));
});

async function run(backend: Backend) {
  setBackend(backend);
  return trainRecurrent(data, REDUCED_OPTIONS, REDUCED_CONFIG);
}

describe('text-classification on WebGPU', () => {
  if (!gpuAvailable(gpu, it)) return;
  const webgpu = gpu.backend as Backend;

  it(`follows the CPU's epoch losses within ${TOL} (400 emails, 32 tokens each, BiLSTM ${REDUCED_CONFIG.lstmUnits})`, async () => {
    const c = await run(cpu());
    const g = await run(webgpu);
    for (const key of ['loss', 'val_loss']) {
      const cl = c.history.history[key];
      const gl = g.history.history[key];
      expect(gl).toHaveLength(REDUCED_OPTIONS.epochs);
      cl.forEach((l, e) =>
        expect(Math.abs(gl[e] - l), `${key} epoch ${e + 1}: cpu ${l}, webgpu ${gl[e]}`).toBeLessThanOrEqual(TOL),
      );
    }
    expect(c.history.history.loss[1]).toBeLessThan(c.history.history.loss[0]);
    // Held-out decisions agree except where a probability lies within rounding of 0.5.
    expect(Math.abs(g.test.accuracy - c.test.accuracy)).toBeLessThanOrEqual(0.01);
    console.log(
      `text-classification webgpu vs cpu: losses ${g.history.history.loss.join(', ')} vs ${c.history.history.loss.join(', ')}; accuracy ${g.test.accuracy} vs ${c.test.accuracy}`,
    );
  }, 180_000);
});
