import { ArgumentError, ShapeError, dispose, memory, tensor } from '@tsdl/tensor';
import { seededNumbers } from '@tsdl/test-utils';
import { describe, expect, it } from 'vitest';
import { Dense, Input, Sequential, model, optimizers } from '../src/index';
import { blobs, flat, thrown, useCpu } from './helpers';

useCpu();

/** y = x · [1, −2, 0.5] + 0.25, a Dense with known weights. */
function linear(): Sequential {
  const m = new Sequential([new Dense({ units: 1, inputShape: [3], name: 'lin' })]);
  const [k, b] = [tensor([[1], [-2], [0.5]]), tensor([0.25])];
  m.setWeights([k, b]);
  dispose([k, b]);
  return m;
}

const classifier = (): Sequential =>
  new Sequential([
    new Dense({ units: 6, activation: 'relu', inputShape: [2], seed: 1 }),
    new Dense({ units: 2, activation: 'softmax', seed: 2 }),
  ]);

describe('sample weights and class weights', () => {
  it('evaluate weighs each sample’s loss: sum(w · loss) / N, as Keras', async () => {
    const m = linear();
    m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
    const xs = seededNumbers(15, 1, -1, 1);
    const ys = seededNumbers(5, 2, -1, 1);
    const w = [0, 1, 2, 0.5, 3];
    const pred = [0, 1, 2, 3, 4].map((i) => xs[3 * i] - 2 * xs[3 * i + 1] + 0.5 * xs[3 * i + 2] + 0.25);
    const x = tensor(xs, [5, 3]);
    const y = tensor(ys, [5, 1]);
    const logs = await m.evaluate(x, y, { sampleWeight: w, batchSize: 2 });
    expect(logs.loss).toBeCloseTo(pred.reduce((s, p, i) => s + w[i] * (p - ys[i]) ** 2, 0) / 5, 5);
    // Metrics are not weighted.
    expect(logs.mae).toBeCloseTo(pred.reduce((s, p, i) => s + Math.abs(p - ys[i]), 0) / 5, 5);
    // snake_case, [N, 1] weights and testOnBatch agree.
    expect((await m.evaluate(x, y, { sample_weight: tensor(w, [5, 1]) })).loss).toBeCloseTo(logs.loss, 6);
    expect((await m.testOnBatch(x, y, { sampleWeight: w })).loss).toBeCloseTo(logs.loss, 6);
  });

  it('fit with classWeight trains exactly as with the matching sampleWeight', async () => {
    const { x, y, labels } = blobs(40, 3);
    const a = classifier();
    const b = classifier();
    b.setWeights(a.getWeights());
    a.compile({
      optimizer: optimizers.SGD({ learningRate: 0.1 }),
      loss: 'sparse_categorical_crossentropy',
      metrics: ['accuracy'],
    });
    b.compile({
      optimizer: optimizers.SGD({ learningRate: 0.1 }),
      loss: 'sparse_categorical_crossentropy',
      metrics: ['accuracy'],
    });
    const ha = await a.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, classWeight: { 0: 1, 1: 3 } });
    const hb = await b.fit(x, y, {
      epochs: 3,
      batchSize: 8,
      verbose: 0,
      sampleWeight: labels.map((c) => (c === 1 ? 3 : 1)),
    });
    expect(ha.history).toEqual(hb.history);
    expect(a.getWeights().map(flat)).toEqual(b.getWeights().map(flat));
    // Weights of one everywhere give the unweighted loss.
    const c = classifier();
    c.setWeights(a.getWeights());
    c.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
    expect((await c.evaluate(x, y, { sampleWeight: labels.map(() => 1) })).loss).toBeCloseTo(
      (await c.evaluate(x, y)).loss,
      5,
    );
  });

  it('bad weights are errors before anything trains', async () => {
    const { x, y } = blobs(6, 4);
    const m = classifier();
    m.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
    const weights = m.getWeights().map(flat);
    const before = memory();
    const cases: [() => unknown, new (...args: never[]) => Error, RegExp][] = [
      [
        () => m.fit(x, y, { verbose: 0, classWeight: { a: 1 } as never }),
        ArgumentError,
        /classWeight keys must be class ids \(integers >= 0\), got 'a'/,
      ],
      [
        () => m.fit(x, y, { verbose: 0, classWeight: { 0: -1 } }),
        ArgumentError,
        /classWeight\[0\] must be a finite number >= 0, got -1/,
      ],
      [
        () => m.fit(x, y, { verbose: 0, sampleWeight: [1, 2] }),
        ShapeError,
        /inputs \[6,2\] and sampleWeight \[2\] have different numbers of samples \(6 vs 2\)/,
      ],
      [
        () =>
          m.fit(x, y, {
            verbose: 0,
            sampleWeight: [
              [1, 2],
              [1, 2],
              [1, 2],
              [1, 2],
              [1, 2],
              [1, 2],
            ],
          }),
        ShapeError,
        /sampleWeight must hold one weight per sample \(shape \[N\]\), got shape \[6,2\]/,
      ],
      [
        () => m.trainOnBatch(x, y, { sampleWeights: [1] } as never),
        ArgumentError,
        /trainOnBatch: unknown option 'sampleWeights'; did you mean 'sampleWeight'\?/,
      ],
      [
        () => m.fit(x, y, { sampleWeights: [1] } as never),
        ArgumentError,
        /fit: unknown option 'sampleWeights'; did you mean 'sampleWeight'\?/,
      ],
      [
        () => m.evaluate(x, y, { sample_weights: [1] } as never),
        ArgumentError,
        /evaluate: unknown option 'sampleWeights'; did you mean 'sampleWeight'\?/,
      ],
      [
        () => m.testOnBatch(x, y, { classWeight: { 0: 1 } } as never),
        ArgumentError,
        /testOnBatch: unknown option 'classWeight'/,
      ],
    ];
    for (const [fn, kind, message] of cases) {
      const e = await thrown(fn);
      expect(e, String(message)).toBeInstanceOf(kind);
      expect(e.message).toMatch(message);
    }
    expect(memory()).toEqual(before);
    expect(m.getWeights().map(flat)).toEqual(weights);
  });
});

