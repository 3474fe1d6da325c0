import { ArgumentError, ShapeError, concat, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { Dense, Dropout, History, Sequential, optimizers } from '../src/index';
import { blobs, expectValues, flat, thrown, useCpu } from './helpers';

useCpu();

/** A 2 → 8 → 2 softmax classifier with seeded weights. */
function classifier(lr = 0.02): Sequential {
  const m = new Sequential([
    new Dense({ units: 8, activation: 'relu', inputShape: [2], seed: 1 }),
    new Dense({ units: 2, activation: 'softmax', seed: 2 }),
  ]);
  m.compile({
    optimizer: optimizers.Adam({ learningRate: lr }),
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy'],
  });
  return m;
}

describe('fit', () => {
  it('separates two Gaussian blobs (≥ 95% on held-out data) and returns a History per epoch', async () => {
    const train = blobs(240, 1);
    const test = blobs(200, 77);
    const m = classifier();
    const before = await m.evaluate(test.x, test.y);
    const h = await m.fit(train.x, train.y, { epochs: 8, batchSize: 16, verbose: 0, seed: 3 });
    expect(h).toBeInstanceOf(History);
    expect(h.epoch).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Object.keys(h.history)).toEqual(['loss', 'accuracy']);
    for (const values of Object.values(h.history)) expect(values).toHaveLength(8);
    expect(h.history.loss[7]).toBeLessThan(h.history.loss[0]);
    expect(h.history.accuracy[7]).toBeGreaterThanOrEqual(0.95);
    const after = await m.evaluate(test.x, test.y);
    expect(after.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(after.loss).toBeLessThan(before.loss / 2);
  });

  it('with the learning rate at 0, epoch logs are the sample-weighted mean over uneven batches (= evaluate)', async () => {
    const { x, y } = blobs(10, 5);
    const m = classifier(0);
    const h = await m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
    const e = await m.evaluate(x, y, { batchSize: 3 });
    expect(h.history.loss[0]).toBeCloseTo(e.loss, 6);
    expect(h.history.loss[1]).toBeCloseTo(e.loss, 6);
    expect(h.history.accuracy[0]).toBeCloseTo(e.accuracy, 10);
  });

  it('validationSplit holds out the last samples and reports val_ metrics equal to evaluate on them', async () => {
    const { x, y } = blobs(100, 2);
    const m = classifier();
    const h = await m.fit(x, y, { epochs: 3, batchSize: 16, validationSplit: 0.25, verbose: 0 });
    expect(Object.keys(h.history)).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    for (const values of Object.values(h.history)) expect(values).toHaveLength(3);
    const val = await m.evaluate(x.slice([75]), y.slice([75]));
    expect(h.history.val_loss[2]).toBeCloseTo(val.loss, 6);
    expect(h.history.val_accuracy[2]).toBeCloseTo(val.accuracy, 10);
  });

  it('validationData produces val_ metrics on the given data', async () => {
    const train = blobs(80, 3);
    const val = blobs(40, 4);
    const m = classifier();
    const h = await m.fit(train.x, train.y, { epochs: 2, batchSize: 16, validationData: [val.x, val.y], verbose: 0 });
    expect(Object.keys(h.history)).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    const e = await m.evaluate(val.x, val.y);
    expect(h.history.val_loss[1]).toBeCloseTo(e.loss, 6);
    expect(h.history.val_accuracy[1]).toBeCloseTo(e.accuracy, 10);
    // The caller's validation tensors stay alive.
    expect(flat(val.y)).toEqual(val.labels);
  });

  it('is reproducible: same weights, data and seed give the same history; shuffle false differs from shuffled', async () => {
    const { x, y } = blobs(64, 6);
    const run = async (args: { seed?: number; shuffle?: boolean }) =>
      (await classifier().fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, ...args })).history.loss;
    expect(await run({ seed: 1 })).toEqual(await run({ seed: 1 }));
    expect(await run({ seed: 1 })).not.toEqual(await run({ seed: 2 }));
    expect(await run({ shuffle: false })).toEqual(await run({ shuffle: false }));
  });

  it('initialEpoch starts the epoch count there', async () => {
    const { x, y } = blobs(16, 7);
    const h = await classifier().fit(x, y, { epochs: 4, initialEpoch: 2, verbose: 0 });
    expect(h.epoch).toEqual([2, 3]);
  });
});

