import { ArgumentError, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  CSVLogger,
  Conv2D,
  Dense,
  EarlyStopping,
  Embedding,
  type EvaluateArgs,
  type FitArgs,
  LambdaCallback,
  ModelCheckpoint,
  type PredictArgs,
  ReduceLROnPlateau,
  Sequential,
  SparseCategoricalCrossentropy,
  type TrainingModel,
  optimizers,
} from '../src/index';
import { editDistance, nearestName, rejectUnknownOptions } from '../src/config-keys';
import { blobs, flat, thrown, useCpu } from './helpers';

useCpu();

/** A two-class model on blobs, trained with plain SGD (deterministic with a seed). */
function net(): Sequential {
  const m = new Sequential([new Dense({ units: 2, activation: 'softmax', inputShape: [2], seed: 3 })]);
  m.compile({ optimizer: optimizers.SGD({ learningRate: 0.1 }), loss: 'sparse_categorical_crossentropy' });
  return m;
}

/** Counts the batches of one epoch of fit with `args`. */
async function batchesOf(args: FitArgs): Promise<number> {
  const m = net();
  const { x, y } = blobs(20, 4);
  let n = 0;
  await m.fit(x, y, {
    epochs: 1,
    verbose: 0,
    ...args,
    callbacks: [new LambdaCallback({ onBatchEnd: () => void n++ })],
  });
  m.dispose();
  x.dispose();
  y.dispose();
  return n;
}

/** A stand-in model for driving callbacks by hand. */
function fakeModel(lr = 1): TrainingModel & { saves: string[] } {
  const saves: string[] = [];
  return {
    stopTraining: false,
    learningRate: lr,
    saves,
    getWeights: () => [],
    setWeights: () => {},
    save: async (path: string) => void saves.push(path),
  };
}

describe('edit-distance suggestions', () => {
  it('computes the optimal-string-alignment distance, case-insensitively', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('activaton', 'activation')).toBe(1);
    expect(editDistance('patinece', 'patience')).toBe(1); // a swap of neighbours counts 1
    expect(editDistance('clipNorm', 'clipnorm')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests only names within a third of the length (at least one edit)', () => {
    expect(nearestName('epoch', ['epochs', 'batchSize'])).toBe('epochs');
    expect(nearestName('batchsize', ['epochs', 'batchSize'])).toBe('batchSize');
    expect(nearestName('sep', ['separator', 'append'])).toBeNull();
    expect(nearestName('units', ['unit', 'units2'])).toBe('unit');
  });

  it('rejectUnknownOptions names the owner, the option, the suggestion and the known names', () => {
    expect(() => rejectUnknownOptions('Thing', { colour: 1 }, ['color', 'size'])).toThrow(
      "Thing: unknown option 'colour'; did you mean 'color'? (known: color, size)",
    );
    expect(() => rejectUnknownOptions('Thing', { weight: 1 }, ['color', 'size'])).toThrow(
      "Thing: unknown option 'weight' (known: color, size)",
    );
  });
});

