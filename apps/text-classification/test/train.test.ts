import { useBackend } from '@tsdl/app-cli';
import { memory, seed, tensor } from '@tsdl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { type SpamData, loadSpamData } from '../src/data';
import { buildRecurrentModel } from '../src/model';
import { REDUCED_CONFIG, REDUCED_OPTIONS, reducedData } from './reduced';
import { trainBagOfWords, trainRecurrent } from '../src/train';

let full: SpamData;
beforeAll(async () => {
  await useBackend('cpu');
  full = await loadSpamData({ seed: 0 });
});

describe('text-classification data', () => {
  it('splits 6,046 emails 80/20 by class and shuffles the training order (validationSplit takes the last 10%)', () => {
    expect(full.train.texts.length + full.test.texts.length).toBe(6046);
    const spam = (l: Int32Array): number => l.reduce((s, v) => s + v, 0);
    expect(spam(full.train.labels) + spam(full.test.labels)).toBe(1896);
    expect(full.test.texts.length).toBe(1209);
    // The corpus is grouped by class; after the shuffle the last 10% holds spam at about the overall rate (31%).
    const tail = full.train.labels.slice(Math.floor(full.train.labels.length * 0.9));
    expect(spam(tail) / tail.length).toBeGreaterThan(0.2);
    expect(spam(tail) / tail.length).toBeLessThan(0.42);
  });
});

describe('the bag-of-words baseline on the full split (CPU)', () => {
  it('reaches at least 97% held-out accuracy on the 1,209 test emails', async () => {
    const before = memory().numTensors;
    // The app's settings; its default run measured 98.01% (6 epochs, the 5th kept).
    const r = await trainBagOfWords(full, { epochs: 20, batchSize: 32, seed: 0, verbose: 0 });
    expect(r.test.tp + r.test.fp + r.test.tn + r.test.fn).toBe(1209);
    expect(r.test.accuracy).toBeGreaterThanOrEqual(0.97);
    expect(r.test.f1).toBeGreaterThanOrEqual(0.95);
    expect(r.vocabularySize).toBe(10_000);
    expect(memory().numTensors).toBe(before);
    console.log(
      `text-classification bag of words: held-out accuracy ${r.test.accuracy}, F1 ${r.test.f1}; ${r.epochsRun} epochs`,
    );
  }, 90_000);
});

describe('text-classification on the CPU (reduced)', () => {
  it('a reduced BiLSTM run: the loss falls and the held-out metrics add up', async () => {
    const before = memory().numTensors;
    const r = await trainRecurrent(reducedData(full), REDUCED_OPTIONS, REDUCED_CONFIG);
    const loss = r.history.history.loss;
    expect(loss).toHaveLength(REDUCED_OPTIONS.epochs);
    // Starting near ln 2 (a balanced guess), and lower after a second epoch.
    expect(Math.abs(loss[0] - Math.log(2))).toBeLessThan(0.1);
    expect(loss[1]).toBeLessThan(loss[0]);
    const t = r.test;
    expect(t.tp + t.fp + t.tn + t.fn).toBe(200);
    expect(t.tp + t.fn).toBe(reducedData(full).test.labels.reduce((s, v) => s + v, 0));
    expect(t.accuracy).toBeCloseTo((t.tp + t.tn) / 200, 12);
    expect(r.vocabularySize).toBe(REDUCED_CONFIG.maxTokens);
    expect(memory().numTensors).toBe(before);
    console.log(
      `text-classification reduced: losses ${loss.map((l) => l.toFixed(4)).join(', ')}; held-out accuracy ${t.accuracy}`,
    );
  }, 60_000);

  it('keeps memory() flat over 1,000 trainOnBatch steps of a tiny BiLSTM (8 emails of 6 tokens, LSTM 4)', async () => {
    const start = memory().numTensors;
    seed(4);
    const texts = full.train.texts.slice(0, 8);
    const m = buildRecurrentModel(texts, { maxTokens: 50, sequenceLength: 6, embeddingDim: 4, lstmUnits: 4 });
    m.compile({ optimizer: 'adam', loss: 'binary_crossentropy' });
    const y = tensor(Float32Array.from(full.train.labels.slice(0, 8)), [8, 1]);
    const before = memory();
    const after: { numTensors: number; numBytes: number }[] = [];
    const losses: number[] = [];
    for (let i = 0; i < 1000; i++) {
      losses.push((await m.trainOnBatch(texts, y)).loss);
      const { numTensors, numBytes } = memory();
      after.push({ numTensors, numBytes });
    }
    const first = after[0];
    const drift = after.findIndex((a) => a.numTensors !== first.numTensors || a.numBytes !== first.numBytes);
    expect(
      drift,
      `after step ${drift + 1}: ${JSON.stringify(after[drift])}; after step 1: ${JSON.stringify(first)}`,
    ).toBe(-1);
    // What the first step leaves is the optimizer's state: freeing it and the model gives back every tensor.
    expect(first.numTensors).toBeGreaterThan(before.numTensors);
    // And it learns: eight emails, 1,000 steps at Adam's default rate.
    expect(losses[999]).toBeLessThan(losses[0] * 0.8);
    m.optimizer?.dispose();
    m.dispose();
    y.dispose();
    expect(memory().numTensors).toBe(start);
  }, 120_000);
});
