import '@tsdl/autograd';
import { collect, disposeMlp, exposeGc, makeMlp, runLeakyTraining, tidyStep } from '@tsdl/test-utils';
import { memory, setBackend } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { acquireTestGpu, gpuAvailable } from './gpu';

/**
 * The GC safety net on WebGPU: a training loop that never calls tidy() or dispose() keeps
 * GPU storage bounded by what it leaks between garbage collections. Buffers freed by the
 * net go back through the backend's ordinary free (the pool, or destroyed after the batch
 * that uses them is submitted), and nothing in use is freed: the weights match a tidy
 * loop's exactly.
 */

const gpu = await acquireTestGpu();
const gc = await exposeGc();
const STEPS = 2000;
const COLLECT_EVERY = 100;

describe.runIf(gpuAvailable(gpu, it))('webgpu: tensors nobody can reach', () => {
  it(`${STEPS} leaky SGD steps keep GPU memory within ${COLLECT_EVERY} steps of leaks and train like a tidy loop`, async () => {
    const backend = gpu.backend('webgpu-leaky');
    setBackend(backend);
    const m = makeMlp(backend);
    const r = await runLeakyTraining(m, backend, gc, STEPS, COLLECT_EVERY);
    // The loop really leaks: each step leaves handles and GPU bytes behind until a collection.
    expect(r.stepHandles).toBeGreaterThanOrEqual(10);
    expect(r.stepBytes).toBeGreaterThan(0);
    expect(r.peakBytes).toBeGreaterThanOrEqual(r.baseBytes + (COLLECT_EVERY - 1) * r.stepBytes);
    // ... and the net gives them back: at most one collection interval of leaks, and after
    // each collection at most two steps' worth (what the engine's frames still hold).
    expect(r.peakBytes).toBeLessThanOrEqual(r.baseBytes + (COLLECT_EVERY + 1) * r.stepBytes);
    expect(r.settledBytes).toBeLessThanOrEqual(r.baseBytes + 2 * r.stepBytes);
    expect(r.endBytes).toBeLessThanOrEqual(2 * r.stepBytes);
    expect(r.endHandles).toBeLessThanOrEqual(2 * r.stepHandles);
    expect(r.reclaimed).toBeGreaterThanOrEqual((STEPS - 2) * r.stepHandles);
    expect(r.lastLoss).toBeLessThan(r.firstLoss / 100);

    // The same steps under tidy: bit-identical weights, so no buffer in use was freed (a
    // pooled buffer handed to a later kernel while still in use would change them).
    const ref = makeMlp(backend);
    for (let i = 0; i < STEPS + 1; i++) tidyStep(ref);
    expect(Array.from(await m.w1.data())).toEqual(Array.from(await ref.w1.data()));
    expect(Array.from(await m.w2.data())).toEqual(Array.from(await ref.w2.data()));
    disposeMlp(m);
    disposeMlp(ref);
    await collect(gc);
    memory();
    expect(backend.memory()).toEqual({ buffers: 0, bytes: 0 });
  });
});