describe('layers', () => {
  it("Dense({ activaton: 'relu' }) is an error suggesting 'activation'", () => {
    const e = (() => {
      try {
        new Dense({ units: 2, activaton: 'relu' } as never);
      } catch (err) {
        return err as Error;
      }
      throw new Error('no error');
    })();
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(
      /^Dense: unknown option 'activaton'; did you mean 'activation'\? \(known: name, inputShape, inputDim, trainable, units, /,
    );
  });

  it('inputDim / input_dim is inputShape [inputDim], as Keras', () => {
    const before = memory().numTensors;
    const a = new Dense({ units: 3, input_dim: 100 } as never);
    const b = new Dense({ units: 3, inputDim: 100 });
    for (const d of [a, b]) {
      expect(d.built).toBe(true);
      expect(d.kernel.shape).toEqual([100, 3]);
      expect(d.getConfig().inputShape).toEqual([100]);
    }
    const m = new Sequential([new Dense({ units: 4, inputDim: 6, activation: 'relu' }), new Dense({ units: 1 })]);
    expect(m.summary(false)).toContain('Total params: 33');
    for (const x of [a, b, m]) x.dispose();
    expect(memory().numTensors).toBe(before);
  });

  it('inputDim works on other layers, disagrees with inputShape loudly, and stays the vocabulary size on Embedding', () => {
    const c = new Conv2D({ filters: 2, kernelSize: 1, inputShape: [3, 3, 4] });
    expect(c.kernel.shape).toEqual([1, 1, 4, 2]);
    c.dispose();
    expect(() => new Dense({ units: 3, inputDim: 4, inputShape: [5] })).toThrow(
      /Dense: inputDim 4 and inputShape \[5\] disagree/,
    );
    expect(() => new Dense({ units: 3, inputDim: 0 })).toThrow(/Dense: inputDim must be a positive integer, got 0/);
    const same = new Dense({ units: 3, inputDim: 4, inputShape: [4] });
    expect(same.kernel.shape).toEqual([4, 3]);
    same.dispose();
    const e = new Embedding({ inputDim: 10, outputDim: 3 });
    expect(e.built).toBe(false);
    expect(e.inputShapeArg).toBeUndefined();
    e.dispose();
  });
});

describe('fit, evaluate and predict', () => {
  it('accept batch_size as batchSize (the option takes effect: 20 samples in batches of 5 are 4 batches)', async () => {
    expect(await batchesOf({ batch_size: 5 })).toBe(4);
    expect(await batchesOf({ batchSize: 5 })).toBe(4);
    expect(await batchesOf({})).toBe(1); // the default 32
  });

  it('accept validation_split and initial_epoch', async () => {
    const m = net();
    const { x, y } = blobs(20, 4);
    const h = await m.fit(x, y, { epochs: 3, initial_epoch: 1, validation_split: 0.25, verbose: 0, batch_size: 5 });
    expect(h.epoch).toEqual([1, 2]);
    expect(h.history.val_loss).toHaveLength(2);
    expect(Object.keys(h.history).sort()).toEqual(['loss', 'val_loss']);
    const ev = await m.evaluate(x, y, { batch_size: 7, verbose: 0 } as EvaluateArgs);
    const ev2 = await m.evaluate(x, y, { batchSize: 20 });
    expect(ev.loss).toBeCloseTo(ev2.loss, 6);
    const p = m.predict(x, { batch_size: 3, verbose: 0 } as PredictArgs);
    const q = m.predict(x);
    expect(flat(p)).toEqual(flat(q));
    for (const t of [p, q, x, y]) t.dispose();
    m.dispose();
  });

  it("verbose: 'auto' is accepted as Keras 3's default", async () => {
    const m = net();
    const { x, y } = blobs(8, 4);
    await expect(m.evaluate(x, y, { verbose: 'auto' })).resolves.toHaveProperty('loss');
    m.predict(x, { verbose: 'auto' }).dispose();
    for (const t of [x, y]) t.dispose();
    m.dispose();
  });

  it('reject unknown names with a suggestion and both spellings of one option, before allocating anything', async () => {
    const m = net();
    const { x, y } = blobs(8, 4);
    const before = memory().numTensors;
    const cases: [() => Promise<unknown> | unknown, RegExp][] = [
      [
        () => m.fit(x, y, { epoch: 3 } as FitArgs),
        /fit: unknown option 'epoch'; did you mean 'epochs'\? \(known: epochs, batchSize, /,
      ],
      [() => m.fit(x, y, { batchsize: 3 } as FitArgs), /unknown option 'batchsize'; did you mean 'batchSize'\?/],
      [
        () => m.fit(x, y, { batch_size: 3, batchSize: 4 }),
        /fit: option 'batchSize' is given twice \(as 'batchSize' and as another spelling\)/,
      ],
      [
        () => m.fit(x, y, { validation_splt: 0.2 } as FitArgs),
        /unknown option 'validationSplt'; did you mean 'validationSplit'\?/,
      ],
      [
        () => m.evaluate(x, y, { steps: 2 } as EvaluateArgs),
        /evaluate: unknown option 'steps' \(known: batchSize, verbose, sampleWeight\)/,
      ],
      [
        () => m.predict(x, { batchSizes: 2 } as PredictArgs),
        /predict: unknown option 'batchSizes'; did you mean 'batchSize'\?/,
      ],
    ];
    for (const [fn, msg] of cases) {
      const e = await thrown(fn);
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e.message).toMatch(msg);
    }
    expect(memory().numTensors).toBe(before);
    for (const t of [x, y]) t.dispose();
    m.dispose();
  });

  it('compile takes loss_weights and rejects unknown names with a suggestion', () => {
    const m = net();
    m.compile({ optimizer: 'sgd', loss: 'mse', loss_weights: [2] });
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse', metric: ['mae'] } as never)).toThrow(
      /compile: unknown option 'metric'; did you mean 'metrics'\? \(known: optimizer, loss, metrics, lossWeights, runEagerly\)/,
    );
    m.compile({ optimizer: 'sgd', loss: 'mse', run_eagerly: true });
    expect(m.runEagerly).toBe(true);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse', runEagerly: 'yes' } as never)).toThrow(
      /compile: runEagerly must be true or false, got a string \('yes'\)/,
    );
    expect(() => m.compile(null as never)).toThrow(/compile takes an options object/);
    m.dispose();
  });
});

