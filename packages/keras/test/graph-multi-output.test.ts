import { ArgumentError, type Tensor, memory, tensor } from '@tsdl/tensor';
import { seededNumbers } from '@tsdl/test-utils';
import { describe, expect, it } from 'vitest';
import { Dense, type Functional, Input, loadModel, model, optimizers } from '../src/index';
import { expectValues, flat, thrown, useCpu, useTempDir } from './helpers';

useCpu();

/** One trunk, two heads: 'cls' (3 classes, softmax) and 'reg' (one number). */
function twoHeads(): Functional<Tensor[]> {
  const x = Input({ shape: [4], name: 'x' });
  const h = new Dense({ units: 8, activation: 'relu', name: 'trunk', seed: 1 }).apply(x);
  const cls = new Dense({ units: 3, activation: 'softmax', name: 'cls', seed: 2 }).apply(h);
  const reg = new Dense({ units: 1, name: 'reg', seed: 3 }).apply(h);
  return model({ inputs: x, outputs: [cls, reg], name: 'two_heads' });
}

/** The class is the largest of the first three features; the number is their sum plus the fourth. */
function data(
  n: number,
  seed: number,
): { x: Tensor; cls: Tensor; reg: Tensor; xs: number[]; labels: number[]; sums: number[] } {
  const xs = seededNumbers(4 * n, seed, -1, 1);
  const labels: number[] = [];
  const sums: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = xs.slice(4 * i, 4 * i + 4);
    labels.push(r.slice(0, 3).indexOf(Math.max(...r.slice(0, 3))));
    sums.push(r[0] + r[1] + r[2] + r[3]);
  }
  // Regression targets of shape [N] for the [N, 1] head, as Keras accepts them.
  return { x: tensor(xs, [n, 4]), cls: tensor(labels, [n], 'int32'), reg: tensor(sums, [n]), xs, labels, sums };
}

const compileArgs = {
  optimizer: optimizers.Adam({ learningRate: 0.02 }),
  loss: { cls: 'sparse_categorical_crossentropy', reg: 'mse' },
  lossWeights: { cls: 1, reg: 0.5 },
  metrics: { cls: ['accuracy'], reg: ['mae'] },
};

/** Mean cross-entropy of probabilities `p` ([N, 3]) for `labels`, and mean squared error of `r` against `sums`, in float64. */
function reference(
  p: number[],
  r: number[],
  labels: number[],
  sums: number[],
  weights: number[] = labels.map(() => 1),
): { ce: number; mse: number } {
  let ce = 0;
  let mse = 0;
  labels.forEach((c, i) => {
    ce += -Math.log(Math.min(Math.max(p[3 * i + c], 1e-7), 1 - 1e-7)) * weights[i];
    mse += (r[i] - sums[i]) ** 2 * weights[i];
  });
  return { ce: ce / labels.length, mse: mse / labels.length };
}

