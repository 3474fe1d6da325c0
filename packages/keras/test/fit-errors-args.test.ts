import {
  ArgumentError,
  DisposedError,
  ShapeError,
  type Tensor,
  TsdlError,
  dispose,
  memory,
  tensor,
} from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  CSVLogger,
  Dense,
  EarlyStopping,
  type FitArgs,
  LambdaCallback,
  ReduceLROnPlateau,
  Sequential,
  optimizers,
} from '../src/index';
import { blobs, flat, thrown, useCpu } from './helpers';

useCpu();

/** A 2 → 4 → 2 softmax classifier with seeded weights (SGD: no optimizer state, so memory is flat from the first fit). */
function classifier(): Sequential {
  const m = new Sequential([
    new Dense({ units: 4, activation: 'relu', inputShape: [2], seed: 1 }),
    new Dense({ units: 2, activation: 'softmax', seed: 2 }),
  ]);
  m.compile({
    optimizer: optimizers.SGD({ learningRate: 0.1 }),
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy'],
  });
  return m;
}

function snapshot(): { numTensors: number; backends: Record<string, { buffers: number; bytes: number }> } {
  const m = memory();
  return { numTensors: m.numTensors, backends: m.backends };
}

/** The error `fn` throws, asserting memory() is unchanged by it. */
async function failsCleanly(fn: () => unknown): Promise<Error> {
  const before = snapshot();
  const e = await thrown(fn);
  expect(snapshot()).toEqual(before);
  return e;
}

