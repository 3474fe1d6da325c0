import { cpu } from '@tsdl/backend-cpu';
import { ArgumentError, type Backend, dispose, setBackend } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { Dense, Dropout, type Logs, LambdaCallback, Sequential, optimizers } from '../src/index';
import { blobs, flat, thrown, useCpu } from './helpers';

useCpu();

/**
 * Overlapping calls on one model (un-awaited promises, callbacks calling back
 * into the model): one training loop at a time; evaluations never see a mix
 * of two sets of weights nor leave the model in the wrong mode.
 */

function classifier(dropout = false): Sequential {
  const m = new Sequential([
    new Dense({ units: 8, activation: 'relu', inputShape: [2], seed: 1 }),
    ...(dropout ? [new Dropout({ rate: 0.5, seed: 3 })] : []),
    new Dense({ units: 2, activation: 'softmax', seed: 2 }),
  ]);
  m.compile({
    optimizer: optimizers.Adam({ learningRate: 0.05 }),
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy'],
  });
  return m;
}

/** The weights' values, read without a synchronous read. */
async function readWeights(m: Sequential): Promise<number[][]> {
  const w = m.getWeights();
  const values = await Promise.all(w.map(async (t) => Array.from(await t.data(), Number)));
  dispose(w);
  return values;
}

const weightsOf = (m: Sequential): number[][] => {
  const w = m.getWeights();
  const values = w.map(flat);
  dispose(w);
  return values;
};

describe('one training loop at a time', () => {
  it('a second fit while one runs is refused; the first trains exactly as if alone', async () => {
    const { x, y } = blobs(32, 1);
    const args = { epochs: 3, batchSize: 4, seed: 2, verbose: 0 as const };
    const alone = await classifier().fit(x, y, args);
    const m = classifier();
    const first = m.fit(x, y, args);
    const e = await thrown(() => m.fit(x, y, args));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(
      /sequential\w*\.fit: the model is already being trained by sequential\w*\.fit; a model trains in one loop at a time/,
    );
    expect((await first).history).toEqual(alone.history);
    // Released at the end: the next fit runs.
    expect((await m.fit(x, y, { ...args, epochs: 1 })).epoch).toEqual([0]);
  });

  it('fit and trainOnBatch from a callback of a running fit are refused; the outer fit goes on', async () => {
    const { x, y } = blobs(16, 2);
    const m = classifier();
    const refused: string[] = [];
    const cb = new LambdaCallback({
      onEpochEnd: async (epoch) => {
        if (epoch !== 0) return;
        for (const call of [() => m.fit(x, y, { verbose: 0 }), () => m.trainOnBatch(x, y)]) {
          const e = await thrown(call);
          expect(e).toBeInstanceOf(ArgumentError);
          refused.push(e.message);
        }
      },
    });
    const h = await m.fit(x, y, { epochs: 2, verbose: 0, callbacks: [cb] });
    expect(h.epoch).toEqual([0, 1]);
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatch(/\.fit: the model is already being trained by/);
    expect(refused[1]).toMatch(/\.trainOnBatch: the model is already being trained by/);
  });

  it('the lock is released after a failed fit (also one that fails before training)', async () => {
    const { x, y } = blobs(8, 3);
    const m = classifier();
    await thrown(() => m.fit(x, y, { epochs: 1, verbose: 0, batchSize: 0 }));
    await thrown(() => m.fit(x, y.slice([0], [4]), { verbose: 0 }));
    await thrown(() =>
      m.fit(x, y, {
        epochs: 1,
        verbose: 0,
        callbacks: [
          new LambdaCallback({
            onTrainBegin: () => {
              throw new Error('no');
            },
          }),
        ],
      }),
    );
    expect((await m.fit(x, y, { epochs: 1, verbose: 0 })).epoch).toEqual([0]);
  });
});

describe('evaluate and predict alongside fit', () => {
  it('evaluate and predict from a callback see the weights of that moment, in inference mode; training resumes in training mode', async () => {
    const { x, y } = blobs(16, 4);
    const m = classifier(true);
    const seen: { logs: Logs; pred: number[]; weights: number[][] }[] = [];
    let trainingDuringEpoch = true;
    const cb = new LambdaCallback({
      onEpochEnd: async () => {
        const pred = m.predict(x);
        seen.push({ logs: await m.evaluate(x, y), pred: flat(pred), weights: weightsOf(m) });
        pred.dispose();
      },
      onBatchBegin: () => void (trainingDuringEpoch &&= m.training),
    });
    await m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, callbacks: [cb] });
    expect(trainingDuringEpoch).toBe(true);
    expect(m.training).toBe(true);
    // After the last epoch nothing changed the weights: the callback's values equal the final ones (dropout off).
    const last = seen[1];
    expect(last.weights).toEqual(weightsOf(m));
    expect(await m.evaluate(x, y)).toEqual(last.logs);
    const pred = m.predict(x);
    expect(flat(pred)).toEqual(last.pred);
    pred.dispose();
  });

  it('an evaluate in flight (awaiting device reads) sees one set of weights: fit waits for it before its next step', async () => {
    // As a GPU: no synchronous reads, so evaluate reads (and awaits) every 20 batches.
    const async = Object.create(cpu(), { readSync: { value: undefined }, name: { value: 'cpu-async' } }) as Backend;
    setBackend(async);
    try {
      const { x, y } = blobs(100, 5);
      const m = classifier();
      const initial = await m.evaluate(x, y, { batchSize: 1 });
      const start = await readWeights(m);
      // Not awaited: 100 batches of one, with awaits after batches 20, 40, 60 and 80.
      const during = m.evaluate(x, y, { batchSize: 1 });
      const training = m.fit(x, y, { epochs: 2, batchSize: 10, verbose: 0 });
      expect(await during).toEqual(initial);
      await training;
      expect(await readWeights(m)).not.toEqual(start);
    } finally {
      setBackend(cpu());
    }
  });
});