describe('evaluate, predict, trainOnBatch', () => {
  it('evaluate computes the loss and metrics of known weights exactly', async () => {
    // Logits = x itself (identity kernel, zero bias) → softmax probabilities of x.
    const m = new Sequential([
      new Dense({ units: 2, activation: 'softmax', kernelInitializer: 'zeros', inputShape: [2] }),
    ]);
    m.layers[0].namedWeights()[0][1].assign(
      tensor([
        [1, 0],
        [0, 1],
      ]),
    );
    m.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const x = tensor([
      [2, 0],
      [0, 1],
      [1, 3],
    ]);
    const y = tensor([0, 0, 1], [3], 'int32');
    const nll = (a: number, b: number) => Math.log(Math.exp(a) + Math.exp(b)) - a;
    const expected = (nll(2, 0) + nll(0, 1) + nll(3, 1)) / 3;
    for (const batchSize of [1, 2, 32]) {
      const logs = await m.evaluate(x, y, { batchSize });
      expect(logs.loss).toBeCloseTo(expected, 6);
      expect(logs.accuracy).toBeCloseTo(2 / 3, 10);
    }
  });

  it('predict in batches equals predict in one batch, in inference mode (dropout off)', async () => {
    const m = new Sequential([
      new Dense({ units: 16, activation: 'relu', inputShape: [3], seed: 1 }),
      new Dropout(0.5),
      new Dense({ units: 2, seed: 2 }),
    ]);
    const x = tensor(
      Array.from({ length: 30 }, (_, i) => Math.sin(i)),
      [10, 3],
    );
    const whole = m.predict(x, { batchSize: 100 });
    expect(whole.shape).toEqual([10, 2]);
    expect(flat(m.predict(x, { batchSize: 3 }))).toEqual(flat(whole));
    expect(flat(m.predict(x))).toEqual(flat(whole));
    // Equal to the network without the dropout layer, and the model stays in training mode afterwards.
    const h = m.layers[0].call(x);
    expectValues(whole, flat(m.layers[2].call(h)));
    expect(m.training).toBe(true);
  });

  it('trainOnBatch returns the loss and metrics and reduces the loss', async () => {
    const { x, y } = blobs(32, 8);
    const m = classifier(0.05);
    const first = await m.trainOnBatch(x, y);
    expect(Object.keys(first)).toEqual(['loss', 'accuracy']);
    let last = first;
    for (let i = 0; i < 30; i++) last = await m.trainOnBatch(x, y);
    expect(last.loss).toBeLessThan(first.loss / 2);
    expect(last.accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it('a binary classifier with a sigmoid output trains with binary_crossentropy', async () => {
    const { x, labels } = blobs(64, 9);
    const y = tensor(labels, [64, 1]);
    const m = new Sequential([new Dense({ units: 1, activation: 'sigmoid', inputShape: [2], seed: 4 })]);
    m.compile({ optimizer: optimizers.SGD({ learningRate: 0.5 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
    const h = await m.fit(x, y, { epochs: 5, batchSize: 8, verbose: 0 });
    expect(h.history.accuracy[4]).toBeGreaterThanOrEqual(0.95);
    const p = flat(m.predict(x));
    expect(p.every((v) => v > 0 && v < 1)).toBe(true);
  });
});

describe('bad input', () => {
  it('fit, evaluate and trainOnBatch with different numbers of samples name both shapes', async () => {
    const m = classifier();
    const x = tensor(new Array(20).fill(0), [10, 2]);
    const y = tensor(new Array(9).fill(0), [9], 'int32');
    for (const op of [() => m.fit(x, y, { verbose: 0 }), () => m.evaluate(x, y), () => m.trainOnBatch(x, y)]) {
      const e = await thrown(op);
      expect(e).toBeInstanceOf(ShapeError);
      expect(e.message).toMatch(/inputs \[10,2\] and targets \[9\] have different numbers of samples \(10 vs 9\)/);
    }
  });

  it('predict with the wrong input shape names the layer, the expected and the actual shape', async () => {
    const m = classifier();
    const e = await thrown(() => m.predict(tensor(new Array(15).fill(0), [5, 3])));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/\(Dense\): expected inputs whose last dimension is 2, got shape \[5,3\]/);
    expect((await thrown(() => m.predict(tensor(1)))).message).toMatch(/need a batch dimension/);
  });

  it('bad fit arguments are ArgumentErrors', async () => {
    const { x, y } = blobs(8, 1);
    const m = classifier();
    expect(await thrown(() => m.fit(x, y, { batchSize: 0, verbose: 0 }))).toBeInstanceOf(ArgumentError);
    expect((await thrown(() => m.fit(x, y, { validationSplit: 1, verbose: 0 }))).message).toMatch(
      /validationSplit must be in \[0, 1\)/,
    );
  });

  it('wrong targets for the loss are reported with their shapes', async () => {
    const m = classifier();
    const x = tensor(new Array(8).fill(0), [4, 2]);
    const e = await thrown(() =>
      m.fit(x, concat([tensor([[0, 1]]), tensor([[1, 0]]), tensor([[0, 1]]), tensor([[1, 0]])], 0), { verbose: 0 }),
    );
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/labels of shape \[4,2\]/);
  });
});
