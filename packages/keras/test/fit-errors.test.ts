import { cpu } from '@tsdl/backend-cpu';
import { SGD, type Optimizer } from '@tsdl/optim';
import {
  ArgumentError,
  type Backend,
  ShapeError,
  type Tensor,
  getBackend,
  memory,
  setBackend,
  tensor,
} from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  type Callback,
  type CallbackHooks,
  Dense,
  KerasOptimizer,
  Dropout,
  EarlyStopping,
  type FitArgs,
  LambdaCallback,
  Sequential,
  optimizers,
} from '../src/index';
import { blobs, flat, thrown, useCpu } from './helpers';

useCpu();

/**
 * Every error path of fit, evaluate, predict and trainOnBatch leaves memory()
 * where it was: no tensor handles (views included) and no backend storage left
 * behind, whichever hook or check the error came from.
 */

/** A 2 → 4 → 2 softmax classifier, trained once so the optimizer's state exists before a measurement. */
async function trained(): Promise<Sequential> {
  const m = new Sequential([
    new Dense({ units: 4, activation: 'relu', inputShape: [2], seed: 1 }),
    new Dense({ units: 2, activation: 'softmax', seed: 2 }),
  ]);
  m.compile({
    optimizer: optimizers.Adam({ learningRate: 0.02 }),
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy'],
  });
  const { x, y } = blobs(8, 9);
  await m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
  return m;
}

function snapshot(): { numTensors: number; backends: Record<string, { buffers: number; bytes: number }> } {
  const m = memory();
  return { numTensors: m.numTensors, backends: m.backends };
}

/** The error `fn` throws, asserting that memory() (tensor handles, and storages and bytes per backend) is unchanged by it. */
async function failsCleanly(fn: () => unknown): Promise<Error> {
  const before = snapshot();
  const e = await thrown(fn);
  expect(snapshot()).toEqual(before);
  return e;
}

const HOOKS = ['onTrainBegin', 'onEpochBegin', 'onBatchBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'] as const;

/** A callback whose async `hook` rejects with `error` on the second epoch (batch hooks: at its second batch). */
function throwing(hook: (typeof HOOKS)[number], error: Error): Callback {
  let epoch = 0;
  const when = (a?: number): boolean =>
    hook === 'onTrainBegin' ||
    hook === 'onTrainEnd' ||
    ((hook === 'onEpochBegin' || hook === 'onEpochEnd') && a === 1) ||
    (epoch === 1 && a === 1);
  const hooks: CallbackHooks = {
    onEpochBegin: (e) => {
      epoch = e;
    },
  };
  const previous = hooks[hook];
  hooks[hook] = (async (a?: number) => {
    (previous as ((a?: number) => void) | undefined)?.(a);
    // A rejection after an await, not a synchronous throw: fit must clean up after either.
    await Promise.resolve();
    if (when(a)) throw error;
  }) as never;
  return new LambdaCallback(hooks);
}

describe('fit: an error in a callback', () => {
  // Functions: the tensors are made once a backend is set.
  const settings: [string, () => FitArgs][] = [
    ['in order', () => ({ shuffle: false })],
    ['shuffled', () => ({ seed: 4 })],
    ['with validationSplit', () => ({ validationSplit: 0.25, seed: 4 })],
    [
      'with validationData',
      () => ({
        validationData: [
          tensor([
            [1, 1],
            [-1, -1],
          ]),
          tensor([1, 0], [2], 'int32'),
        ],
      }),
    ],
  ];
  for (const hook of HOOKS) {
    for (const [what, args] of settings) {
      it(`in ${hook}, ${what}: propagates unchanged, frees everything fit made and leaves the model trainable`, async () => {
        const m = await trained();
        const { x, y } = blobs(16, 1);
        const boom = new Error(`boom in ${hook}`);
        const extra = args();
        const e = await failsCleanly(() =>
          m.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0, ...extra, callbacks: [throwing(hook, boom)] }),
        );
        expect(e).toBe(boom);
        // Not left in inference mode or locked: the next fit runs and trains.
        expect(m.training).toBe(true);
        const h = await m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
        expect(h.epoch).toEqual([0, 1]);
        expect(h.history.loss.every(Number.isFinite)).toBe(true);
      });
    }
  }

  it('EarlyStopping with restoreBestWeights frees the weights it kept when another callback aborts the fit', async () => {
    const m = await trained();
    const { x, y } = blobs(16, 1);
    const es = new EarlyStopping({ monitor: 'loss', patience: 5, restoreBestWeights: true });
    const boom = new Error('boom');
    const before = m.getWeights().map(flat);
    const e = await failsCleanly(() =>
      m.fit(x, y, { epochs: 4, batchSize: 4, verbose: 0, callbacks: [es, throwing('onEpochEnd', boom)] }),
    );
    expect(e).toBe(boom);
    // The weights are those of the aborted fit's last step, not restored (Keras restores only at a normal end).
    expect(m.getWeights().map(flat)).not.toEqual(before);
  });
});