describe('a model with two heads (classification and regression)', () => {
  const dir = useTempDir();

  it("logs the weighted total and each head's weighted loss and metrics, as Keras 3", async () => {
    const m = twoHeads();
    m.compile(compileArgs);
    const d = data(60, 1);
    const h = await m.fit(
      d.x,
      { cls: d.cls, reg: d.reg },
      { epochs: 8, batchSize: 10, verbose: 0, validationSplit: 0.25, seed: 3 },
    );
    expect(Object.keys(h.history)).toEqual([
      'loss',
      'cls_loss',
      'reg_loss',
      'cls_accuracy',
      'reg_mae',
      'val_loss',
      'val_cls_loss',
      'val_reg_loss',
      'val_cls_accuracy',
      'val_reg_mae',
    ]);
    expect(h.history.cls_loss[7]).toBeLessThan(h.history.cls_loss[0]);
    expect(h.history.reg_loss[7]).toBeLessThan(h.history.reg_loss[0]);
    for (let e = 0; e < 8; e++) expect(h.history.loss[e]).toBeCloseTo(h.history.cls_loss[e] + h.history.reg_loss[e], 5);
  });

  it("evaluate: the total equals the weighted sum of the heads' losses, computed independently", async () => {
    const m = twoHeads();
    m.compile(compileArgs);
    const d = data(20, 2);
    await m.fit(d.x, [d.cls, d.reg], { epochs: 2, verbose: 0 });
    const [p, r] = m.predict(d.x);
    expect(p.shape).toEqual([20, 3]);
    expect(r.shape).toEqual([20, 1]);
    const { ce, mse } = reference(flat(p), flat(r), d.labels, d.sums);
    const logs = await m.evaluate(d.x, { cls: d.cls, reg: d.reg }, { batchSize: 7 });
    expect(logs.cls_loss).toBeCloseTo(ce, 4);
    expect(logs.reg_loss).toBeCloseTo(0.5 * mse, 4);
    expect(logs.loss).toBeCloseTo(ce + 0.5 * mse, 4);
    const predicted = flat(p);
    const hits = d.labels.filter(
      (c, i) => predicted.slice(3 * i, 3 * i + 3).indexOf(Math.max(...predicted.slice(3 * i, 3 * i + 3))) === c,
    ).length;
    expect(logs.cls_accuracy).toBeCloseTo(hits / 20, 6);
    const rv = flat(r);
    expect(logs.reg_mae).toBeCloseTo(d.sums.reduce((s, v, i) => s + Math.abs(rv[i] - v), 0) / 20, 4);
    // testOnBatch gives the same values on the whole set; sample weights weigh every head.
    expect((await m.testOnBatch(d.x, [d.cls, d.reg])).loss).toBeCloseTo(logs.loss, 5);
    const w = seededNumbers(20, 9, 0, 2);
    const weighted = reference(flat(p), flat(r), d.labels, d.sums, w);
    const wl = await m.evaluate(d.x, [d.cls, d.reg], { sampleWeight: tensor(w) });
    expect(wl.cls_loss).toBeCloseTo(weighted.ce, 4);
    expect(wl.reg_loss).toBeCloseTo(0.5 * weighted.mse, 4);
    // Metrics are not weighted (Keras' metrics, not weighted_metrics).
    expect(wl.cls_accuracy).toBeCloseTo(logs.cls_accuracy, 6);
  });

  it('targets as a list or as an object by output name train identically; losses and weights as lists too', async () => {
    const d = data(24, 4);
    const a = twoHeads();
    const b = twoHeads();
    b.setWeights(a.getWeights());
    a.compile({ ...compileArgs, optimizer: optimizers.SGD({ learningRate: 0.1 }) });
    b.compile({
      optimizer: optimizers.SGD({ learningRate: 0.1 }),
      loss: ['sparse_categorical_crossentropy', 'mse'],
      lossWeights: [1, 0.5],
      metrics: [['accuracy'], ['mae']],
    });
    const ha = await a.fit(d.x, { reg: d.reg, cls: d.cls }, { epochs: 3, batchSize: 8, verbose: 0, seed: 1 });
    const hb = await b.fit(d.x, [d.cls, d.reg], { epochs: 3, batchSize: 8, verbose: 0, seed: 1 });
    expect(hb.history).toEqual(ha.history);
    const logs = await a.trainOnBatch(d.x, [d.cls, d.reg]);
    expect(Object.keys(logs)).toEqual(['loss', 'cls_loss', 'reg_loss', 'cls_accuracy', 'reg_mae']);
  });

  it('an output without a loss is predicted but not trained on, and needs no targets', async () => {
    const m = twoHeads();
    m.compile({ optimizer: 'sgd', loss: { cls: 'sparse_categorical_crossentropy' } });
    const d = data(12, 5);
    const regBefore = m.getLayer('reg').getWeights().map(flat);
    const h = await m.fit(d.x, { cls: d.cls }, { epochs: 1, verbose: 0 });
    expect(Object.keys(h.history)).toEqual(['loss', 'cls_loss']);
    expect(m.getLayer('reg').getWeights().map(flat)).toEqual(regBefore);
    expect(m.predict(d.x)).toHaveLength(2);
  });

  it('bad losses, weights and targets are errors naming the option or the output, and free what was made', async () => {
    const m = twoHeads();
    const d = data(6, 6);
    const cases: [() => unknown, RegExp][] = [
      [
        () => m.compile({ optimizer: 'sgd', loss: { cls: 'mse', rgr: 'mse' } }),
        /compile: loss has an entry 'rgr', but the model's outputs are 'cls', 'reg'/,
      ],
      [
        () => m.compile({ optimizer: 'sgd', loss: ['mse'] }),
        /compile: loss lists 1 entries, but the model has 2 output\(s\) \(cls, reg\)/,
      ],
      [() => m.compile({ optimizer: 'sgd', loss: 'mse', lossWeights: [1] }), /lossWeights lists 1 entries/],
      [
        () => m.compile({ optimizer: 'sgd', loss: 'mse', lossWeights: { reg: 'x' as never } }),
        /lossWeights for 'reg' must be a finite number, got a string/,
      ],
      [
        () => m.compile({ optimizer: 'sgd', loss: { cls: null, reg: null } }),
        /compile needs a loss for at least one output/,
      ],
    ];
    for (const [fn, message] of cases) {
      const e = await thrown(fn);
      expect(e, String(message)).toBeInstanceOf(ArgumentError);
      expect(e.message).toMatch(message);
    }
    m.compile(compileArgs);
    const before = memory();
    const fitCases: [() => unknown, RegExp][] = [
      [
        () => m.fit(d.x, d.cls, { verbose: 0 }),
        /the model has 2 outputs \('cls', 'reg'\); y must be a list of 2 or an object keyed by name, got a Tensor/,
      ],
      [() => m.fit(d.x, { cls: d.cls }, { verbose: 0 }), /y for 'reg' is missing/],
      [
        () => m.fit(d.x, [d.cls, d.reg], { verbose: 0, classWeight: { 0: 2 } }),
        /classWeight is only supported for models with one output \(this one has 2\); use sampleWeight/,
      ],
      [
        () => m.fit(d.x, [d.cls, d.reg], { verbose: 0, sampleWeight: { cls: [1, 2] } }),
        /inputs \[6,4\] and sampleWeight\['cls'\] \[2\] have different numbers of samples \(6 vs 2\)/,
      ],
    ];
    for (const [fn, message] of fitCases) {
      const e = await thrown(fn);
      expect(e.message, String(message)).toMatch(message);
    }
    expect(memory()).toEqual(before);
  });

  it('saves and loads: per-output compile settings, outputs as a list, equal predictions', async () => {
    const m = twoHeads();
    m.compile(compileArgs);
    const d = data(16, 8);
    await m.fit(d.x, [d.cls, d.reg], { epochs: 2, verbose: 0 });
    await m.save(dir());
    const loaded = await loadModel<Tensor[]>(dir());
    const [p, r] = loaded.predict(d.x);
    const [p0, r0] = m.predict(d.x);
    expectValues(p, flat(p0), { atol: 0, rtol: 0 });
    expectValues(r, flat(r0), { atol: 0, rtol: 0 });
    expect(await loaded.evaluate(d.x, [d.cls, d.reg])).toEqual(await m.evaluate(d.x, [d.cls, d.reg]));
    expect(loaded.outputNames).toEqual(['cls', 'reg']);
  });
});
