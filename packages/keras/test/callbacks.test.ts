import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  CSVLogger,
  Callback,
  Dense,
  EarlyStopping,
  LambdaCallback,
  LearningRateScheduler,
  type Logs,
  ModelCheckpoint,
  ReduceLROnPlateau,
  Sequential,
  TerminateOnNaN,
  loadModel,
  optimizers,
} from '../src/index';
import { blobs, captureConsole, flat, useCpu, useTempDir } from './helpers';

useCpu();
const tempDir = useTempDir();

function classifier(
  optimizer: Parameters<Sequential['compile']>[0]['optimizer'] = optimizers.Adam({ learningRate: 0.02 }),
): Sequential {
  const m = new Sequential([
    new Dense({ units: 4, activation: 'relu', inputShape: [2], seed: 1 }),
    new Dense({ units: 2, activation: 'softmax', seed: 2 }),
  ]);
  m.compile({ optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return m;
}

/**
 * Writes `values[epoch]` into the epoch logs as `score`, so callbacks placed
 * after it see a monitored sequence chosen by the test. It also snapshots the
 * weights at each epoch end (before later callbacks change anything).
 */
class Script extends Callback {
  readonly weights: number[][][] = [];
  constructor(private readonly values: number[]) {
    super();
  }
  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    logs.score = this.values[epoch];
    this.weights.push(this.model.getWeights().map(flat));
  }
}

const data = () => blobs(24, 3);

describe('custom callbacks', () => {
  it('hooks run in order with the right epoch and batch numbers and logs', async () => {
    const { x, y } = blobs(10, 1);
    const events: string[] = [];
    const keys: Record<string, string[]> = {};
    class Recorder extends Callback {
      override onTrainBegin(): void {
        events.push('trainBegin');
      }
      override onEpochBegin(epoch: number): void {
        events.push(`epochBegin ${epoch}`);
      }
      override onBatchBegin(batch: number): void {
        events.push(`batchBegin ${batch}`);
      }
      override onBatchEnd(batch: number, logs?: Logs): void {
        events.push(`batchEnd ${batch}`);
        keys.batch = Object.keys(logs ?? {});
      }
      override async onEpochEnd(epoch: number, logs?: Logs): Promise<void> {
        await new Promise((r) => setTimeout(r, 1)); // async hooks are awaited
        events.push(`epochEnd ${epoch}`);
        keys.epoch = Object.keys(logs ?? {});
      }
      override onTrainEnd(): void {
        events.push('trainEnd');
      }
    }
    const lambdaEpochs: number[] = [];
    await classifier().fit(x, y, {
      epochs: 2,
      batchSize: 4, // 10 samples: batches of 4, 4, 2
      validationSplit: 0.2, // 8 training samples: batches of 4, 4
      verbose: 0,
      callbacks: [new Recorder(), new LambdaCallback({ onEpochEnd: (e) => void lambdaEpochs.push(e) })],
    });
    const epoch = (e: number) => [
      `epochBegin ${e}`,
      'batchBegin 0',
      'batchEnd 0',
      'batchBegin 1',
      'batchEnd 1',
      `epochEnd ${e}`,
    ];
    expect(events).toEqual(['trainBegin', ...epoch(0), ...epoch(1), 'trainEnd']);
    expect(keys.batch).toEqual(['loss', 'accuracy']);
    expect(keys.epoch).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    expect(lambdaEpochs).toEqual([0, 1]);
  });

  it('a callback can stop training by setting model.stopTraining', async () => {
    const { x, y } = data();
    const stopper = new LambdaCallback({});
    stopper.onEpochEnd = function (this: LambdaCallback, epoch: number) {
      if (epoch === 1) (this as unknown as { model: { stopTraining: boolean } }).model.stopTraining = true;
    };
    const h = await classifier().fit(x, y, { epochs: 10, verbose: 0, callbacks: [stopper] });
    expect(h.epoch).toEqual([0, 1]);
  });
});

describe('EarlyStopping', () => {
  it('stops after `patience` epochs without improvement', async () => {
    const { x, y } = data();
    // Best at epoch 2; epochs 3 and 4 do not improve → stop at epoch 4.
    const es = new EarlyStopping({ monitor: 'score', patience: 2 });
    const h = await classifier().fit(x, y, {
      epochs: 20,
      verbose: 0,
      callbacks: [new Script([5, 4, 3, 3.5, 3.2, 1, 1]), es],
    });
    expect(h.epoch).toEqual([0, 1, 2, 3, 4]);
    expect(es.stoppedEpoch).toBe(4);
    expect(es.bestEpoch).toBe(2);
  });

  it("minDelta, mode 'max' and 'auto' for accuracy-like names", async () => {
    const { x, y } = data();
    // Improvements smaller than minDelta do not count: best stays at epoch 0, stop at 1 with patience 1.
    const small = new EarlyStopping({ monitor: 'score', patience: 1, minDelta: 0.5 });
    expect(
      (await classifier().fit(x, y, { epochs: 10, verbose: 0, callbacks: [new Script([3, 2.9, 2.8]), small] })).epoch,
    ).toEqual([0, 1]);
    const max = new EarlyStopping({ monitor: 'score', patience: 1, mode: 'max' });
    expect(
      (await classifier().fit(x, y, { epochs: 10, verbose: 0, callbacks: [new Script([1, 2, 3, 2, 5]), max] })).epoch,
    ).toEqual([0, 1, 2, 3]);
    // 'auto' on a name containing 'acc' watches for increases.
    const accLike = new Script([0.5, 0.6, 0.55]);
    accLike.onEpochEnd = function (epoch: number, logs: Logs = {}) {
      logs.my_acc = [0.5, 0.6, 0.55][epoch];
    };
    const auto = new EarlyStopping({ monitor: 'my_acc', patience: 1 });
    expect((await classifier().fit(x, y, { epochs: 10, verbose: 0, callbacks: [accLike, auto] })).epoch).toEqual([
      0, 1, 2,
    ]);
  });

  it('restoreBestWeights puts back the weights of the best epoch', async () => {
    const { x, y } = data();
    const script = new Script([3, 1, 2, 2.5, 2.6]);
    const m = classifier();
    const es = new EarlyStopping({ monitor: 'score', patience: 2, restoreBestWeights: true });
    const h = await m.fit(x, y, { epochs: 10, verbose: 0, callbacks: [script, es] });
    expect(h.epoch).toEqual([0, 1, 2, 3]);
    const final = m.getWeights().map(flat);
    expect(final).toEqual(script.weights[1]);
    expect(final).not.toEqual(script.weights[3]);
  });

  it('without restoreBestWeights the last weights stay', async () => {
    const { x, y } = data();
    const script = new Script([3, 1, 2, 2.5, 2.6]);
    const m = classifier();
    await m.fit(x, y, {
      epochs: 10,
      verbose: 0,
      callbacks: [script, new EarlyStopping({ monitor: 'score', patience: 2 })],
    });
    expect(m.getWeights().map(flat)).toEqual(script.weights[3]);
  });

  it('warns and carries on when the monitored value is missing', async () => {
    const { x, y } = data();
    const { result, warn } = await captureConsole(() =>
      classifier().fit(x, y, { epochs: 2, verbose: 0, callbacks: [new EarlyStopping({ patience: 0 })] }),
    );
    expect(result.epoch).toEqual([0, 1]);
    expect(warn[0]).toMatch(/EarlyStopping: metric 'val_loss' is not in the logs \(available: loss, accuracy\)/);
  });
});

describe('ModelCheckpoint', () => {
  it('saveBestOnly writes only on improvement, filling {epoch:02d} into the path', async () => {
    const { x, y } = data();
    const dir = join(tempDir(), 'ckpt');
    const script = new Script([3, 2, 2.5, 1, 1.5]);
    const cp = new ModelCheckpoint(join(dir, 'model-{epoch:02d}'), { monitor: 'score', saveBestOnly: true });
    const m = classifier();
    await m.fit(x, y, { epochs: 5, verbose: 0, callbacks: [script, cp] });
    expect(cp.saved).toEqual(['01', '02', '04'].map((e) => join(dir, `model-${e}`)));
    for (const e of ['03', '05']) expect(existsSync(join(dir, `model-${e}`))).toBe(false);
    // The checkpoint of epoch 4 holds that epoch's weights.
    const loaded = await loadModel(join(dir, 'model-04'));
    expect(loaded.getWeights().map(flat)).toEqual(script.weights[3]);
  });

  it('without saveBestOnly saves every epoch, filling log values into the path', async () => {
    const { x, y } = data();
    const dir = join(tempDir(), 'every');
    // Python format specs, as Keras users write them; no spec gives the plain number.
    const cp = new ModelCheckpoint(join(dir, 'e{epoch}-{epoch:03d}-s{score:.2f}-{score:.1e}-{score}-{missing}'));
    await classifier().fit(x, y, { epochs: 2, verbose: 0, callbacks: [new Script([0.5, 0.000125]), cp] });
    expect(cp.saved).toEqual([
      join(dir, 'e1-001-s0.50-5.0e-01-0.5-{missing}'),
      join(dir, 'e2-002-s0.00-1.3e-04-0.000125-{missing}'),
    ]);
    expect(existsSync(join(cp.saved[1], 'config.json'))).toBe(true);
  });
});

describe('learning-rate callbacks', () => {
  it("LearningRateScheduler sets the optimizer's learning rate at each epoch's start", async () => {
    const { x, y } = data();
    const m = classifier(optimizers.SGD({ learningRate: 0.1 }));
    const seen: [number, number][] = [];
    const record = new LambdaCallback({ onEpochBegin: () => void seen.push([m.learningRate, m.optimizer!.lr]) });
    const schedule = new LearningRateScheduler((epoch, lr) => (epoch === 0 ? lr : lr * 0.5));
    await m.fit(x, y, { epochs: 3, verbose: 0, callbacks: [schedule, record] });
    expect(seen).toEqual([
      [0.1, 0.1],
      [0.05, 0.05],
      [0.025, 0.025],
    ]);
  });

  it('a scheduled learning rate of 0 freezes the weights', async () => {
    const { x, y } = data();
    const m = classifier(optimizers.SGD({ learningRate: 0.5 }));
    const before = m.getWeights().map(flat);
    await m.fit(x, y, { epochs: 2, verbose: 0, callbacks: [new LearningRateScheduler(() => 0)] });
    expect(m.getWeights().map(flat)).toEqual(before);
    await expect(
      m.fit(x, y, { epochs: 1, verbose: 0, callbacks: [new LearningRateScheduler(() => -1)] }),
    ).rejects.toThrow(/the schedule returned -1 at epoch 0/);
  });

  it('ReduceLROnPlateau multiplies the rate by factor after patience epochs without improvement', async () => {
    const { x, y } = data();
    const m = classifier(optimizers.SGD({ learningRate: 0.1 }));
    const lrs: number[] = [];
    const reduce = new ReduceLROnPlateau({ monitor: 'score', patience: 2, factor: 0.5 });
    const record = new LambdaCallback({ onEpochEnd: () => void lrs.push(m.learningRate) });
    await m.fit(x, y, {
      epochs: 7,
      verbose: 0,
      callbacks: [new Script([1, 1, 1, 0.5, 0.5, 0.5, 0.5]), reduce, record],
    });
    expect(lrs).toEqual([0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025]);
  });

  it('ReduceLROnPlateau honours minLr and cooldown', async () => {
    const { x, y } = data();
    const m = classifier(optimizers.SGD({ learningRate: 0.1 }));
    const lrs: number[] = [];
    const reduce = new ReduceLROnPlateau({ monitor: 'score', patience: 1, factor: 0.1, minLr: 0.002, cooldown: 2 });
    const record = new LambdaCallback({ onEpochEnd: () => void lrs.push(Number(m.learningRate.toPrecision(6))) });
    await m.fit(x, y, { epochs: 6, verbose: 0, callbacks: [new Script([1, 1, 1, 1, 1, 1]), reduce, record] });
    // Reduce at epoch 1; epoch 2 is in cooldown; at epoch 3 the cooldown ends and the plateau
    // counts again, so the rate drops, clamped to minLr (not 0.001), and goes no lower.
    expect(lrs).toEqual([0.1, 0.01, 0.01, 0.002, 0.002, 0.002]);
  });
});

describe('TerminateOnNaN', () => {
  it('stops at the first batch whose loss is NaN', async () => {
    const x = tensor([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
      [5, Number.NaN],
      [6, 6],
      [7, 7],
      [8, 8],
    ]);
    const y = tensor([0, 1, 0, 1, 0, 1, 0, 1], [8], 'int32');
    const batches: number[] = [];
    const { result, warn } = await captureConsole(() =>
      classifier().fit(x, y, {
        epochs: 3,
        batchSize: 2,
        shuffle: false,
        verbose: 0,
        callbacks: [new TerminateOnNaN(), new LambdaCallback({ onBatchEnd: (b) => void batches.push(b) })],
      }),
    );
    expect(batches).toEqual([0, 1, 2]);
    expect(result.epoch).toEqual([0]);
    expect(result.history.loss[0]).toBeNaN();
    expect(warn).toEqual(['TerminateOnNaN: batch 2 has loss NaN; stopping training']);
  });
});

describe('CSVLogger', () => {
  it('writes a header (epoch, then sorted keys) and one row per epoch with the logged values', async () => {
    const { x, y } = data();
    const path = join(tempDir(), 'log.csv');
    const m = classifier();
    const h = await m.fit(x, y, { epochs: 3, verbose: 0, validationSplit: 0.25, callbacks: [new CSVLogger(path)] });
    const rows = (await readFile(path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((r) => r.split(','));
    expect(rows[0]).toEqual(['epoch', 'accuracy', 'loss', 'val_accuracy', 'val_loss']);
    expect(rows).toHaveLength(4);
    rows.slice(1).forEach((row, e) => {
      expect(row.map(Number)).toEqual([
        e,
        h.history.accuracy[e],
        h.history.loss[e],
        h.history.val_accuracy[e],
        h.history.val_loss[e],
      ]);
    });
  });

  it('overwrites by default, appends without a second header when asked, and takes a separator', async () => {
    const { x, y } = data();
    const path = join(tempDir(), 'append.csv');
    await writeFile(path, 'stale\n');
    await classifier().fit(x, y, { epochs: 1, verbose: 0, callbacks: [new CSVLogger(path, { separator: ';' })] });
    await classifier().fit(x, y, {
      epochs: 2,
      verbose: 0,
      callbacks: [new CSVLogger(path, { separator: ';', append: true })],
    });
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines.map((l) => l.split(';')[0])).toEqual(['epoch', '0', '0', '1']);
    expect(lines[0]).toBe('epoch;accuracy;loss');
  });
});