describe('fit, evaluate, predict: bad data', () => {
  it('an out-of-range label in fit, in validationData and in evaluate frees everything', async () => {
    const m = await trained();
    const { x } = blobs(8, 2);
    const bad = tensor([0, 1, 0, 1, 0, 7, 0, 1], [8], 'int32');
    const good = tensor([0, 1, 0, 1, 0, 1, 0, 1], [8], 'int32');
    for (const args of [{ shuffle: false }, { seed: 1 }, { validationSplit: 0.5 }]) {
      const e = await failsCleanly(() => m.fit(x, bad, { epochs: 2, batchSize: 4, verbose: 0, ...args }));
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e.message).toMatch(/7/);
    }
    expect(
      await failsCleanly(() => m.fit(x, good, { epochs: 2, batchSize: 4, verbose: 0, validationData: [x, bad] })),
    ).toBeInstanceOf(ArgumentError);
    expect(await failsCleanly(() => m.evaluate(x, bad, { batchSize: 3 }))).toBeInstanceOf(ArgumentError);
    expect(await failsCleanly(() => m.trainOnBatch(x, bad))).toBeInstanceOf(ArgumentError);
  });

  it('targets of the wrong shape and inputs of the wrong width are ShapeErrors that free everything', async () => {
    const m = await trained();
    const x = tensor(new Array(16).fill(0.5), [8, 2]);
    const oneHot = tensor(
      new Array(16).fill(0).map((_, i) => (i % 2 === 0 ? 1 : 0)),
      [8, 2],
    );
    const wide = tensor(new Array(24).fill(0.5), [8, 3]);
    const y = tensor([0, 1, 0, 1, 0, 1, 0, 1], [8], 'int32');
    const short = tensor([0, 1, 0], [3], 'int32');
    const cases: [string, () => unknown][] = [
      ['fit one-hot', () => m.fit(x, oneHot, { batchSize: 4, verbose: 0, validationSplit: 0.25 })],
      ['fit wide', () => m.fit(wide, y, { batchSize: 4, verbose: 0, validationSplit: 0.25 })],
      ['fit short', () => m.fit(x, short, { verbose: 0 })],
      ['fit validationData wide', () => m.fit(x, y, { verbose: 0, validationData: [wide, y] })],
      ['evaluate one-hot', () => m.evaluate(x, oneHot, { batchSize: 3 })],
      ['evaluate wide', () => m.evaluate(wide, y)],
      ['predict wide', () => m.predict(wide, { batchSize: 3 })],
      ['trainOnBatch wide', () => m.trainOnBatch(wide, y)],
    ];
    for (const [what, op] of cases) expect(await failsCleanly(op), what).toBeInstanceOf(ShapeError);
  });
});

