import { crossEntropy } from '@tsdl/nn';
import { ArgumentError, type Tensor, memory, sigmoid, softmax, tensor, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  BinaryCrossentropy,
  CategoricalCrossentropy,
  Dense,
  Huber,
  MeanAbsoluteError,
  MeanSquaredError,
  Sequential,
  SparseCategoricalCrossentropy,
  losses,
  metrics,
  optimizers,
  resolveLoss,
  resolveMetric,
  serializeLoss,
} from '../src/index';
import { blobs, expectValues, flat, thrown, useCpu } from './helpers';

useCpu();

const LOGITS = [
  [1, 2, 3],
  [1, 0, -1],
];
// −log softmax(z)[y] = logsumexp(z) − z_y: 3.4076059644 − 3 and 1.4076059644 − 0.
const SCE = [0.40760596444438013, 1.4076059644443804];

/** Runs `fn` (under tidy) on fresh tensors and disposes them (and the result) after reading it. */
function withTensors(make: () => Tensor[], fn: (...ts: Tensor[]) => Tensor): number[] {
  const ts = make();
  const out = tidy(() => fn(...ts));
  const v = flat(out);
  for (const t of [...ts, out]) t.dispose();
  return v;
}

describe('cross-entropies on logits', () => {
  it('SparseCategoricalCrossentropy({ fromLogits }) equals softmax + cross-entropy and nn’s fused crossEntropy', () => {
    const make = () => [tensor([2, 1], [2], 'int32'), tensor(LOGITS)];
    const before = memory().numTensors;
    expectValues(
      withTensors(make, (y, z) => new SparseCategoricalCrossentropy({ fromLogits: true }).call(y, z)),
      [(SCE[0] + SCE[1]) / 2],
      { atol: 1e-6, rtol: 1e-6 },
    );
    expectValues(
      withTensors(make, (y, z) => new SparseCategoricalCrossentropy({ fromLogits: true, reduction: 'sum' }).call(y, z)),
      [SCE[0] + SCE[1]],
      { atol: 1e-6, rtol: 1e-6 },
    );
    expectValues(
      withTensors(make, (y, z) =>
        new SparseCategoricalCrossentropy({ fromLogits: true, reduction: 'none' }).call(y, z),
      ),
      SCE,
      { atol: 1e-6, rtol: 1e-6 },
    );
    expectValues(
      withTensors(make, (y, z) => new SparseCategoricalCrossentropy().call(y, softmax(z, -1))),
      [(SCE[0] + SCE[1]) / 2],
      { atol: 1e-6, rtol: 1e-6 },
    );
    expectValues(
      withTensors(make, (y, z) => crossEntropy(z, y)),
      [(SCE[0] + SCE[1]) / 2],
      { atol: 1e-6, rtol: 1e-6 },
    );
    expect(memory().numTensors).toBe(before);
  });

  it('CategoricalCrossentropy with one-hot labels and labelSmoothing (towards 1/classes)', () => {
    const make = () => [
      tensor([
        [0, 0, 1],
        [0, 1, 0],
      ]),
      tensor(LOGITS),
    ];
    expectValues(
      withTensors(make, (y, z) => new CategoricalCrossentropy({ fromLogits: true }).call(y, z)),
      [(SCE[0] + SCE[1]) / 2],
      { atol: 1e-6, rtol: 1e-6 },
    );
    // label_smoothing 0.1: labels 0.9·y + 0.1/3; by hand: 0.5076059644, 1.4076059644.
    const smoothed = (0.5076059644443803 + 1.40760596444438) / 2;
    expectValues(
      withTensors(make, (y, z) => new CategoricalCrossentropy({ fromLogits: true, label_smoothing: 0.1 }).call(y, z)),
      [smoothed],
      { atol: 1e-6, rtol: 1e-6 },
    );
    expectValues(
      withTensors(make, (y, z) => new CategoricalCrossentropy({ labelSmoothing: 0.1 }).call(y, softmax(z, -1))),
      [smoothed],
      { atol: 1e-6, rtol: 1e-6 },
    );
  });

  it('BinaryCrossentropy({ fromLogits }): softplus terms averaged over the last axis, per reduction', () => {
    const make = () => [
      tensor([
        [1, 0],
        [0, 1],
      ]),
      tensor([
        [0.5, -2],
        [-1, 3],
      ]),
    ];
    // softplus(−0.5), softplus(−2), softplus(−1), softplus(−3) → per sample 0.3005025, 0.1809245.
    const perSample = [0.3005024976115396, 0.18092451954598246];
    expectValues(
      withTensors(make, (y, z) => new BinaryCrossentropy({ fromLogits: true, reduction: 'none' }).call(y, z)),
      perSample,
      { atol: 1e-6, rtol: 1e-6 },
    );
    expectValues(
      withTensors(make, (y, z) => new BinaryCrossentropy({ fromLogits: true }).call(y, z)),
      [0.240713508578761],
      { atol: 1e-6, rtol: 1e-6 },
    );
    expectValues(
      withTensors(make, (y, z) => new BinaryCrossentropy({ fromLogits: true, reduction: 'sum' }).call(y, z)),
      [0.481427017157522],
      { atol: 1e-6, rtol: 1e-6 },
    );
    expectValues(
      withTensors(make, (y, z) => new BinaryCrossentropy().call(y, sigmoid(z))),
      [0.240713508578761],
      { atol: 1e-6, rtol: 1e-5 },
    );
    // label_smoothing 0.2: labels 0.8·y + 0.1.
    expectValues(
      withTensors(make, (y, z) => new BinaryCrossentropy({ fromLogits: true, labelSmoothing: 0.2 }).call(y, z)),
      [0.40321350857876104],
      { atol: 1e-6, rtol: 1e-6 },
    );
  });
});

