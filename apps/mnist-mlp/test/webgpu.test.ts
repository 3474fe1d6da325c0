import { cpu } from '@tsdl/backend-cpu';
import { Callback, LambdaCallback, type Logs } from '@tsdl/keras';
import { type Backend, dropout, ones, seed, setBackend } from '@tsdl/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { trainMnistMlp } from '../src/train';
import { acquireTestGpu, gpuAvailable } from './gpu';

/**
 * The README's MNIST MLP, reduced (600 training images, batch 32, 1 epoch:
 * 19 Adam steps; 500 test images), on WebGPU and on the CPU with the same
 * seed. Random numbers are counter-based with the same formulas on both
 * backends, so the initial weights and the dropout masks are the same and
 * the two runs differ only by float32 rounding (the CPU evaluates
 * elementwise expressions in float64): every batch's loss must agree to 1e-3
 * relative. About 10 s on SwiftShader.
 */

const gpu = await acquireTestGpu();
afterAll(() => gpu.backend?.dispose());

const LIMIT = 600;
const BATCH = 32;
const REL_TOL = 1e-3;

interface Run {
  /** The first weight tensor's values before the first step. */
  initialKernel: number[];
  /** The backend the weights lived on. */
  backend: string;
  /** Each batch's own mean loss, recovered from the running means fit reports. */
  batchLosses: number[];
  test: Logs;
}

async function run(backend: Backend): Promise<Run> {
  setBackend(backend);
  const runningMeans: number[] = [];
  const recorder = new LambdaCallback({
    onBatchEnd: (_b, logs) => void runningMeans.push(logs?.loss ?? NaN),
  });
  const weights = new InitialKernel();
  // readEvery 1: a read every batch on the GPU too, so every batch's loss is seen.
  const { test } = await trainMnistMlp({
    epochs: 1,
    batchSize: BATCH,
    seed: 0,
    limit: LIMIT,
    testLimit: 500,
    verbose: 0,
    readEvery: 1,
    callbacks: [weights, recorder],
  });
  const seen = (s: number) => Math.min((s + 1) * BATCH, LIMIT);
  const batchLosses = runningMeans.map(
    (mean, s) =>
      (mean * seen(s) - (s > 0 ? runningMeans[s - 1] * seen(s - 1) : 0)) / (seen(s) - (s > 0 ? seen(s - 1) : 0)),
  );
  return { initialKernel: weights.values, backend: weights.backend, batchLosses, test };
}

/** Reads the first Dense kernel before training starts. */
class InitialKernel extends Callback {
  values: number[] = [];
  backend = '';
  override async onTrainBegin(): Promise<void> {
    const all = this.model.getWeights();
    this.backend = all[0].backend.name;
    this.values = Array.from(await all[0].data());
    for (const t of all) t.dispose();
  }
}

describe('mnist-mlp on WebGPU', () => {
  if (!gpuAvailable(gpu, it)) return;
  const webgpu = gpu.backend as Backend;

  it('draws the same dropout mask as the CPU for the same seed', async () => {
    const mask = async (backend: Backend) => {
      setBackend(backend);
      seed(0);
      const y = dropout(ones([32, 128]), 0.2);
      const values = await y.data();
      y.dispose();
      return values;
    };
    const onCpu = await mask(cpu());
    const onGpu = await mask(webgpu);
    const dropped = onCpu.filter((v) => v === 0).length / onCpu.length;
    expect(dropped).toBeGreaterThan(0.15); // a real mask, not all kept
    expect(dropped).toBeLessThan(0.25);
    expect(Array.from(onGpu)).toEqual(Array.from(onCpu));
  });

  it(`follows the CPU's per-batch loss curve within ${REL_TOL} relative (${LIMIT} images, batch ${BATCH})`, async () => {
    const c = await run(cpu());
    const g = await run(webgpu);
    expect([c.backend, g.backend]).toEqual(['cpu', 'webgpu']);
    expect(g.initialKernel).toEqual(c.initialKernel);
    expect(c.batchLosses).toHaveLength(Math.ceil(LIMIT / BATCH));
    expect(g.batchLosses).toHaveLength(c.batchLosses.length);
    // Untrained, the loss is about ln 10 = 2.30; 19 Adam steps bring it well down.
    expect(c.batchLosses[0]).toBeGreaterThan(2.0);
    expect(c.batchLosses[0]).toBeLessThan(2.7);
    expect(c.batchLosses.at(-1)).toBeLessThan(1.5);
    const worst = Math.max(...c.batchLosses.map((l, s) => Math.abs(g.batchLosses[s] - l) / Math.abs(l)));
    console.log(
      `mnist-mlp webgpu vs cpu: worst per-batch relative loss difference ${worst.toExponential(2)} over ${c.batchLosses.length} batches`,
    );
    c.batchLosses.forEach((l, s) =>
      expect(Math.abs(g.batchLosses[s] - l), `batch ${s}: cpu ${l}, webgpu ${g.batchLosses[s]}`).toBeLessThanOrEqual(
        REL_TOL * Math.abs(l),
      ),
    );
    expect(Math.abs(g.test.loss - c.test.loss)).toBeLessThanOrEqual(REL_TOL * c.test.loss);
    expect(Math.abs(g.test.accuracy - c.test.accuracy)).toBeLessThanOrEqual(2 / 500); // at most 2 of 500 digits flip
  }, 120_000);
});
