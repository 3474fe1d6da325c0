import { ArgumentError, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { Dense, Dropout, Functional, Input, Sequential, SymbolicTensor, model, optimizers } from '../src/index';
import { blobs, expectValues, flat, useCpu } from './helpers';

useCpu();

function mlp(): Functional {
  const inputs = Input({ shape: [2] });
  const h = new Dense({ units: 8, activation: 'relu', seed: 1 }).apply(inputs);
  const d = new Dropout({ rate: 0.1, seed: 3 }).apply(h);
  const outputs = new Dense({ units: 2, activation: 'softmax', seed: 2 }).apply(d);
  return model({ inputs, outputs });
}

describe('functional models', () => {
  it('symbolic tensors carry shapes through the layers', () => {
    const x = Input({ shape: [6, 4] });
    expect(x.shape).toEqual([null, 6, 4]);
    const y = new Dense({ units: 3 }).apply(x);
    expect(y).toBeInstanceOf(SymbolicTensor);
    expect(y.shape).toEqual([null, 6, 3]);
    expect(() => Input({ shape: [0] })).toThrow(/shape must be a list of positive integers/);
  });

  it('train to ≥ 95% on two blobs and predict probabilities', async () => {
    const train = blobs(200, 11);
    const test = blobs(100, 12);
    const m = mlp();
    expect(m.layers.map((l) => l.className)).toEqual(['Dense', 'Dropout', 'Dense']);
    m.compile({
      optimizer: optimizers.Adam({ learningRate: 0.02 }),
      loss: 'sparse_categorical_crossentropy',
      metrics: ['accuracy'],
    });
    const h = await m.fit(train.x, train.y, { epochs: 6, batchSize: 16, verbose: 0, validationSplit: 0.2 });
    expect(Object.keys(h.history)).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    expect((await m.evaluate(test.x, test.y)).accuracy).toBeGreaterThanOrEqual(0.95);
    const p = m.predict(test.x, { batchSize: 7 });
    expect(p.shape).toEqual([100, 2]);
    const v = flat(p);
    for (let i = 0; i < 100; i++) expect(v[2 * i] + v[2 * i + 1]).toBeCloseTo(1, 5);
    expect(flat(m.predict(test.x))).toEqual(v);
  });

  it('compute the same function as the equivalent Sequential model with the same weights', () => {
    const f = mlp();
    const s = new Sequential([
      new Dense({ units: 8, activation: 'relu', inputShape: [2] }),
      new Dropout(0.1),
      new Dense({ units: 2, activation: 'softmax' }),
    ]);
    s.setWeights(f.getWeights());
    const x = tensor([
      [0.5, -1],
      [2, 0.25],
      [-3, 1],
    ]);
    expectValues(f.predict(x), flat(s.predict(x)));
    // And the model called directly in inference mode.
    f.eval();
    expectValues(f.call(x), flat(s.predict(x)));
  });

  it('reject graphs whose outputs do not come from the inputs', () => {
    const a = Input({ shape: [2] });
    const b = Input({ shape: [2] });
    const out = new Dense({ units: 1 }).apply(b);
    expect(() => model({ inputs: a, outputs: out })).toThrow(/the outputs are not computed from the given inputs/);
    expect(() => model({ inputs: out, outputs: out })).toThrow(/inputs must come from Input\(\)/);
    expect(() => model({ inputs: tensor([1]) as never, outputs: out })).toThrow(ArgumentError);
  });
});