describe('conveniences', () => {
  it('labels of shape [N] fit an output of shape [N, 1] (loss and metrics), as Keras', async () => {
    const m = new Sequential([new Dense({ units: 1, activation: 'sigmoid', inputShape: [2], seed: 3 })]);
    m.compile({
      optimizer: optimizers.Adam({ learningRate: 0.05 }),
      loss: 'binary_crossentropy',
      metrics: ['accuracy'],
    });
    const { x, labels } = blobs(40, 5);
    const h = await m.fit(x, labels, { epochs: 5, batchSize: 8, verbose: 0 });
    expect(h.history.loss[4]).toBeLessThan(h.history.loss[0]);
    const p = flat(m.predict(x));
    const logs = await m.evaluate(x, labels);
    // Accuracy per sample (not a [N, N] broadcast of [N] against [N, 1]).
    expect(logs.accuracy).toBeCloseTo(labels.filter((c, i) => (p[i] > 0.5 ? 1 : 0) === c).length / 40, 6);
    const bce = -labels.reduce((s, c, i) => s + (c === 1 ? Math.log(p[i]) : Math.log(1 - p[i])), 0) / 40;
    expect(logs.loss).toBeCloseTo(bce, 4);
  });

  it('predict on one sample without its batch axis says to add it', async () => {
    const seq = linear();
    const e = await thrown(() => seq.predict(tensor([1, 2, 3])));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toBe(
      'sequential.predict: x has shape [3], one sample without the batch axis; the model expects (None, 3): add the batch axis (shape [1,3])'.replace(
        'sequential',
        seq.name,
      ),
    );
    const x = Input({ shape: [2, 3] });
    const f = model({ inputs: x, outputs: new Dense({ units: 1 }).apply(x), name: 'f' });
    expect(
      (
        await thrown(() =>
          f.predict([
            [1, 2, 3],
            [4, 5, 6],
          ]),
        )
      ).message,
    ).toMatch(
      /f\.predict: x has shape \[2,3\], one sample without the batch axis; the model expects \(None, 2, 3\): add the batch axis \(shape \[1,2,3\]\)/,
    );
    // An input of shape [1] takes [N] as [N, 1], as Keras 3 does.
    const one = Input({ shape: [1] });
    const g = model({ inputs: one, outputs: new Dense({ units: 1 }).apply(one) });
    expect(g.predict([1, 2, 3]).shape).toEqual([3, 1]);
  });

  it('predictOnBatch and testOnBatch are predict and evaluate on one batch', async () => {
    const m = linear();
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = tensor(seededNumbers(12, 6, -1, 1), [4, 3]);
    const y = tensor(seededNumbers(4, 7, -1, 1), [4, 1]);
    expect(flat(m.predictOnBatch(x))).toEqual(flat(m.predict(x)));
    expect((await m.testOnBatch(x, y)).loss).toBeCloseTo((await m.evaluate(x, y)).loss, 6);
    const before = m.getWeights().map(flat);
    await m.testOnBatch(x, y);
    expect(m.getWeights().map(flat)).toEqual(before);
    expect(m.getLayer(0).name).toBe('lin');
    expect(m.getLayer('lin')).toBe(m.layers[0]);
  });

  it('fit, evaluate and predict leave memory as they found it, and so do their errors', async () => {
    const a = Input({ shape: [2], name: 'in_a' });
    const b = Input({ shape: [2], name: 'in_b' });
    const h = new Dense({ units: 4, activation: 'relu', name: 'h', seed: 1 }).apply(a);
    const out1 = new Dense({ units: 2, activation: 'softmax', name: 'p', seed: 2 }).apply(h);
    const out2 = new Dense({ units: 1, name: 'q', seed: 3 }).apply(
      new Dense({ units: 4, name: 'g', seed: 4 }).apply(b),
    );
    const m = model({ inputs: [a, b], outputs: [out1, out2] });
    m.compile({ optimizer: 'adam', loss: ['sparse_categorical_crossentropy', 'mse'], metrics: [['accuracy'], []] });
    const { x, y } = blobs(16, 8);
    const r = tensor(seededNumbers(16, 9, -1, 1), [16, 1]);
    await m.trainOnBatch([x, x], [y, r]);
    const before = memory();
    await m.fit([x, x], [y, r], {
      epochs: 2,
      batchSize: 5,
      verbose: 0,
      validationSplit: 0.25,
      sampleWeight: seededNumbers(16, 10, 0, 1),
    });
    await m.evaluate({ in_a: x, in_b: x }, { p: y, q: r });
    dispose(m.predict([x, x], { batchSize: 3 }));
    expect(memory()).toEqual(before);
    const short = tensor([1, 2], [2, 1]);
    const beforeErrors = memory();
    const bad = [
      () => m.fit([x, x], [y, short], { verbose: 0 }),
      () => m.evaluate([x, [[1, 2]]], [y, r]),
      () => m.predict([x]),
      () => m.fit([x, x], [y, [['a']] as never], { verbose: 0 }),
      () => m.fit([x, x], [y, r], { verbose: 0, sampleWeight: [[1]] }),
    ];
    for (const fn of bad) expect(await thrown(fn)).toBeInstanceOf(Error);
    expect(memory()).toEqual(beforeErrors);
    short.dispose();
  });
});
