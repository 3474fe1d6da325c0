import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpu } from '@tsdl/backend-cpu';
import { CharVocabulary } from '@tsdl/data-text';
import { ArgumentError, DataFormatError, memory, setBackend } from '@tsdl/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE } from '../src/checkpoint';
import { type Corpus, Rng, loadCorpus, sampleBatch } from '../src/data';
import { CharGpt } from '../src/model';
import { progressLine } from '../src/progress';
import { recipeWith } from '../src/recipe';
import { sampleText } from '../src/sample';
import { runTraining } from '../src/train';
import { Trainer } from '../src/trainer';
import { TINY } from './tiny';

/**
 * The app's data rules, model, sampling, checkpoints and a reduced training
 * run on the CPU backend (1 layer, E 32, context 16, batch 8).
 */

setBackend(cpu());
let corpus: Corpus;
let dir: string;
beforeAll(async () => {
  corpus = await loadCorpus();
  dir = await mkdtemp(join(tmpdir(), 'char-gpt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('data', () => {
  it('splits Moby-Dick by position: 90% train, the rest validation, 81 characters', () => {
    const n = corpus.train.length + corpus.val.length;
    expect(corpus.train.length).toBe(Math.floor(n * 0.9));
    expect(corpus.vocab.size).toBe(81);
    // Chapter 1 opens the training text; the epilogue closes validation.
    expect(corpus.vocab.decode(corpus.train.subarray(0, 18))).toBe('Call me Ishmael. S');
    expect(corpus.vocab.decode(corpus.val.subarray(corpus.val.length - 8))).toBe('orphan.\n');
  });

  it("draws nanoGPT's windows: y is x shifted by one, starts below len − steps", () => {
    const ids = Int32Array.from({ length: 20 }, (_, i) => i);
    const b = sampleBatch(ids, 50, 5, new Rng(7));
    for (let r = 0; r < 50; r++) {
      const x = Array.from(b.x.subarray(r * 5, r * 5 + 5));
      const y = Array.from(b.y.subarray(r * 5, r * 5 + 5));
      expect(y).toEqual(x.map((v) => v + 1));
      expect(x[0]).toBeLessThan(15);
    }
    expect(Array.from(sampleBatch(ids, 3, 5, new Rng(7)).x)).toEqual(Array.from(b.x.subarray(0, 15))); // a seed fixes the draws
    expect(() => sampleBatch(ids, 1, 20, new Rng(0))).toThrow(/too few/);
  });
});

describe('model', () => {
  it('has nanoGPT-named parameters, a tied head, and 0.8M parameters in the CPU recipe', () => {
    const m = new CharGpt({ vocabSize: 81, nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 64 }, 0);
    // nanoGPT's count for this shape with 65 characters is 0.80M; here 81 characters: 128·16 more.
    expect(m.numParameters()).toBe(
      81 * 128 + 64 * 128 + 4 * (2 * 128 + 128 * 384 + 128 * 128 + 128 * 512 + 512 * 128) + 128,
    );
    const names = m.namedParameters().map(([n]) => n);
    expect(names.slice(0, 4)).toEqual(['wte.weight', 'wpe.weight', 'h.0.ln_1.weight', 'h.0.attn.c_attn.weight']);
    expect(names).not.toContain('lm_head.weight');
    // c_proj starts at 0.02/√8; the others at 0.02.
    const std = (n: string) => {
      const v = Array.from(m.stateDict()[n].dataSync());
      return Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
    };
    expect(std('h.0.mlp.c_fc.weight')).toBeCloseTo(0.02, 3);
    expect(std('h.0.mlp.c_proj.weight')).toBeCloseTo(0.02 / Math.sqrt(8), 3);
    m.dispose();
    expect(() => new CharGpt({ vocabSize: 8, nLayer: 1, nHead: 3, nEmbd: 32, blockSize: 4 })).toThrow(
      /multiple of nHead/,
    );
  });

  it("is causal: changing a later character leaves the earlier positions' logits unchanged", async () => {
    const m = new CharGpt({ vocabSize: 10, nLayer: 1, nHead: 2, nEmbd: 8, blockSize: 6 }, 3);
    const { tensor } = await import('@tsdl/tensor');
    const a = m.call(tensor([[1, 2, 3, 4, 5, 6]], [1, 6], 'int32')).dataSync();
    const b = m.call(tensor([[1, 2, 3, 9, 5, 6]], [1, 6], 'int32')).dataSync();
    expect(Array.from(b.subarray(0, 30))).toEqual(Array.from(a.subarray(0, 30)));
    expect(Math.abs(b[30] - a[30])).toBeGreaterThan(1e-6);
    expect(() => m.call(tensor(new Int32Array(7), [1, 7], 'int32'))).toThrow(/context holds 1 to 6/);
    m.dispose();
  });
});

describe('a reduced training run (1 layer, E 32, context 16)', () => {
  it('brings the loss down from about ln 81, samples vocabulary characters, frees everything', async () => {
    const before = memory();
    const t = Trainer.create(corpus.vocab, recipeWith(TINY), 0);
    const r = await runTraining(t, corpus);
    expect(r.stepLosses).toHaveLength(30);
    expect(r.stepLosses.every(Number.isFinite)).toBe(true);
    // Untrained, the logits are near 0 (weights of std 0.02): the loss is ln 81 = 4.39.
    expect(Math.abs(r.stepLosses[0] - Math.log(81))).toBeLessThan(0.05);
    const lastFive = r.stepLosses.slice(-5).reduce((a, b) => a + b, 0) / 5;
    // 30 steps reach character frequencies (the unigram entropy is about 3.2 nats).
    expect(lastFive).toBeLessThan(3.4);
    expect(r.evals.map((e) => e.iter)).toEqual([15, 30]);
    expect(r.evals[1].val).toBeLessThan(3.4);

    const text = await sampleText(t.model, t.vocab, { chars: 60, seed: 1 });
    expect([...text]).toHaveLength(60);
    expect([...text].every((c) => t.vocab.has(c))).toBe(true);
    expect(await sampleText(t.model, t.vocab, { chars: 60, seed: 1 })).toBe(text); // a seed gives the same text
    // top-k 1 is greedy: the same for every seed.
    expect(await sampleText(t.model, t.vocab, { chars: 20, topK: 1, seed: 2 })).toBe(
      await sampleText(t.model, t.vocab, { chars: 20, topK: 1, seed: 5 }),
    );
    await expect(sampleText(t.model, t.vocab, { prompt: 'naive ☃' })).rejects.toThrow(
      /character "☃" at position 6 is not in the vocabulary/,
    );
    await expect(sampleText(t.model, t.vocab, { temperature: 0 })).rejects.toThrow(ArgumentError);
    await expect(sampleText(t.model, t.vocab, { top_k: 3 } as never)).rejects.toThrow(/unknown option 'top_k'/);
    t.dispose();
    const after = memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.backends.cpu.bytes).toBe(before.backends.cpu.bytes);
  }, 60_000);

  it('resumes from a checkpoint with the same next-step loss as an uninterrupted run', async () => {
    const recipe = recipeWith({ ...TINY, iters: 12, evalInterval: 6 });
    const straight = Trainer.create(corpus.vocab, recipe, 4);
    const full = await runTraining(straight, corpus);
    straight.dispose();

    const first = Trainer.create(corpus.vocab, recipe, 4);
    await runTraining(first, corpus, { stopAt: 6, checkpoint: dir });
    first.dispose();
    const before = memory().numTensors;
    const resumed = await Trainer.resume(dir);
    expect(resumed.iter).toBe(6);
    // Epoch 6 of warm-up 3 and cosine to 12: 1e-4 + (1e-2 − 1e-4)·(1 + cos(π·3/9))/2.
    expect(resumed.schedule.getLr()).toBeCloseTo(1e-4 + 0.0099 * 0.75, 12);
    const rest = await runTraining(resumed, corpus);
    expect(rest.stepLosses).toHaveLength(6);
    // Weights, AdamW moments, schedule and generators all come back: the losses are the uninterrupted run's.
    expect(rest.stepLosses).toEqual(full.stepLosses.slice(6));
    expect(rest.evals).toEqual([{ ...full.evals[1], seconds: rest.evals[0].seconds }]);
    resumed.dispose();
    expect(memory().numTensors).toBe(before);
  }, 60_000);

  it('rejects a damaged checkpoint with a DataFormatError naming the file, freeing what it read', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'char-gpt-bad-'));
    try {
      await expect(Trainer.resume(bad)).rejects.toThrow(/ckpt\.safetensors: cannot read the checkpoint \(ENOENT\)/);
      const bytes = await readFile(join(dir, CHECKPOINT_FILE));
      await writeFile(join(bad, CHECKPOINT_FILE), bytes.subarray(0, bytes.length - 4));
      const before = memory().numTensors;
      await expect(Trainer.resume(bad)).rejects.toThrow(DataFormatError);
      expect(memory().numTensors).toBe(before);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });

  it('keeps live tensors and backend bytes flat over 1,000 steps (E 8, context 4)', async () => {
    const before = memory();
    const t = Trainer.create(
      corpus.vocab,
      recipeWith({
        ...TINY,
        iters: 1000,
        batchSize: 2,
        evalInterval: 1000,
        evalIters: 1,
        model: { nLayer: 1, nHead: 2, nEmbd: 8, blockSize: 4 },
      }),
      1,
    );
    const r = await runTraining(t, corpus, { recordMemory: true });
    expect(r.memoryAfterStep).toHaveLength(1000);
    const first = r.memoryAfterStep[0];
    // The parameters and AdamW's two moments of each are all that live.
    expect(first.numTensors - before.numTensors).toBe(t.model.parameters().length * 3);
    const drift = r.memoryAfterStep.findIndex((m) => m.numTensors !== first.numTensors || m.bytes !== first.bytes);
    expect(
      drift,
      `memory after step ${drift + 1}: ${JSON.stringify(r.memoryAfterStep[drift])}, after step 1: ${JSON.stringify(first)}`,
    ).toBe(-1);
    t.dispose();
    expect(memory().numTensors).toBe(before.numTensors);
  }, 60_000);
});

describe('progress and vocabulary', () => {
  it('draws the bar from the iteration count', () => {
    expect(progressLine(1000, 2000, 1.23456, 2.5, 10)).toBe('[#####.....] 1000/2000 loss 1.2346 2.50 it/s');
    expect(progressLine(0, 2000, 4.4, 0, 4)).toBe('[....] 0/2000 loss 4.4000 0.00 it/s');
  });

  it('samples with a vocabulary that matches the model only', async () => {
    const m = new CharGpt({ vocabSize: 3, nLayer: 1, nHead: 1, nEmbd: 4, blockSize: 4 }, 0);
    await expect(sampleText(m, new CharVocabulary(['a', 'b']), { prompt: 'a' })).rejects.toThrow(
      /2 characters, the model 3/,
    );
    expect(
      [...(await sampleText(m, new CharVocabulary(['a', 'b', 'c']), { prompt: 'abcab', chars: 9 }))].every((c) =>
        'abc'.includes(c),
      ),
    ).toBe(true);
    m.dispose();
  });
});
