import '@tsdl/autograd';
import { cpu } from '@tsdl/backend-cpu';
import { CrossEntropyLoss, Linear, ReLU, Sequential } from '@tsdl/nn';
import { Adam } from '@tsdl/optim';
import { type Backend, memory, setBackend, tensor, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { acquireTestGpu, gpuAvailable } from './gpu';
import { data, ints } from './harness';

/**
 * A small MLP trained with Adam through @tsdl/nn and @tsdl/optim: the loss
 * curve on WebGPU follows the CPU backend's for the same seeds, and a long run
 * keeps live tensors, GPU storages and pooled buffers flat.
 */

const gpu = await acquireTestGpu();

const BATCH = 32;
const X = data(BATCH * 8, 21, -1, 1);
const Y = ints(BATCH, 22, 0, 4);

function setup(backend: Backend) {
  setBackend(backend);
  const model = new Sequential(new Linear(8, 32, { seed: 0 }), new ReLU(), new Linear(32, 4, { seed: 1 }));
  const opt = new Adam(model.parameters(), { lr: 0.01 });
  const lossFn = new CrossEntropyLoss();
  const x = tensor(Float32Array.from(X), [BATCH, 8]);
  const y = tensor(Int32Array.from(Y), [BATCH], 'int32');
  const step = () =>
    tidy(() => {
      opt.zeroGrad();
      const loss = lossFn.call(model.call(x), y);
      loss.backward();
      opt.step();
      return loss;
    });
  const dispose = () => {
    opt.dispose();
    model.dispose();
    x.dispose();
    y.dispose();
  };
  return { step, dispose };
}

async function losses(backend: Backend, steps: number): Promise<number[]> {
  const run = setup(backend);
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = run.step();
    out.push((await loss.data())[0]);
    loss.dispose();
  }
  run.dispose();
  return out;
}

describe.runIf(gpuAvailable(gpu, it))('webgpu training', () => {
  it('follows the CPU loss curve of an MLP trained with Adam (same seeds) within 1e-4 relative', async () => {
    const want = await losses(cpu({ name: 'cpu-training' }), 40);
    const got = await losses(gpu.backend('webgpu-training'), 40);
    expect(want[39]).toBeLessThan(want[0] * 0.5); // it learns
    for (let i = 0; i < want.length; i++)
      expect(Math.abs(got[i] - want[i]), `step ${i}: ${got[i]} vs ${want[i]}`).toBeLessThan(1e-4 * want[i] + 1e-6);
  });

  it('updates all four parameters with Adam in one dispatch once the state lives in one block', async () => {
    const g = gpu.backend('webgpu-optimizer');
    const run = setup(g);
    run.step().dispose(); // the first step reads freshly made state: several dispatches
    let dispatches = 0;
    const dispatch = g.rt.dispatch.bind(g.rt);
    g.rt.dispatch = (...args) => {
      if (args[0].key.startsWith('ewg|')) dispatches++;
      dispatch(...args);
    };
    try {
      for (let i = 0; i < 3; i++) run.step().dispose();
    } finally {
      g.rt.dispatch = dispatch;
    }
    expect(dispatches).toBe(3);
    run.dispose();
    g.dispose();
  });

  it('keeps tensors, GPU storages and pooled buffers flat over 1,000 training steps', async () => {
    const g = gpu.backend('webgpu-leak');
    const run = setup(g);
    const snapshot = () => ({ tensors: memory().numTensors, storage: g.memory(), pool: g.poolStats() });
    for (let i = 0; i < 3; i++) run.step().dispose();
    await g.sync();
    const before = snapshot();
    for (let i = 0; i < 1000; i++) {
      const loss = run.step();
      if (i % 100 === 0) await loss.data(); // an occasional read, as a progress bar would
      loss.dispose();
    }
    await g.sync();
    expect(snapshot()).toEqual(before);
    run.dispose();
    expect(g.memory()).toEqual({ buffers: 0, bytes: 0 });
  });
});
