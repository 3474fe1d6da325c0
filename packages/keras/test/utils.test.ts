import { ArgumentError, DTypeError, ShapeError, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { Dense, EarlyStopping, Sequential, optimizers, toCategorical, utils } from '../src/index';
import { blobs, captureConsole, flat, thrown, useCpu } from './helpers';

useCpu();

describe('utils.toCategorical', () => {
  it('one-hot rows from class ids: arrays, TypedArrays and tensors', () => {
    const before = memory().numTensors;
    const a = utils.toCategorical([0, 2, 1], 3);
    expect(a.shape).toEqual([3, 3]);
    expect(a.dtype).toBe('float32');
    expect(flat(a)).toEqual([1, 0, 0, 0, 0, 1, 0, 1, 0]);
    // numClasses defaults to the largest id + 1.
    const b = toCategorical(Int32Array.from([1, 3]));
    expect(b.shape).toEqual([2, 4]);
    expect(flat(b)).toEqual([0, 1, 0, 0, 0, 0, 0, 1]);
    // Whole floats are ids; a trailing axis of 1 is dropped, as Keras.
    const ids = tensor([[2], [0]]);
    const c = toCategorical(ids, 3);
    expect(c.shape).toEqual([2, 3]);
    expect(flat(c)).toEqual([0, 0, 1, 1, 0, 0]);
    expect(ids.isDisposed).toBe(false);
    // Sequences of ids: [N, T] → [N, T, C].
    const d = toCategorical(
      [
        [0, 1],
        [1, 1],
      ],
      2,
    );
    expect(d.shape).toEqual([2, 2, 2]);
    expect(flat(d)).toEqual([1, 0, 0, 1, 0, 1, 0, 1]);
    for (const t of [a, b, c, d, ids]) t.dispose();
    expect(memory().numTensors).toBe(before);
  });

  it('errors name the bad id and its position, and free what they made', () => {
    const before = memory().numTensors;
    const cases: [() => unknown, new (...a: never[]) => Error, RegExp][] = [
      [
        () => toCategorical([0, 3, 1], 3),
        ArgumentError,
        /^utils\.toCategorical: label 3 at position 1 is out of range for numClasses 3 \(expected 0 to 2\)/,
      ],
      [() => toCategorical([0, -1], 3), ArgumentError, /label -1 at position 1 is out of range/],
      [
        () => toCategorical([0, 2.5], 3),
        ArgumentError,
        /utils\.toCategorical: class ids must be integers, got 2\.5 at position 1/,
      ],
      [() => toCategorical([0, 1], 0), ArgumentError, /numClasses must be a positive integer, got 0/],
      [() => toCategorical([0, 1], 1.5), ArgumentError, /numClasses must be a positive integer, got 1\.5/],
      [() => toCategorical([], undefined), ArgumentError, /y has no class ids, so numClasses must be given/],
      [
        () => toCategorical('0,1' as never, 2),
        ArgumentError,
        /y must be class ids \(a tensor, nested arrays or a TypedArray\), got a string/,
      ],
      [() => toCategorical([[0, 1], [2]] as never, 3), ShapeError, /^utils\.toCategorical: nested arrays/],
    ];
    for (const [fn, Kind, msg] of cases) {
      let err: unknown = null;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Kind);
      expect((err as Error).message).toMatch(msg);
    }
    const bools = tensor([true, false]);
    expect(() => toCategorical(bools, 2)).toThrow(DTypeError);
    bools.dispose();
    expect(memory().numTensors).toBe(before);
  });
});

describe('EarlyStopping verbose', () => {
  it("says 'Epoch N: early stopping' as Keras when it stops, and nothing otherwise", async () => {
    const m = new Sequential([new Dense({ units: 2, activation: 'softmax', inputShape: [2], seed: 1 })]);
    // A learning rate of 0: the loss never improves, so patience 1 stops at the second epoch (index 1).
    m.compile({ optimizer: optimizers.SGD({ learningRate: 0 }), loss: 'sparse_categorical_crossentropy' });
    const { x, y } = blobs(8, 2);
    const es = new EarlyStopping({ monitor: 'loss', patience: 1, verbose: 1, restore_best_weights: true });
    const { result, log } = await captureConsole(() => m.fit(x, y, { epochs: 10, verbose: 0, callbacks: [es] }));
    expect(result.epoch).toEqual([0, 1]);
    expect(es.stoppedEpoch).toBe(1);
    expect(log).toEqual(['Epoch 2: early stopping', 'Restoring model weights from the end of the best epoch: 1.']);
    const quiet = await captureConsole(() =>
      m.fit(x, y, { epochs: 3, verbose: 0, callbacks: [new EarlyStopping({ monitor: 'loss', patience: 1 })] }),
    );
    expect(quiet.log).toEqual([]);
    const e = await thrown(() =>
      m.fit(x, y, { epochs: 1, verbose: 0, callbacks: [new EarlyStopping({ verbose: 2 } as never)] }),
    );
    expect(e.message).toMatch(/EarlyStopping: verbose must be one of 0, 1, got 2/);
    x.dispose();
    y.dispose();
    m.dispose();
  });
});
