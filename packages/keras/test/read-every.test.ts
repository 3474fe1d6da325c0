import { cpu } from '@tsdl/backend-cpu';
import { type Backend, setBackend } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { Dense, LambdaCallback, type Logs, Sequential, optimizers } from '../src/index';
import { blobs, useCpu } from './helpers';

useCpu();

/**
 * When fit reads the running loss/metric sums from the device (README,
 * "Reads of the loss on a GPU"): every batch on the CPU, every `readEvery`
 * batches (default 20) on a backend without synchronous reads.
 */

function classifier(): Sequential {
  const m = new Sequential([
    new Dense({ units: 4, activation: 'relu', inputShape: [2], seed: 1 }),
    new Dense({ units: 2, activation: 'softmax', seed: 2 }),
  ]);
  m.compile({
    optimizer: optimizers.Adam({ learningRate: 0.02 }),
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy'],
  });
  return m;
}

/** Fits 2 epochs of `n` samples in batches of 4 and records onBatchEnd's batches and logs. */
async function record(
  n: number,
  readEvery?: number,
): Promise<{ batches: number[]; logs: Logs[]; epochLoss: number[] }> {
  const { x, y } = blobs(n, 3);
  const batches: number[] = [];
  const logs: Logs[] = [];
  const h = await classifier().fit(x, y, {
    epochs: 2,
    batchSize: 4,
    shuffle: false,
    verbose: 0,
    readEvery,
    callbacks: [new LambdaCallback({ onBatchEnd: (b, l) => void (batches.push(b), logs.push({ ...l })) })],
  });
  return { batches, logs, epochLoss: h.history.loss };
}

/** The CPU backend without its synchronous read, as a GPU backend presents itself to fit. */
function withoutReadSync(b: Backend): Backend {
  return Object.create(b, { readSync: { value: undefined }, name: { value: 'cpu-async' } }) as Backend;
}

describe('fit: reads of the running sums', () => {
  it('on the CPU, gives onBatchEnd fresh running means every batch', async () => {
    const r = await record(40); // 10 batches per epoch
    expect(r.batches).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The last batch's running mean is the epoch's loss.
    expect(r.logs[9].loss).toBeCloseTo(r.epochLoss[0], 6);
    expect(r.logs[19].loss).toBeCloseTo(r.epochLoss[1], 6);
  });

  it('with readEvery 3, calls onBatchEnd every 3rd batch and at the epoch end, with the same values as per-batch reads', async () => {
    const every = await record(40);
    const r = await record(40, 3);
    expect(r.batches).toEqual([2, 5, 8, 9, 2, 5, 8, 9]);
    const same = [2, 5, 8, 9, 12, 15, 18, 19];
    same.forEach((k, i) => {
      expect(r.logs[i].loss).toBeCloseTo(every.logs[k].loss, 6);
      expect(r.logs[i].accuracy).toBeCloseTo(every.logs[k].accuracy, 6);
    });
    expect(r.epochLoss).toEqual(every.epochLoss);
  });

  it('on a backend without synchronous reads, reads every 20 batches by default', async () => {
    setBackend(withoutReadSync(cpu()));
    try {
      const r = await record(120); // 30 batches per epoch
      expect(r.batches).toEqual([19, 29, 19, 29]);
      expect(r.logs[1].loss).toBeCloseTo(r.epochLoss[0], 6);
    } finally {
      setBackend(cpu());
    }
  });

  it('rejects a readEvery that is not a positive integer', async () => {
    await expect(record(8, 0)).rejects.toThrow(/readEvery must be a positive integer, got 0/);
  });
});