describe('callbacks', () => {
  it("EarlyStopping takes Keras' min_delta: an improvement smaller than it counts as none", () => {
    const run = (options: object): number => {
      const es = new EarlyStopping({ monitor: 'loss', patience: 1, ...options });
      const model = fakeModel();
      es.setModel(model);
      es.onTrainBegin();
      const losses = [1, 0.9, 0.8, 0.7];
      for (let e = 0; e < losses.length && !model.stopTraining; e++) es.onEpochEnd(e, { loss: losses[e] });
      return es.stoppedEpoch;
    };
    expect(run({})).toBe(0); // improves every epoch: never stops
    expect(run({ min_delta: 0.5 })).toBe(1);
    expect(run({ minDelta: 0.5 })).toBe(1);
    expect(() => new EarlyStopping({ min_delt: 0.5 } as never)).toThrow(
      /EarlyStopping: unknown option 'minDelt'; did you mean 'minDelta'\?/,
    );
    expect(() => new EarlyStopping({ patiense: 2 } as never)).toThrow(/did you mean 'patience'\?/);
    expect(() => new EarlyStopping({ verbose: 3 } as never)).toThrow(
      /EarlyStopping: verbose must be one of 0, 1, got 3/,
    );
  });

  it('EarlyStopping restore_best_weights restores the best epoch', async () => {
    const m = net();
    const { x, y } = blobs(16, 4);
    let best: number[] = [];
    let bestLoss = Infinity;
    const spy = new LambdaCallback({
      onEpochEnd: (_e, logs) => {
        if ((logs?.loss ?? Infinity) < bestLoss) {
          bestLoss = logs?.loss as number;
          best = flat(m.getWeights()[0]);
        }
      },
    });
    // Learning rate 5 overshoots, so the loss goes up and down; patience 2 stops after two worse epochs.
    m.compile({ optimizer: optimizers.SGD({ learning_rate: 5 }), loss: 'sparse_categorical_crossentropy' });
    await m.fit(x, y, {
      epochs: 6,
      verbose: 0,
      batch_size: 4,
      shuffle: false,
      callbacks: [spy, new EarlyStopping({ monitor: 'loss', restore_best_weights: true, patience: 6 })],
    });
    const w = m.getWeights();
    expect(flat(w[0])).toEqual(best);
    for (const t of [...w, x, y]) t.dispose();
    m.dispose();
  });

  it('ReduceLROnPlateau takes min_lr, ModelCheckpoint save_best_only, LambdaCallback on_epoch_end, CSVLogger is strict', async () => {
    const r = new ReduceLROnPlateau({ monitor: 'loss', factor: 0.5, patience: 1, min_lr: 0.3 });
    const model = fakeModel(1);
    r.setModel(model);
    for (let e = 0; e < 4; e++) r.onEpochEnd(e, { loss: 1 });
    expect(model.learningRate).toBe(0.3);

    const ck = new ModelCheckpoint('/tmp/tsdl-never-written-{epoch}', { monitor: 'loss', save_best_only: true });
    const cm = fakeModel();
    ck.setModel(cm);
    await ck.onEpochEnd(0, { loss: 1 });
    await ck.onEpochEnd(1, { loss: 2 });
    await ck.onEpochEnd(2, { loss: 0.5 });
    expect(cm.saves).toEqual(['/tmp/tsdl-never-written-1', '/tmp/tsdl-never-written-3']);
    expect(() => new ModelCheckpoint('/tmp/x-{epoch}', { save_best_onl: true } as never)).toThrow(
      /ModelCheckpoint: unknown option 'saveBestOnl'; did you mean 'saveBestOnly'\?/,
    );

    const seen: number[] = [];
    const lc = new LambdaCallback({ on_epoch_end: (e: number) => void seen.push(e) } as never);
    lc.onEpochEnd(4);
    expect(seen).toEqual([4]);
    expect(() => new CSVLogger('/tmp/x.csv', { seperator: ';' } as never)).toThrow(
      /CSVLogger: unknown option 'seperator'; did you mean 'separator'\?/,
    );
  });
});

describe('optimizers and loss objects', () => {
  it("take Keras' learning_rate, beta_1, global_clipnorm and suggest the nearest name", () => {
    const adam = optimizers.Adam({ learning_rate: 0.01, beta_1: 0.8, global_clipnorm: 1 } as never);
    expect(adam.getConfig()).toMatchObject({ learningRate: 0.01, beta1: 0.8, globalClipnorm: 1 });
    expect(() => optimizers.Adam({ learnig_rate: 0.1 } as never)).toThrow(
      /Adam: unknown option 'learnigRate'; did you mean 'learningRate'\?/,
    );
    expect(() => optimizers.SGD({ clipNorm: 1 } as never)).toThrow(
      /SGD: unknown option 'clipNorm'; did you mean 'clipnorm'\?/,
    );
  });

  it('loss objects take from_logits and reject misspellings', () => {
    const l = new SparseCategoricalCrossentropy({ from_logits: true });
    expect(l.getConfig()).toEqual({
      name: 'sparse_categorical_crossentropy',
      reduction: 'sum_over_batch_size',
      fromLogits: true,
    });
    expect(() => new SparseCategoricalCrossentropy({ from_logit: true } as never)).toThrow(
      /SparseCategoricalCrossentropy: unknown option 'fromLogit'; did you mean 'fromLogits'\?/,
    );
    const y = tensor([1], [1], 'int32');
    const z = tensor([[0, 0]]);
    expect(l.call(y, z).item()).toBeCloseTo(Math.log(2), 6);
    y.dispose();
    z.dispose();
  });
});

describe('types', () => {
  it('type snake_case aliases and refuse unknown keys at compile time', () => {
    const ok: FitArgs = { batch_size: 32, validation_split: 0.1, initial_epoch: 0, epochs: 1 };
    // @ts-expect-error an unknown option is a type error too
    const bad: FitArgs = { batch_sise: 32 };
    expect(ok.batch_size).toBe(32);
    expect(bad).toBeDefined();
  });
});
