import { crossEntropy } from '@tsdl/nn';
import { type Tensor, getBackend, memory } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { Dense, Sequential, optimizers } from '../src/index';
import { blobs, flat, useCpu } from './helpers';

useCpu();

/**
 * A 2 → 8 → 2 classifier with seeded weights, ending in `activation`. Plain SGD by default:
 * its step is proportional to the gradient, where Adam's hardly changes with its scale.
 */
function classifier(
  activation: 'softmax' | 'linear',
  loss: Parameters<Sequential['compile']>[0]['loss'],
  adam = false,
): Sequential {
  const m = new Sequential([
    new Dense({ units: 8, activation: 'relu', inputShape: [2], seed: 1 }),
    new Dense({ units: 2, activation, seed: 2 }),
  ]);
  // Accuracy only where the loss names sparse labels (a custom loss would pick the one-hot variant).
  const optimizer = adam ? optimizers.Adam({ learningRate: 0.05 }) : optimizers.SGD({ learningRate: 0.5 });
  m.compile({ optimizer, loss, metrics: typeof loss === 'string' ? ['accuracy'] : [] });
  return m;
}

/** Calls of the active backend's methods `names` while `fn` runs. */
async function callsDuring(names: string[], fn: () => Promise<unknown>): Promise<Record<string, number>> {
  const b = getBackend() as unknown as Record<string, (...a: unknown[]) => unknown>;
  const counts: Record<string, number> = {};
  const saved = names.map((n) => b[n]);
  names.forEach((n, i) => {
    counts[n] = 0;
    b[n] = (...a: unknown[]) => {
      counts[n]++;
      return saved[i].apply(b, a);
    };
  });
  try {
    await fn();
  } finally {
    names.forEach((n, i) => (b[n] = saved[i]));
  }
  return counts;
}

describe('the training step', () => {
  it('differentiating the batch sum with a 1/m seed gives the mean loss gradient: the same weights as a mean-loss loop, over uneven batches', async () => {
    // fused: softmax output + sparse categorical cross-entropy → the logits' batch sum, seed 1/m.
    // meanLoss: linear output + a custom loss (no batch sum) → backward of the mean itself.
    const { x, y } = blobs(10, 3);
    const fused = classifier('softmax', 'sparse_categorical_crossentropy');
    const meanLoss = classifier('linear', function sce(yTrue: Tensor, logits: Tensor) {
      return crossEntropy(logits, yTrue);
    });
    // Batches of 3, 3, 3, 1: the seeds 1/3 and 1/1.
    const a = await fused.fit(x, y, { epochs: 3, batchSize: 3, shuffle: false, verbose: 0 });
    const b = await meanLoss.fit(x, y, { epochs: 3, batchSize: 3, shuffle: false, verbose: 0 });
    // Bitwise: 1/m is the same float32 whether written as the seed or divided on the device.
    expect(fused.getWeights().map(flat)).toEqual(meanLoss.getWeights().map(flat));
    for (let e = 0; e < 3; e++) expect(a.history.loss[e]).toBeCloseTo(b.history.loss[e], 6);
    // The weights moved: the comparison is not of two untrained models.
    expect(a.history.loss[2]).toBeLessThan(a.history.loss[0]);
  });

  it('with a fused loss computes no output activation and reads no labels per step; memory stays flat', async () => {
    const { x, y } = blobs(64, 4);
    const m = classifier('softmax', 'sparse_categorical_crossentropy', true);
    await m.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    const before = memory();
    const calls = await callsDuring(['softmax', 'readSync'], () =>
      m.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 }),
    );
    // The loss and the accuracy read the logits; the softmax would be a wasted kernel.
    expect(calls.softmax).toBe(0);
    // The labels' range is read once per label storage (already read by the first fit), not per batch.
    expect(calls.readSync).toBe(0);
    expect(memory().numTensors).toBe(before.numTensors);
    expect(memory().backends[getBackend().name]).toEqual(before.backends[getBackend().name]);
  });

  it("a shuffled fit writes each epoch's permutation once and reads nothing back per batch", async () => {
    const { x, y } = blobs(64, 6);
    const m = classifier('softmax', 'sparse_categorical_crossentropy', true);
    await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    const calls = await callsDuring(['write', 'readSync'], () => m.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0 }));
    // Per epoch: the permutation and the two running sums' zeros (loss, accuracy); per fit: the
    // 1/8 seed. The gathers' range check takes the permutation's range from its host values
    // when written, so nothing is read back.
    expect(calls.write).toBe(3 * (1 + 2) + 1);
    expect(calls.readSync).toBe(0);
  });

  it('trainOnBatch reports the batch mean loss', async () => {
    const { x, y } = blobs(6, 5);
    const m = classifier('softmax', 'sparse_categorical_crossentropy');
    const before = await m.evaluate(x, y, { batchSize: 6 });
    const logs = await m.trainOnBatch(x, y);
    expect(logs.loss).toBeCloseTo(before.loss, 6);
    expect(logs.accuracy).toBeCloseTo(before.accuracy, 10);
  });
});
