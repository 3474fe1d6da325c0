import { type Tensor, dispose, memory, seed, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  BatchNormalization,
  Concatenate,
  Dense,
  Dropout,
  type FitArgs,
  LambdaCallback,
  type Layer,
  Input,
  Sequential,
  model,
  optimizers,
} from '../src/index';
import { blobs, useCpu } from './helpers';

useCpu();

/**
 * fit's training step is traced and replayed (train-step-capture.ts) unless
 * compile({ runEagerly: true }): both must train to the same bits.
 */

interface Run {
  weights: Float32Array[];
  history: Record<string, number[]>;
  stats: { traces: number; replays: number; eager: number; refusal: string | null } | null;
}

function stats(m: object): Run['stats'] {
  const capture = (m as unknown as { trainCapture: { stats: Run['stats'] } | null }).trainCapture;
  return capture ? ({ ...(capture.stats as object) } as Run['stats']) : null;
}

async function train(
  layers: () => Layer[],
  runEagerly: boolean,
  args: FitArgs,
  callbacks: (m: Sequential) => LambdaCallback[] = () => [],
  optimizer: () => unknown = () => optimizers.Adam({ learningRate: 0.01 }),
): Promise<Run> {
  seed(3);
  const m = new Sequential(layers());
  m.compile({
    optimizer: optimizer() as never,
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy'],
    runEagerly,
  });
  const { x, y } = blobs(96, 5);
  const h = await m.fit(x, y, { ...args, callbacks: callbacks(m), verbose: 0 });
  const ws = m.getWeights();
  const weights = ws.map((t) => t.dataSync() as Float32Array);
  dispose(ws);
  const run = { weights, history: h.history, stats: stats(m) };
  dispose([x, y]);
  m.dispose();
  return run;
}

const mlp = (): Layer[] => [
  new Dense({ units: 16, activation: 'relu', inputShape: [2], seed: 1 }),
  new Dropout({ rate: 0.3 }),
  new Dense({ units: 3, activation: 'softmax', seed: 2 }),
];