describe('regression losses', () => {
  it('MeanSquaredError, MeanAbsoluteError and Huber: Keras values per sample and reduced', () => {
    const make = () => [
      tensor([
        [0, 2],
        [1, 1],
      ]),
      tensor([
        [1, 2],
        [3, 5],
      ]),
    ];
    expectValues(
      withTensors(make, (y, p) => new MeanSquaredError({ reduction: 'none' }).call(y, p)),
      [0.5, 10],
    );
    expectValues(
      withTensors(make, (y, p) => new MeanSquaredError().call(y, p)),
      [5.25],
    );
    expectValues(
      withTensors(make, (y, p) => new MeanSquaredError({ reduction: 'sum' }).call(y, p)),
      [10.5],
    );
    expectValues(
      withTensors(make, (y, p) => new MeanAbsoluteError().call(y, p)),
      [1.75],
    );
    // d = 1, 0, 2, 4: ½·1, 0, 2 − ½, 4 − ½ → per sample 0.25, 2.5.
    expectValues(
      withTensors(make, (y, p) => new Huber({ reduction: 'none' }).call(y, p)),
      [0.25, 2.5],
    );
    expectValues(
      withTensors(make, (y, p) => new Huber({ delta: 2 }).call(y, p)),
      [(0.5 + 0 + 2 + 6) / 4],
    );
    expect(() => new Huber({ delta: 0 })).toThrow(/Huber: delta must be a finite number > 0, got 0/);
  });

  it('labels of shape [N] fit predictions [N, 1], as Keras squeezes or expands them', () => {
    const a = withTensors(
      () => [tensor([1, 0, 1]), tensor([[0.9], [0.2], [0.4]])],
      (y, p) => new BinaryCrossentropy().call(y, p),
    );
    const b = withTensors(
      () => [tensor([[1], [0], [1]]), tensor([[0.9], [0.2], [0.4]])],
      (y, p) => new BinaryCrossentropy().call(y, p),
    );
    expect(a).toEqual(b);
    expectValues(a, [-(Math.log(0.9) + Math.log(0.8) + Math.log(0.4)) / 3], { atol: 1e-6, rtol: 1e-5 });
  });
});