describe('a failing optimizer step', () => {
  it("leaves no gradients on the weights (they outlive the step's tidy)", async () => {
    let fail = false;
    /** SGD whose step throws when armed, after backward has filled every gradient. */
    class Flaky extends KerasOptimizer {
      readonly className = 'SGD';
      create(params: Tensor[]): Optimizer<any> {
        const sgd = new SGD(params, { lr: 0.1 });
        const step = sgd.step.bind(sgd);
        sgd.step = () => {
          if (fail) throw new Error('step failed');
          step();
        };
        return sgd;
      }
    }
    const m = new Sequential([
      new Dense({ units: 3, inputShape: [2], seed: 1 }),
      new Dense({ units: 2, activation: 'softmax', seed: 2 }),
    ]);
    m.compile({ optimizer: new Flaky({}), loss: 'sparse_categorical_crossentropy' });
    const { x, y } = blobs(8, 1);
    await m.fit(x, y, { epochs: 1, verbose: 0 });
    fail = true;
    expect((await failsCleanly(() => m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 }))).message).toBe(
      'step failed',
    );
    expect((await failsCleanly(() => m.trainOnBatch(x, y))).message).toBe('step failed');
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
  });
});

/**
 * The CPU backend presenting itself as a GPU does: no synchronous read, and
 * (once armed) a read that rejects, as a WebGPU read does when a kernel
 * recorded a bad label in the device's index status.
 */
function failingReads(b: Backend): { backend: Backend; arm(afterReads: number): void } {
  let left = Infinity;
  const backend = Object.create(b, {
    readSync: { value: undefined },
    name: { value: 'cpu-failing-reads' },
    read: {
      value(this: Backend, data: unknown) {
        if (left-- <= 0) return Promise.reject(new ArgumentError('read: a kernel recorded label 7 outside [0, 2)'));
        return b.read.call(this, data as never);
      },
    },
  }) as Backend;
  return { backend, arm: (n) => void (left = n) };
}

describe('a read that rejects (a GPU reporting a bad label)', () => {
  it('fit, evaluate and trainOnBatch free their running sums, batches and read buffers', async () => {
    const fake = failingReads(cpu());
    setBackend(fake.backend);
    try {
      expect(getBackend().name).toBe('cpu-failing-reads');
      const m = await trained();
      const { x, y } = blobs(48, 3);
      for (const afterReads of [0, 1, 2]) {
        fake.arm(afterReads);
        const e = await failsCleanly(() =>
          m.fit(x, y, { epochs: 3, batchSize: 4, readEvery: 5, verbose: 0, validationSplit: 0.25 }),
        );
        expect(e.message).toMatch(/label 7/);
        fake.arm(afterReads);
        expect((await failsCleanly(() => m.evaluate(x, y, { batchSize: 1 }))).message).toMatch(/label 7/);
      }
      fake.arm(0);
      expect((await failsCleanly(() => m.trainOnBatch(x, y))).message).toMatch(/label 7/);
      fake.arm(Infinity);
      expect((await m.fit(x, y, { epochs: 1, verbose: 0 })).history.loss.every(Number.isFinite)).toBe(true);
    } finally {
      setBackend(cpu());
    }
  });
});

describe('evaluate and predict restore the training mode', () => {
  it('after an error, and when two evaluations overlap', async () => {
    const m = new Sequential([
      new Dense({ units: 4, inputShape: [2], seed: 1 }),
      new Dropout(0.5),
      new Dense({ units: 2, activation: 'softmax', seed: 2 }),
    ]);
    m.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
    const { x, y } = blobs(8, 2);
    await thrown(() => m.evaluate(x, tensor([0, 9, 0, 0, 0, 0, 0, 0], [8], 'int32')));
    expect(m.training).toBe(true);
    const alone = await m.evaluate(x, y);
    const [a, b] = await Promise.all([m.evaluate(x, y), m.evaluate(x, y, { batchSize: 3 })]);
    expect(m.training).toBe(true);
    // Dropout was off in both (inference mode), so both equal the lone evaluation.
    expect(a.loss).toBeCloseTo(alone.loss, 6);
    expect(b.loss).toBeCloseTo(alone.loss, 6);
  });
});
