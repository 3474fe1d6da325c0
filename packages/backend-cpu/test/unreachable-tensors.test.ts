import '@tsdl/autograd';
import { collect, disposeMlp, exposeGc, makeMlp, runLeakyTraining, tidyStep } from '@tsdl/test-utils';
import { matmul, memory, relu, setBackend, sum, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { cpu } from '../src/index';

/**
 * The GC safety net on the CPU backend: a training loop that never calls tidy() or
 * dispose() keeps the backend's memory bounded by what it leaks between garbage
 * collections, and frees nothing still in use (its weights match a tidy loop's exactly).
 */

const gc = await exposeGc();
const STEPS = 2000;
const COLLECT_EVERY = 100;

// Retried: what a collection reclaims depends on when V8 runs it, which a busy machine shifts.
describe('cpu: tensors nobody can reach', { retry: 2 }, () => {
  it(`${STEPS} leaky SGD steps keep memory within ${COLLECT_EVERY} steps of leaks and train like a tidy loop`, async () => {
    const backend = setBackend(cpu({ name: 'cpu-leaky' }));
    const m = makeMlp(backend);
    const r = await runLeakyTraining(m, backend, gc, STEPS, COLLECT_EVERY);
    // The loop really leaks: each step leaves handles and bytes behind until a collection.
    expect(r.stepHandles).toBeGreaterThanOrEqual(10);
    expect(r.stepBytes).toBeGreaterThan(0);
    expect(r.peakBytes).toBeGreaterThanOrEqual(r.baseBytes + (COLLECT_EVERY - 1) * r.stepBytes);
    // ... and the net gives it back: never more than one collection interval of leaks, and
    // after each collection at most two steps' worth (what the engine's frames still hold).
    expect(r.peakBytes).toBeLessThanOrEqual(r.baseBytes + (COLLECT_EVERY + 1) * r.stepBytes);
    expect(r.settledBytes).toBeLessThanOrEqual(r.baseBytes + 2 * r.stepBytes);
    expect(r.endBytes).toBeLessThanOrEqual(2 * r.stepBytes);
    expect(r.endHandles).toBeLessThanOrEqual(2 * r.stepHandles);
    expect(r.reclaimed).toBeGreaterThanOrEqual((STEPS - 2) * r.stepHandles);
    expect(r.lastLoss).toBeLessThan(r.firstLoss / 100);

    // The same steps under tidy: bit-identical weights, so the net freed nothing in use.
    const ref = makeMlp(backend);
    for (let i = 0; i < STEPS + 1; i++) tidyStep(ref);
    expect(Array.from(m.w1.dataSync())).toEqual(Array.from(ref.w1.dataSync()));
    expect(Array.from(m.w2.dataSync())).toEqual(Array.from(ref.w2.dataSync()));
    disposeMlp(m);
    disposeMlp(ref);
    await collect(gc);
    memory();
    expect(backend.memory()).toEqual({ buffers: 0, bytes: 0 });
  });

  it('a dropped graph (forward without backward) gives back the tensors its nodes saved', async () => {
    const backend = setBackend(cpu({ name: 'cpu-graph' }));
    const w = tensor([
      [0.5, -1],
      [2, 0.25],
    ]);
    w.requiresGrad = true;
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    const forward = (): void => {
      // relu saves its input, matmul both operands: the nodes retain storages no handle owns.
      sum(relu(matmul(relu(matmul(x, w)), w)));
    };
    // memory() first: it releases what collected handles held, so the backend's count is current.
    const bytes = () => (memory(), backend.memory());
    forward();
    await collect(gc);
    const base = bytes();
    forward();
    const oneStep = bytes().bytes - base.bytes;
    expect(oneStep).toBeGreaterThan(0);
    for (let i = 0; i < 1000; i++) {
      forward();
      if (i % 100 === 99) await collect(gc);
    }
    await collect(gc);
    expect(bytes()).toEqual(base);
    w.dispose();
    x.dispose();
    expect(backend.memory()).toEqual({ buffers: 0, bytes: 0 });
  });

  it('a dropped leaf is collected after the graph that holds it', async () => {
    const backend = setBackend(cpu({ name: 'cpu-leaf' }));
    const m0 = memory();
    // In a function of its own, so no local of the test keeps the leaf or the loss.
    ((): void => {
      const w = tensor([
        [1, -2],
        [3, 4],
      ]);
      w.requiresGrad = true;
      sum(relu(matmul(w, w)));
    })();
    expect(backend.memory().buffers).toBeGreaterThan(1);
    // The loss's node holds the leaf handle until the loss's references are released, so
    // this takes more than one collection.
    let collections = 0;
    while (memory().numTensors > m0.numTensors && collections < 5) {
      await collect(gc);
      collections++;
    }
    expect(collections).toBeGreaterThanOrEqual(2);
    const m1 = memory();
    expect(m1.numTensors).toBe(m0.numTensors);
    expect(m1.reclaimed).toBe(m0.reclaimed + 4);
    expect(backend.memory()).toEqual({ buffers: 0, bytes: 0 });
  });
});