describe('in compile', () => {
  it("the TF 2 quickstart: a linear output with SparseCategoricalCrossentropy({ fromLogits: true }); evaluate's loss is the logits' cross-entropy", async () => {
    const m = new Sequential([
      new Dense({ units: 8, activation: 'relu', inputShape: [2], seed: 1 }),
      new Dense({ units: 2, seed: 2 }),
    ]);
    m.compile({
      optimizer: optimizers.Adam({ learningRate: 0.05 }),
      loss: new losses.SparseCategoricalCrossentropy({ fromLogits: true }),
      metrics: ['accuracy'],
    });
    const { x, y } = blobs(64, 5);
    const h = await m.fit(x, y, { epochs: 5, batchSize: 16, verbose: 0 });
    expect(h.history.loss[4]).toBeLessThan(h.history.loss[0]);
    const ev = await m.evaluate(x, y, { batchSize: 64 });
    const logits = m.predict(x);
    const ce = crossEntropy(logits, y);
    expect(ev.loss).toBeCloseTo(ce.item(), 5);
    expect(ev.accuracy).toBeGreaterThan(0.9);
    for (const t of [x, y, logits, ce]) t.dispose();
    m.dispose();
  });

  it('binary accuracy thresholds logits at 0 when the loss is on logits', async () => {
    const m = new Sequential([new Dense({ units: 1, inputShape: [2], seed: 3 })]);
    m.compile({ optimizer: 'sgd', loss: new BinaryCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
    const { x, labels } = blobs(40, 6);
    const y = tensor(
      labels.map((l) => [l]),
      [40, 1],
    );
    const ev = await m.evaluate(x, y);
    const z = m.predict(x);
    const right = flat(z).filter((v, i) => (v > 0 ? 1 : 0) === labels[i]).length;
    expect(ev.accuracy).toBeCloseTo(right / 40, 6);
    // The same count as the metric object with Keras' 0.5 on probabilities.
    const spec = resolveMetric(
      new metrics.BinaryAccuracy(),
      resolveLoss(new BinaryCrossentropy({ fromLogits: true })),
      [null, 1],
    );
    const sum = spec.sum(y, z, false);
    expect(sum.item()).toBe(right);
    for (const t of [x, y, z, sum]) t.dispose();
    m.dispose();
  });

  it('labels [N] train an [N, 1] sigmoid output as labels [N, 1] do', async () => {
    const run = async (shape: 'flat' | 'column'): Promise<number[]> => {
      const m = new Sequential([new Dense({ units: 1, activation: 'sigmoid', inputShape: [2], seed: 4 })]);
      m.compile({
        optimizer: optimizers.SGD({ learningRate: 0.5 }),
        loss: 'binary_crossentropy',
        metrics: ['accuracy'],
      });
      const { x, labels } = blobs(32, 7);
      const y =
        shape === 'flat'
          ? tensor(labels)
          : tensor(
              labels.map((l) => [l]),
              [32, 1],
            );
      const h = await m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, shuffle: false });
      x.dispose();
      y.dispose();
      m.dispose();
      return [...h.history.loss, ...h.history.accuracy];
    };
    const flatRun = await run('flat');
    expect(flatRun).toEqual(await run('column'));
    expect(flatRun[3]).toBeGreaterThan(0.8);
  });

  it('label errors name the Keras loss chosen, not nn’s crossEntropy or ignoreIndex; memory unchanged', async () => {
    const cases: [unknown, string, RegExp][] = [
      [
        'sparse_categorical_crossentropy',
        'softmax',
        /sparse_categorical_crossentropy: label 3 is out of range for 3 classes \(expected 0 to 2\)/,
      ],
      [
        new SparseCategoricalCrossentropy(),
        'softmax',
        /SparseCategoricalCrossentropy: label 3 is out of range for 3 classes \(expected 0 to 2\)/,
      ],
      [
        new SparseCategoricalCrossentropy({ fromLogits: true }),
        'linear',
        /SparseCategoricalCrossentropy: label 3 is out of range for 3 classes/,
      ],
      [
        'sparse_categorical_crossentropy',
        'linear',
        /sparse_categorical_crossentropy: label 3 is out of range for 3 classes/,
      ],
    ];
    for (const [loss, activation, msg] of cases) {
      const m = new Sequential([new Dense({ units: 3, activation, inputShape: [2], seed: 1 })]);
      m.compile({ optimizer: 'sgd', loss: loss as never });
      const x = tensor([
        [0, 1],
        [1, 0],
      ]);
      const y = tensor([0, 3], [2], 'int32');
      const before = memory();
      const e = await thrown(() => m.fit(x, y, { epochs: 1, verbose: 0 }));
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e.message).toMatch(msg);
      expect(e.message).not.toMatch(/crossEntropy|nllLoss|ignoreIndex|target/);
      expect(memory().numTensors).toBe(before.numTensors);
      x.dispose();
      y.dispose();
      m.optimizer?.dispose();
      m.dispose();
    }
    const y = tensor([[2]]);
    const p = tensor([[0.5]]);
    expect(() => new BinaryCrossentropy().call(y, p)).toThrow(
      /^BinaryCrossentropy: every label value must lie in \[0, 1\], got 2/,
    );
    y.dispose();
    p.dispose();
  });

  it('refuses a non-default reduction, and a loss object round-trips as { className, config }', () => {
    const m = new Sequential([new Dense({ units: 2, inputShape: [2] })]);
    expect(() => m.compile({ optimizer: 'sgd', loss: new MeanSquaredError({ reduction: 'sum' }) })).toThrow(
      /the loss MeanSquaredError has reduction 'sum'/,
    );
    m.dispose();
    const original = new CategoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.1, name: 'cce' });
    const saved = serializeLoss(original);
    expect(saved).toEqual({
      className: 'CategoricalCrossentropy',
      config: { name: 'cce', reduction: 'sum_over_batch_size', fromLogits: true, labelSmoothing: 0.1 },
    });
    const again = resolveLoss(JSON.parse(JSON.stringify(saved)));
    const make = () => [
      tensor([
        [0, 0, 1],
        [0, 1, 0],
      ]),
      tensor(LOGITS),
    ];
    expect(withTensors(make, (y, z) => again.fn(y, z))).toEqual(withTensors(make, (y, z) => original.call(y, z)));
    expect(() => resolveLoss({ className: 'Hinge' })).toThrow(
      /compile: unknown loss class 'Hinge' \(known: SparseCategoricalCrossentropy, /,
    );
    expect(() => new BinaryCrossentropy({ labelSmoothing: 2 })).toThrow(
      /BinaryCrossentropy: labelSmoothing must be a number in \[0, 1\], got 2/,
    );
    expect(() => new SparseCategoricalCrossentropy({ reduction: 'avg' as never })).toThrow(
      /reduction must be one of 'sum_over_batch_size', 'mean', 'sum', 'none', got 'avg'/,
    );
  });

  it('metric objects: BinaryAccuracy threshold, names in logs', () => {
    const y = tensor([[1], [0], [1], [0]]);
    const p = tensor([[0.8], [0.6], [0.65], [0.1]]);
    // threshold 0.7: predicted 1, 0, 0, 0 → right 1, 1, 0, 1.
    const spec = resolveMetric(new metrics.BinaryAccuracy({ threshold: 0.7, name: 'acc70' }), 'binary_crossentropy', [
      null,
      1,
    ]);
    expect(spec.name).toBe('acc70');
    const s = spec.sum(y, p, false);
    expect(s.item()).toBe(3);
    const mse = resolveMetric(new metrics.MeanSquaredError(), 'mse', [null, 1]).sum(y, p, false);
    expectValues(mse, [0.04 + 0.36 + 0.1225 + 0.01], { atol: 1e-6, rtol: 1e-5 });
    expect(() => new metrics.BinaryAccuracy({ treshold: 0.5 } as never)).toThrow(
      /BinaryAccuracy: unknown option 'treshold'; did you mean 'threshold'\?/,
    );
    for (const t of [y, p, s, mse]) t.dispose();
  });

  it('metric objects in compile log under their names', async () => {
    const m = new Sequential([new Dense({ units: 1, activation: 'sigmoid', inputShape: [2], seed: 8 })]);
    m.compile({
      optimizer: 'sgd',
      loss: 'binary_crossentropy',
      metrics: [new metrics.BinaryAccuracy({ threshold: 0.7, name: 'acc70' }), 'accuracy'] as never,
    });
    const { x, labels } = blobs(20, 9);
    const y = tensor(
      labels.map((l) => [l]),
      [20, 1],
    );
    const ev = await m.evaluate(x, y);
    const pred = m.predict(x);
    const p = flat(pred);
    pred.dispose();
    expect(Object.keys(ev).sort()).toEqual(['acc70', 'accuracy', 'loss']);
    expect(ev.acc70).toBeCloseTo(p.filter((v, i) => (v > 0.7 ? 1 : 0) === labels[i]).length / 20, 6);
    expect(ev.accuracy).toBeCloseTo(p.filter((v, i) => (v > 0.5 ? 1 : 0) === labels[i]).length / 20, 6);
    x.dispose();
    y.dispose();
    m.dispose();
  });
});