describe('fit replays its traced training step', () => {
  it('to the bits of the eager step: dropout, shuffling, validation, a last partial batch', async () => {
    const args: FitArgs = { epochs: 3, batchSize: 10, shuffle: true, validationSplit: 0.2 };
    const before = memory().numTensors;
    const eager = await train(mlp, true, args);
    expect(memory().numTensors).toBe(before);
    const replayed = await train(mlp, false, args);
    expect(replayed.weights).toEqual(eager.weights);
    expect(replayed.history).toEqual(eager.history);
    expect(eager.stats).toBeNull();
    // 77 samples: 7 full batches and one of 7 an epoch. Each batch size traces until two traces
    // match: three times, since the first makes what later steps hold (the loss's 1/m constant; the
    // optimizer's moments).
    expect(replayed.stats).toEqual({ traces: 6, replays: 3 * 8 - 6, eager: 0, refusal: null });
    expect(memory().numTensors).toBe(before);
  });

  it("replays a step that assigns state (BatchNormalization's moving statistics) to the same bits", async () => {
    const layers = (): Layer[] => [
      new Dense({ units: 8, inputShape: [2], seed: 1 }),
      new BatchNormalization({}),
      new Dense({ units: 3, activation: 'softmax', seed: 2 }),
    ];
    const args: FitArgs = { epochs: 2, batchSize: 16 };
    const eager = await train(layers, true, args);
    const captured = await train(layers, false, args);
    expect(captured.weights).toEqual(eager.weights);
    expect(captured.history).toEqual(eager.history);
    // getWeights includes the moving mean and variance, which the replays assigned.
    expect(captured.weights).toHaveLength(8);
    // 96 samples: 6 batches of 16 an epoch; the first step makes the optimizer's moments.
    expect(captured.stats).toMatchObject({ traces: 3, replays: 2 * 6 - 3, eager: 0 });
  });

  it('traces again when a callback freezes a layer, so the frozen weights stay put', async () => {
    const freeze = (m: Sequential) => [
      new LambdaCallback({
        onEpochEnd: (epoch: number) => {
          if (epoch === 0) m.layers[0].trainable = false;
        },
      }),
    ];
    const args: FitArgs = { epochs: 3, batchSize: 16 };
    const eager = await train(mlp, true, args, freeze);
    const captured = await train(mlp, false, args, freeze);
    expect(captured.weights).toEqual(eager.weights);
    expect(captured.history).toEqual(eager.history);
    // Two plans: three traces before the freeze (as above), two after it.
    expect(captured.stats).toMatchObject({ traces: 5, replays: 3 * 6 - 5 });
  });

  it('replays the update with a schedule and clipping, and with a rate a callback set', async () => {
    const args: FitArgs = { epochs: 3, batchSize: 16 };
    // The schedule's rate changes every step, the clipped norm every batch.
    const scheduled = () =>
      optimizers.Adam({
        learningRate: optimizers.schedules.ExponentialDecay({
          initialLearningRate: 0.05,
          decaySteps: 2,
          decayRate: 0.7,
        }),
        globalClipnorm: 0.5,
      });
    const eager = await train(mlp, true, args, undefined, scheduled);
    const captured = await train(mlp, false, args, undefined, scheduled);
    expect(captured.weights).toEqual(eager.weights);
    expect(captured.history).toEqual(eager.history);
    expect(captured.stats).toMatchObject({ traces: 3, replays: 3 * 6 - 3 });

    const slower = (m: Sequential) => [
      new LambdaCallback({ onEpochEnd: (epoch: number) => void (m.learningRate = 0.01 / (epoch + 2)) }),
    ];
    const eagerSet = await train(mlp, true, args, slower);
    const capturedSet = await train(mlp, false, args, slower);
    expect(capturedSet.weights).toEqual(eagerSet.weights);
    // Only the scalars changed: the plan of the first epoch is replayed on.
    expect(capturedSet.stats).toMatchObject({ traces: 3, replays: 3 * 6 - 3 });
    expect(capturedSet.weights).not.toEqual(captured.weights);
  });

  it('trainOnBatch goes through the same capture', async () => {
    const results: Tensor[][] = [];
    for (const runEagerly of [true, false]) {
      seed(3);
      const m = new Sequential(mlp());
      m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', runEagerly });
      const { x, y } = blobs(12, 4);
      const losses: number[] = [];
      for (let i = 0; i < 5; i++) losses.push((await m.trainOnBatch(x, y)).loss);
      results.push(m.getWeights());
      expect(losses.every(Number.isFinite)).toBe(true);
      // The first step makes the optimizer's moments, so the second and third trace alike.
      if (!runEagerly) expect(stats(m)).toMatchObject({ traces: 3, replays: 2 });
      dispose([x, y]);
      m.dispose();
    }
    expect(results[1].map((t) => t.dataSync())).toEqual(results[0].map((t) => t.dataSync()));
    dispose(results);
  });

  it('a model with two inputs, two outputs and sample weights replays to the same bits', async () => {
    const runs = [];
    for (const runEagerly of [true, false]) {
      seed(5);
      const a = Input({ shape: [2], name: 'a' });
      const b = Input({ shape: [3], name: 'b' });
      const h = new Dropout({ rate: 0.2 }).apply(
        new Dense({ units: 8, activation: 'relu', seed: 1 }).apply(new Concatenate({}).apply([a, b])),
      );
      const cls = new Dense({ units: 3, activation: 'softmax', seed: 2, name: 'cls' }).apply(h);
      const reg = new Dense({ units: 1, seed: 3, name: 'reg' }).apply(h);
      const m = model({ inputs: [a, b], outputs: [cls, reg] });
      m.compile({
        optimizer: 'adam',
        loss: ['sparse_categorical_crossentropy', 'mse'],
        lossWeights: [1, 0.5],
        metrics: [['accuracy'], []],
        runEagerly,
      });
      const n = 40;
      const xa = tensor(
        Array.from({ length: n * 2 }, (_, i) => Math.sin(i)),
        [n, 2],
      );
      const xb = tensor(
        Array.from({ length: n * 3 }, (_, i) => Math.cos(i * 0.5)),
        [n, 3],
      );
      const yc = tensor(
        Array.from({ length: n }, (_, i) => i % 3),
        [n],
        'int32',
      );
      const yr = tensor(
        Array.from({ length: n }, (_, i) => i / n),
        [n, 1],
      );
      const w = tensor(
        Array.from({ length: n }, (_, i) => 1 + (i % 4)),
        [n],
      );
      const h2 = await m.fit([xa, xb], [yc, yr], { epochs: 3, batchSize: 8, sampleWeight: [w, w], verbose: 0 });
      const ws = m.getWeights();
      runs.push({ weights: ws.map((t) => t.dataSync()), history: h2.history, stats: stats(m) });
      dispose([...ws, xa, xb, yc, yr, w]);
      m.dispose();
    }
    expect(runs[1].weights).toEqual(runs[0].weights);
    expect(runs[1].history).toEqual(runs[0].history);
    expect(runs[1].stats).toMatchObject({ traces: 3, replays: 3 * 5 - 3, refusal: null });
  });
});
