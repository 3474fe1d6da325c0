import { cpu } from '@tsdl/backend-cpu';
import { type Backend, memory, setBackend } from '@tsdl/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NameData, loadNameData } from '../src/data';
import { sampleNames } from '../src/sample';
import { type TrainOptions, trainNameGenerator } from '../src/train';
import { acquireTestGpu, gpuAvailable } from './gpu';

/**
 * The reduced training run on WebGPU (SwiftShader without a GPU) beside the
 * CPU backend. The initial weights come from the counter-based generator, the
 * same on both backends, and the batches from the app's own order, so the two
 * runs differ only by float32 rounding: every step's loss must agree to 1e-3.
 */

const gpu = await acquireTestGpu();
afterAll(() => gpu.backend?.dispose());

const TOL = 1e-3;
const REDUCED: TrainOptions = { epochs: 1, batchSize: 32, seed: 0, maxSteps: 12, embedding: 16, hidden: 32, lr: 1e-2 };

let data: NameData;
beforeAll(async () => {
  data = await loadNameData();
});

async function run(backend: Backend, o: TrainOptions) {
  setBackend(backend);
  const r = await trainNameGenerator(data, o);
  try {
    const names = await sampleNames(r.model, data.vocab, { count: 20, seed: 5 });
    return { ...r, names };
  } finally {
    r.model.dispose();
  }
}

describe('name-generator on WebGPU', () => {
  if (!gpuAvailable(gpu, it)) return;
  const webgpu = gpu.backend as Backend;

  it(`follows the CPU's per-step losses within ${TOL} (${REDUCED.maxSteps} steps of ${REDUCED.batchSize} names, GRU ${REDUCED.hidden})`, async () => {
    const c = await run(cpu(), REDUCED);
    const g = await run(webgpu, REDUCED);
    expect(g.stepLosses).toHaveLength(REDUCED.maxSteps as number);
    expect(Math.abs(c.stepLosses[0] - Math.log(28))).toBeLessThan(0.1);
    expect(c.stepLosses.at(-1)).toBeLessThan(c.stepLosses[0] - 0.3);
    const worst = Math.max(...c.stepLosses.map((l, s) => Math.abs(g.stepLosses[s] - l)));
    console.log(
      `name-generator webgpu vs cpu: worst per-step loss difference ${worst.toExponential(2)}; val ${g.epochs[0].valLoss} vs ${c.epochs[0].valLoss}`,
    );
    c.stepLosses.forEach((l, s) =>
      expect(Math.abs(g.stepLosses[s] - l), `step ${s + 1}: cpu ${l}, webgpu ${g.stepLosses[s]}`).toBeLessThanOrEqual(
        TOL,
      ),
    );
    expect(Math.abs(g.epochs[0].valLoss - c.epochs[0].valLoss)).toBeLessThanOrEqual(TOL);
    for (const n of g.names)
      expect(
        [...n].every((ch) => ch !== '.' && data.vocab.has(ch)),
        n,
      ).toBe(true);
    // The same seed draws the same uniforms on both backends; a name differs only where a
    // draw falls within rounding of a category boundary.
    expect(g.names.filter((n, i) => n === c.names[i]).length).toBeGreaterThanOrEqual(18);
  }, 120_000);

  it('keeps live tensors and GPU bytes flat over 50 steps (GRU 8, 8 names a step; the CPU test runs 1,000)', async () => {
    setBackend(webgpu);
    const before = memory();
    const r = await trainNameGenerator(data, {
      epochs: 1,
      batchSize: 8,
      seed: 1,
      maxSteps: 50,
      embedding: 4,
      hidden: 8,
      recordMemory: true,
    });
    const first = r.memoryAfterStep[0];
    expect(r.memoryAfterStep).toHaveLength(50);
    expect(first.numTensors - before.numTensors).toBe(r.model.parameters().length * 3);
    const drift = r.memoryAfterStep.findIndex((m) => m.numTensors !== first.numTensors || m.bytes !== first.bytes);
    expect(
      drift,
      `memory after step ${drift + 1}: ${JSON.stringify(r.memoryAfterStep[drift])}, after step 1: ${JSON.stringify(first)}`,
    ).toBe(-1);
    r.model.dispose();
    expect(memory().numTensors).toBe(before.numTensors);
  }, 120_000);
});
