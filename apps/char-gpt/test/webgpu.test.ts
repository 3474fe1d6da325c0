import { cpu } from '@tsdl/backend-cpu';
import { type Backend, memory, setBackend } from '@tsdl/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Corpus, loadCorpus } from '../src/data';
import { recipeWith } from '../src/recipe';
import { sampleText } from '../src/sample';
import { type RunResult, runTraining } from '../src/train';
import { Trainer } from '../src/trainer';
import { acquireTestGpu, gpuAvailable } from './gpu';
import { TINY } from './tiny';

/**
 * The reduced run (1 layer, E 32, context 16, 30 iterations) on WebGPU and on
 * the CPU with the same seed. Random numbers are counter-based with the same
 * formulas on both backends and the batches come from the app's own
 * generator, so the runs differ only by float32 rounding: every step's loss
 * and both evaluations must agree to 1e-3.
 */

const gpu = await acquireTestGpu();
afterAll(() => gpu.backend?.dispose());

let corpus: Corpus;
beforeAll(async () => {
  corpus = await loadCorpus();
});

async function run(backend: Backend): Promise<{ r: RunResult; text: string }> {
  setBackend(backend);
  const t = Trainer.create(corpus.vocab, recipeWith(TINY), 0);
  try {
    const r = await runTraining(t, corpus);
    return { r, text: await sampleText(t.model, t.vocab, { chars: 10, seed: 2 }) };
  } finally {
    t.dispose();
  }
}

describe('char-gpt on WebGPU', () => {
  if (!gpuAvailable(gpu, it)) return;

  it("trains the reduced model to the CPU backend's losses (1e-3) and frees what it made", async () => {
    const c = await run(cpu());
    const before = memory().numTensors;
    const g = await run(gpu.backend!);
    expect(memory().numTensors).toBe(before);
    expect(g.r.stepLosses).toHaveLength(30);
    for (let i = 0; i < 30; i++)
      expect(Math.abs(g.r.stepLosses[i] - c.r.stepLosses[i]), `step ${i + 1}`).toBeLessThan(1e-3);
    expect(g.r.evals.map((e) => e.iter)).toEqual([15, 30]);
    for (let i = 0; i < 2; i++) {
      expect(Math.abs(g.r.evals[i].train - c.r.evals[i].train)).toBeLessThan(1e-3);
      expect(Math.abs(g.r.evals[i].val - c.r.evals[i].val)).toBeLessThan(1e-3);
    }
    expect(c.r.stepLosses[29]).toBeLessThan(c.r.stepLosses[0] - 0.8);
    expect([...g.text].every((ch) => corpus.vocab.has(ch))).toBe(true);
    expect([...g.text]).toHaveLength(10);
  }, 180_000);
});
