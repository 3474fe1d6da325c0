/**
 * HashedCrossing against the values Keras documents for tf.sparse.cross_hashed
 * (keras.layers.HashedCrossing's docstring examples), shapes, functional use with
 * save/load, errors.
 */
import { ArgumentError, DTypeError, ShapeError, type Tensor, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { Dense, HashedCrossing, Input, model as makeModel, modelFromArtifacts, modelToArtifacts } from '../src/index';
import { layerFromConfig } from '../src/layers/registry';
import { flat, thrown, useCpu } from './helpers';

useCpu();

const FEAT1 = ['A', 'B', 'A', 'B', 'A'];
const FEAT2 = [101, 101, 101, 102, 102];

describe('HashedCrossing: known values (Keras docstring examples)', () => {
  it('crosses two scalar features: numBins 5 gives [1, 4, 1, 1, 3]', () => {
    const l = new HashedCrossing({ numBins: 5 });
    const y = l.call([FEAT1, tensor(FEAT2, [5], 'int32')]);
    expect(y.dtype).toBe('int32');
    expect(y.shape).toEqual([5]);
    expect(flat(y)).toEqual([1, 4, 1, 1, 3]);
  });

  it("one_hot of the same crossing, and [batch, 1] features keep their shape in 'int'", () => {
    const oneHot = new HashedCrossing({ num_bins: 5, output_mode: 'one_hot' } as never).call([FEAT1, FEAT2]);
    expect(oneHot.shape).toEqual([5, 5]);
    expect(flat(oneHot)).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0]);
    const col = new HashedCrossing(5).call([FEAT1.map((v) => [v]), tensor(FEAT2, [5, 1], 'float32')]);
    expect(col.shape).toEqual([5, 1]);
    expect(flat(col)).toEqual([1, 4, 1, 1, 3]);
  });

  it('the order of the features matters, and a third feature changes the bins', () => {
    const l = new HashedCrossing(1000);
    const ab = flat(l.call([FEAT1, FEAT2]));
    const ba = flat(l.call([FEAT2, FEAT1]));
    const abc = flat(l.call([FEAT1, FEAT2, [7, 7, 7, 7, 7]]));
    expect(ab).not.toEqual(ba);
    expect(abc).not.toEqual(ab);
    expect(ab[0]).toBe(ab[2]);
    expect(abc[0]).toBe(abc[2]);
  });
});

describe('HashedCrossing', () => {
  it('config round-trips (snake_case accepted, through the registry); shapes as Keras', () => {
    const l = new HashedCrossing({ numBins: 7, outputMode: 'one_hot', name: 'cross' });
    const c = l.getConfig();
    expect(c).toEqual({ name: 'cross', trainable: true, numBins: 7, outputMode: 'one_hot', sparse: false });
    expect(
      layerFromConfig({
        className: 'HashedCrossing',
        config: { num_bins: 7, output_mode: 'one_hot', sparse: false, name: 'cross' },
      }).getConfig(),
    ).toEqual(c);
    expect(l.computeOutputShape([null, 1])).toEqual([null, 7]);
    expect(l.computeOutputShape([null])).toEqual([null, 7]);
    expect(new HashedCrossing(3).computeOutputShape([null, 1])).toEqual([null, 1]);
  });

  it('in a functional model, saved and loaded, predicts the same', async () => {
    const a = Input({ shape: [1] });
    const b = Input({ shape: [1] });
    const crossed = new HashedCrossing({ numBins: 6, outputMode: 'one_hot' }).apply([a, b]);
    const m = makeModel({ inputs: [a, b], outputs: new Dense({ units: 2, seed: 1 }).apply(crossed) });
    const xs = [tensor([[1], [2], [3]], [3, 1], 'int32'), tensor([[5], [5], [9]], [3, 1], 'int32')];
    const back = await modelFromArtifacts(await modelToArtifacts(m));
    expect(back.layers.map((l) => l.getConfig())).toEqual(m.layers.map((l) => l.getConfig()));
    expect(flat(back.predict(xs) as Tensor)).toEqual(flat(m.predict(xs) as Tensor));
  });

  it('errors name the layer, the feature and the shapes; memory unchanged', async () => {
    expect((await thrown(() => new HashedCrossing({ numBins: 4, outputMode: 'count' } as never))).message).toMatch(
      /HashedCrossing.*outputMode must be 'int' or 'one_hot', got 'count'/,
    );
    expect((await thrown(() => new HashedCrossing({} as never))).message).toMatch(
      /HashedCrossing.*numBins is required/,
    );
    expect(await thrown(() => new HashedCrossing({ numBins: 4, salt: 3 } as never))).toBeInstanceOf(ArgumentError);
    const l = new HashedCrossing(4);
    const two = tensor([[1, 2]], [1, 2], 'int32');
    const bools = tensor([true], [1], 'bool');
    const n = memory().numTensors;
    expect(() => l.call([FEAT1])).toThrow(/HashedCrossing.*at least two features, got 1/);
    expect(() => l.call([FEAT1, [1, 2]])).toThrow(ShapeError);
    expect(() => l.call([FEAT1, [1, 2]])).toThrow(/feature 0 is \[5\], feature 1 is \[2\]/);
    expect(() => l.call([two, two])).toThrow(/feature 0 of shape \(None|feature 0 of shape/);
    expect(() => l.call([bools, bools])).toThrow(DTypeError);
    expect(() =>
      l.call([
        ['a', null],
        ['b', 'c'],
      ] as never),
    ).toThrow(/feature 0 must hold strings or numbers/);
    expect(memory().numTensors).toBe(n);
  });
});