describe('fit options', () => {
  it('non-integer, negative or mistyped counts are ArgumentErrors naming the option and the value', async () => {
    const m = classifier();
    const { x, y } = blobs(8, 1);
    const bad: [FitArgs, RegExp][] = [
      [{ epochs: 2.5 }, /epochs must be a non-negative integer, got 2\.5/],
      [{ epochs: -1 }, /epochs must be a non-negative integer, got -1/],
      [{ epochs: Number.NaN }, /epochs must be a non-negative integer, got NaN/],
      [{ epochs: '3' as unknown as number }, /epochs must be a non-negative integer, got a string \('3'\)/],
      [{ batchSize: 0 }, /batchSize must be a positive integer, got 0/],
      [{ batchSize: 2.5 }, /batchSize must be a positive integer, got 2\.5/],
      [{ initialEpoch: -1 }, /initialEpoch must be a non-negative integer, got -1/],
      [{ initialEpoch: 0.5 }, /initialEpoch must be a non-negative integer, got 0\.5/],
      [{ seed: 1.5 }, /seed must be an integer, got 1\.5/],
      [{ readEvery: 0 }, /readEvery must be a positive integer, got 0/],
      [{ verbose: 3 as 0 }, /verbose must be one of 0, 1, 2, auto, got 3/],
      [{ shuffle: 'yes' as unknown as boolean }, /shuffle must be one of true, false, got a string/],
      [{ validationSplit: 1 }, /validationSplit must be in \[0, 1\), got 1/],
      [{ validationSplit: -0.1 }, /validationSplit must be in \[0, 1\), got -0\.1/],
      [{ validationSplit: Number.NaN }, /validationSplit must be in \[0, 1\), got NaN/],
      [
        { validationData: [x] as unknown as [typeof x, typeof x] },
        /validationData must be \[x, y\], got an array of length 1/,
      ],
      [{ callbacks: {} as unknown as [] }, /callbacks must be an array of Callback, got an object/],
      [
        { callbacks: [{ onEpochEnd() {} }] as unknown as [] },
        /callbacks\[0\] must be a Callback \(for plain functions: new LambdaCallback/,
      ],
    ];
    for (const [args, message] of bad) {
      const e = await failsCleanly(() => m.fit(x, y, { verbose: 0, ...args }));
      expect(e, JSON.stringify(args)).toBeInstanceOf(ArgumentError);
      expect(e.message).toMatch(/^sequential\w*\.fit: /);
      expect(e.message).toMatch(message);
    }
    // Nothing ran: the weights are the initial ones.
    expect(m.getWeights().map(flat)).toEqual(classifier().getWeights().map(flat));
  });

  it('epochs 0 trains nothing and initialEpoch counts from there, as Keras', async () => {
    const m = classifier();
    const { x, y } = blobs(8, 1);
    const before = m.getWeights().map(flat);
    const h = await m.fit(x, y, { epochs: 0, verbose: 0 });
    expect(h.epoch).toEqual([]);
    expect(m.getWeights().map(flat)).toEqual(before);
    expect((await m.fit(x, y, { epochs: 3, initialEpoch: 1, verbose: 0 })).epoch).toEqual([1, 2]);
  });

  it('validationData overrides validationSplit (all samples train), as Keras', async () => {
    const { x, y } = blobs(16, 2);
    const val = blobs(6, 3);
    const args = {
      epochs: 2,
      batchSize: 4,
      seed: 1,
      verbose: 0 as const,
      validationData: [val.x, val.y] as [Tensor, Tensor],
    };
    const plain = await classifier().fit(x, y, args);
    const both = await classifier().fit(x, y, { ...args, validationSplit: 0.5 });
    expect(both.history).toEqual(plain.history);
    const split = await classifier().fit(x, y, { ...args, validationData: undefined, validationSplit: 0.5 });
    expect(split.history.loss).not.toEqual(plain.history.loss);
  });

  it('unknown option names are errors in fit, evaluate and predict (with a suggestion); Keras snake_case names are accepted', async () => {
    const m = classifier();
    const { x, y } = blobs(8, 1);
    expect((await m.fit(x, y, { batch_size: 4, epochs: 1, verbose: 0 })).epoch).toEqual([0]);
    const fitE = await failsCleanly(() => m.fit(x, y, { epoch: 3 } as FitArgs));
    expect(fitE).toBeInstanceOf(ArgumentError);
    expect(fitE.message).toMatch(/fit: unknown option 'epoch'; did you mean 'epochs'\? \(known: epochs, batchSize, /);
    expect((await failsCleanly(() => m.evaluate(x, y, { steps: 2 } as object))).message).toMatch(
      /evaluate: unknown option 'steps' \(known: batchSize, verbose, sampleWeight\)/,
    );
    expect((await failsCleanly(() => m.predict(x, { steps: 1 } as object))).message).toMatch(
      /predict: unknown option 'steps' \(known: batchSize, verbose\)/,
    );
    expect((await failsCleanly(() => m.evaluate(x, y, { batchSize: 0 }))).message).toMatch(
      /evaluate: batchSize must be a positive integer, got 0/,
    );
    expect((await failsCleanly(() => m.predict(x, { batchSize: 1.5 }))).message).toMatch(
      /predict: batchSize must be a positive integer, got 1\.5/,
    );
    expect((await failsCleanly(() => m.fit(x, y, 5 as FitArgs))).message).toMatch(
      /fit: options must be an object, got 5/,
    );
    // An option given as undefined counts as not given (callers forward optional settings).
    expect((await m.fit(x, y, { epochs: 1, verbose: 0, readEvery: undefined })).epoch).toEqual([0]);
  });

  it('callback constructors reject unknown option names and misspelt hooks', () => {
    expect(() => new EarlyStopping({ patiense: 2 } as object)).toThrow(/EarlyStopping: unknown option 'patiense'/);
    expect(() => new ReduceLROnPlateau({ minLR: 0.1 } as object)).toThrow(
      /ReduceLROnPlateau: unknown option 'minLR'; did you mean 'minLr'\?/,
    );
    expect(() => new CSVLogger('/tmp/x.csv', { sep: ';' } as object)).toThrow(/CSVLogger: unknown option 'sep'/);
    expect(() => new LambdaCallback({ onEpochEnds: () => {} } as object)).toThrow(ArgumentError);
    expect(() => new LambdaCallback({ onEpochEnd: 3 } as object)).toThrow(
      /LambdaCallback: onEpochEnd must be a function, got 3/,
    );
  });
});

describe('empty datasets', () => {
  it('fit, evaluate, predict and trainOnBatch on 0 samples are ArgumentErrors, not a NaN loss', async () => {
    const m = classifier();
    const x = tensor([], [0, 2]);
    const y = tensor([], [0], 'int32');
    for (const [op, fn] of [
      ['fit', () => m.fit(x, y, { verbose: 0 })],
      ['evaluate', () => m.evaluate(x, y)],
      ['predict', () => m.predict(x)],
      ['trainOnBatch', () => m.trainOnBatch(x, y)],
    ] as const) {
      const e = await failsCleanly(fn);
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e.message).toMatch(
        new RegExp(`\\.${op}: x has 0 samples \\(shape \\[0,2\\]\\); ${op} needs at least one`),
      );
    }
    expect((await failsCleanly(() => m.fit([], [], { verbose: 0 }))).message).toMatch(/x has 0 samples/);
  });

  it('a validationSplit that leaves no training (or no validation) samples is an ArgumentError, as Keras', async () => {
    const m = classifier();
    const one = blobs(1, 1);
    const e = await failsCleanly(() => m.fit(one.x, one.y, { validationSplit: 0.5, verbose: 0 }));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(/validationSplit 0\.5 of 1 samples leaves no training samples/);
    const four = blobs(4, 1);
    expect((await failsCleanly(() => m.fit(four.x, four.y, { validationSplit: 0.9, verbose: 0 }))).message).toMatch(
      /leaves no training samples/,
    );
    expect((await failsCleanly(() => m.fit(four.x, four.y, { validationSplit: 1e-20, verbose: 0 }))).message).toMatch(
      /leaves no validation samples/,
    );
  });

  it('empty or mismatched validationData is reported before any training', async () => {
    const m = classifier();
    const { x, y } = blobs(8, 1);
    const before = m.getWeights().map(flat);
    const empty: [Tensor, Tensor] = [tensor([], [0, 2]), tensor([], [0], 'int32')];
    const e = await failsCleanly(() => m.fit(x, y, { verbose: 0, validationData: empty }));
    expect(e.message).toMatch(/validationData\[0\] has 0 samples/);
    const two = tensor([0, 1], [2], 'int32');
    const e2 = await failsCleanly(() => m.fit(x, y, { verbose: 0, validationData: [x, two] }));
    expect(e2).toBeInstanceOf(ShapeError);
    expect(e2.message).toMatch(/validation inputs \[8,2\] and targets \[2\] have different numbers of samples/);
    expect(m.getWeights().map(flat)).toEqual(before);
  });
});

describe('data given as JS arrays and TypedArrays (as Keras takes NumPy arrays and lists)', () => {
  it('fit, evaluate, predict and trainOnBatch give the same results as with tensors, and free the tensors they made', async () => {
    const { x, y, labels } = blobs(12, 5);
    const xs = x.arraySync() as number[][];
    const viaTensors = classifier();
    const viaArrays = classifier();
    // One identical step first, so whatever the optimizer keeps exists before the measurement.
    await viaTensors.trainOnBatch(x, y);
    await viaArrays.trainOnBatch(x, y);
    const args = { epochs: 2, batchSize: 4, seed: 3, verbose: 0 as const, validationSplit: 0.25 };
    const a = await viaTensors.fit(x, y, args);
    const before = snapshot();
    const b = await viaArrays.fit(xs, labels, { ...args, validationData: undefined });
    expect(b.history).toEqual(a.history);
    const weights = [viaArrays.getWeights(), viaTensors.getWeights()];
    expect(weights[0].map(flat)).toEqual(weights[1].map(flat));
    dispose(weights);
    // Labels as an Int32Array, validationData as arrays.
    const c = await viaArrays.fit(xs, Int32Array.from(labels), {
      epochs: 1,
      verbose: 0,
      validationData: [xs.slice(0, 4), labels.slice(0, 4)],
    });
    expect(Object.keys(c.history)).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    const e1 = await viaArrays.evaluate(x, y);
    expect(await viaArrays.evaluate(xs, labels)).toEqual(e1);
    const p = viaArrays.predict(xs, { batchSize: 5 });
    const q = viaArrays.predict(x);
    expect(flat(p)).toEqual(flat(q));
    dispose([p, q]);
    await viaArrays.trainOnBatch(xs, labels);
    // The weights (SGD keeps no state), nothing else: every tensor made from the arrays was freed.
    expect(snapshot()).toEqual(before);
  });

  it("the issue's example: fit([[1, 2], [3, 4]], [0, 1]) trains", async () => {
    const m = classifier();
    const h = await m.fit(
      [
        [1, 2],
        [3, 4],
      ],
      [0, 1],
      { epochs: 2, verbose: 0 },
    );
    expect(h.history.loss).toHaveLength(2);
    expect(h.history.loss.every(Number.isFinite)).toBe(true);
    expect(h.history.loss[1]).toBeLessThan(h.history.loss[0]);
  });

  it('anything else is an error naming the argument; ragged arrays and disposed tensors too', async () => {
    const m = classifier();
    const { x, y } = blobs(4, 1);
    const cases: [() => unknown, RegExp, new (...a: never[]) => Error][] = [
      [
        () => m.fit(null as never, y, { verbose: 0 }),
        /fit: x must be a Tensor, nested arrays of numbers or a TypedArray, got null/,
        ArgumentError,
      ],
      [
        () => m.fit(x, undefined as never, { verbose: 0 }),
        /fit: y must be a Tensor, nested arrays of numbers or a TypedArray, got undefined/,
        ArgumentError,
      ],
      [() => m.fit('abc' as never, y, { verbose: 0 }), /fit: x must be .*, got a string \('abc'\)/, ArgumentError],
      [() => m.evaluate(x, { labels: [0, 1] } as never), /evaluate: y must be .*, got an object/, ArgumentError],
      [() => m.predict(new Map() as never), /predict: x must be .*, got a Map/, ArgumentError],
      [() => m.predict(5 as never), /predict: x must be .*, got 5/, ArgumentError],
      [() => m.fit([[1, 2], [3]], [0, 1], { verbose: 0 }), /fit: x: nested arrays are ragged/, ShapeError],
      // tensor()'s own error class, with the argument named.
      [
        () =>
          m.fit(
            [
              [1, 2],
              [3, 4],
            ],
            ['a', 'b'] as never,
            { verbose: 0 },
          ),
        /fit: y: values must be numbers or booleans, got string/,
        TsdlError,
      ],
      [
        () => m.fit(x, y, { verbose: 0, validationData: [x, null as never] }),
        /fit: validationData\[1\] must be .*, got null/,
        ArgumentError,
      ],
      [
        () => m.trainOnBatch(x, new DataView(new ArrayBuffer(4)) as never),
        /trainOnBatch: y must be .*, got a DataView/,
        ArgumentError,
      ],
    ];
    for (const [fn, message, kind] of cases) {
      const e = await failsCleanly(fn);
      expect(e, String(message)).toBeInstanceOf(kind);
      expect(e.message).toMatch(message);
    }
    const gone = tensor([[1, 2]]);
    gone.dispose();
    const e = await failsCleanly(() => m.predict(gone));
    expect(e).toBeInstanceOf(DisposedError);
    expect(e.message).toMatch(/predict: x \(shape \[1,2\]\) was disposed/);
    // y made from an array is freed when x turns out to be bad after it.
    expect(await failsCleanly(() => m.fit([[1, 2, 3]], [0], { verbose: 0 }))).toBeInstanceOf(ShapeError);
  });
});
