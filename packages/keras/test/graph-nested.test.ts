import { ArgumentError, ShapeError, type Tensor, dispose, memory } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Concatenate,
  Dense,
  Functional,
  Input,
  InputLayer,
  Sequential,
  loadModel,
  model,
  optimizers,
} from '../src/index';
import { expectValues, flat, seeded, thrown, useCpu, useTempDir } from './helpers';

useCpu();

/** A small encoder: 3 → 4 (relu) → 2, as a Sequential model. */
const encoder = (name = 'encoder'): Sequential =>
  new Sequential({
    name,
    layers: [
      new Dense({ units: 4, activation: 'relu', inputShape: [3], name: `${name}_h`, seed: 1 }),
      new Dense({ units: 2, name: `${name}_out`, seed: 2 }),
    ],
  });

/** The same encoder as a functional model. */
function functionalEncoder(name = 'fenc'): Functional {
  const x = Input({ shape: [3], name: `${name}_x` });
  const h = new Dense({ units: 4, activation: 'relu', name: `${name}_h`, seed: 1 }).apply(x);
  return model({ inputs: x, outputs: new Dense({ units: 2, name: `${name}_out`, seed: 2 }).apply(h), name });
}

describe('a model used as a layer', () => {
  const dir = useTempDir();

  it('inside a Sequential model: computes the inner model, then the next layers; weights are named by the inner model', () => {
    const inner = encoder();
    const outer = new Sequential({ name: 'outer', layers: [inner, new Dense({ units: 1, name: 'head', seed: 3 })] });
    // Built at once: the inner model knows its input shape.
    expect(outer.outputShape).toEqual([null, 1]);
    expect(outer.namedModelWeights().map(([k]) => k)).toEqual([
      'encoder/encoder_h/kernel',
      'encoder/encoder_h/bias',
      'encoder/encoder_out/kernel',
      'encoder/encoder_out/bias',
      'head/kernel',
      'head/bias',
    ]);
    const x = seeded([5, 3], 1);
    const z = inner.predict(x);
    const head = outer.getLayer('head');
    expectValues(outer.predict(x), flat(head.apply(z) as Tensor));
    const rows = outer.summary(false).split('\n');
    expect(rows).toContain(' encoder (Sequential)        (None, 2)                 26');
    expect(outer.summary(false)).toContain('Total params: 29\n');
  });

  it('inside a functional model, applied at two places: one set of weights, both uses computed', () => {
    const inner = functionalEncoder();
    const a = Input({ shape: [3], name: 'a' });
    const b = Input({ shape: [3], name: 'b' });
    const joined = new Concatenate({ name: 'joined' }).apply([inner.apply(a), inner.apply(b)]);
    const outer = model({
      inputs: [a, b],
      outputs: new Dense({ units: 1, name: 'score', seed: 4 }).apply(joined),
      name: 'pair',
    });
    expect(outer.layers.map((l) => l.name)).toEqual(['fenc', 'joined', 'score']);
    expect(outer.getWeights()).toHaveLength(6);
    const xa = seeded([4, 3], 2);
    const xb = seeded([4, 3], 3);
    const za = flat(inner.predict(xa));
    const zb = flat(inner.predict(xb));
    const [k, bias] = outer.getLayer('score').getWeights().map(flat);
    expectValues(
      outer.predict([xa, xb]),
      [0, 1, 2, 3].map(
        (i) => za[2 * i] * k[0] + za[2 * i + 1] * k[1] + zb[2 * i] * k[2] + zb[2 * i + 1] * k[3] + bias[0],
      ),
    );
    // summary: the shared model's row lists both of its nodes' inputs.
    const text = outer.summary(false);
    expect(text).toContain(" fenc (Functional)              (None, 2)            26          ['a[0][0]',");
    expect(text).toContain(' '.repeat(65) + " 'b[0][0]']");
    expect(text).toContain("['fenc[0][0]',\n" + ' '.repeat(65) + " 'fenc[1][0]']");
  });

  it('trains through the inner model (fit moves its weights) and frees what fit made', async () => {
    const inner = encoder('enc2');
    const outer = new Sequential({ name: 'outer2', layers: [inner, new Dense({ units: 1, name: 'head2', seed: 3 })] });
    outer.compile({ optimizer: optimizers.SGD({ learningRate: 0.05 }), loss: 'mse' });
    const x = seeded([32, 3], 4);
    const y = seeded([32, 1], 5);
    const before = inner.getWeights().map(flat);
    const tensors = memory().numTensors;
    const h = await outer.fit(x, y, { epochs: 5, batchSize: 8, verbose: 0 });
    expect(h.history.loss[4]).toBeLessThan(h.history.loss[0]);
    expect(memory().numTensors).toBe(tensors);
    const after = inner.getWeights();
    expect(after.map(flat)).not.toEqual(before);
    dispose(after);
    // A frozen inner model keeps its weights (and the head still trains).
    const frozen = encoder('enc3');
    const outer3 = new Sequential({
      name: 'outer3',
      layers: [frozen, new Dense({ units: 1, name: 'head3', seed: 3 })],
    });
    frozen.trainable = false;
    outer3.compile({ optimizer: optimizers.SGD({ learningRate: 0.05 }), loss: 'mse' });
    const kept = frozen.getWeights().map(flat);
    const head = outer3.getLayer('head3').getWeights().map(flat);
    await outer3.fit(x, y, { epochs: 2, verbose: 0 });
    expect(frozen.getWeights().map(flat)).toEqual(kept);
    expect(outer3.getLayer('head3').getWeights().map(flat)).not.toEqual(head);
  });

  it('saves and loads nested Sequential and functional models with equal predictions', async () => {
    const seqInner = encoder('s_enc');
    const x = Input({ shape: [3], name: 'x' });
    const fInner = functionalEncoder('f_enc');
    const both = new Concatenate({ name: 'both' }).apply([seqInner.apply(x), fInner.apply(x)]);
    const m = model({
      inputs: x,
      outputs: new Dense({ units: 2, activation: 'softmax', name: 'probs', seed: 5 }).apply(both),
      name: 'nested',
    });
    m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const xs = seeded([12, 3], 6);
    await m.fit(xs, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], { epochs: 2, verbose: 0 });
    await m.save(dir());
    const loaded = await loadModel(dir());
    expect(loaded.namedModelWeights().map(([k]) => k)).toEqual(m.namedModelWeights().map(([k]) => k));
    expect(loaded.getLayer('s_enc').className).toBe('Sequential');
    expect(loaded.getLayer('f_enc').className).toBe('Functional');
    expectValues(loaded.predict(xs), flat(m.predict(xs)), { atol: 0, rtol: 0 });
    expect(loaded.summary(false)).toBe(m.summary(false));
  });

  it('shapes that do not fit the inner model are errors naming it', () => {
    const inner = functionalEncoder('strict');
    expect(() => inner.apply(Input({ shape: [4] }))).toThrow(ShapeError);
    expect(() => inner.apply(Input({ shape: [4] }))).toThrow(
      /model 'strict': input 'strict_x' expects shape \(None, 3\), got \(None, 4\)/,
    );
    expect(() => inner.apply([Input({ shape: [3] }), Input({ shape: [3] })])).toThrow(
      /model 'strict' takes 1 inputs \(strict_x\), got 2/,
    );
    const i = Input({ shape: [2] });
    const two = model({
      inputs: i,
      outputs: [new Dense({ units: 1, name: 'o1' }).apply(i), new Dense({ units: 1, name: 'o2' }).apply(i)],
      name: 'two_out',
    });
    expect(() => two.apply(Input({ shape: [2] }))).toThrow(/two_out \(Functional\) returns 2 tensors/);
    expect(() => new Sequential([two, new Dense({ units: 1 })])).toThrow(/two_out \(Functional\) returns 2 tensors/);
    // A list of one output is one output when the model is a layer.
    const j = Input({ shape: [2] });
    const listed = model({
      inputs: j,
      outputs: [new Dense({ units: 3, name: 'l3', seed: 1 }).apply(j)],
      name: 'listed',
    });
    const outer = new Sequential([listed, new Dense({ units: 1, name: 'after', seed: 2 })]);
    const x = seeded([2, 2], 9);
    expect(outer.predict(x).shape).toEqual([2, 1]);
    expect(listed.predict(x)).toHaveLength(1);
  });
});

describe('Sequential models with an Input first, as the Keras docs write them', () => {
  const dir = useTempDir();

  it('Sequential([Input({ shape }), ...]) and add(Input(...)) build at once; the Input names the input', async () => {
    const m = new Sequential([Input({ shape: [4], name: 'features' }), new Dense({ units: 3, name: 'd', seed: 1 })]);
    expect(m.built).toBe(true);
    expect(m.outputShape).toEqual([null, 3]);
    expect(m.layers.map((l) => l.name)).toEqual(['d']);
    expect(m.inputNames).toEqual(['features']);
    expect(m.summary(false)).toContain(' d (Dense)                   (None, 3)                 15');
    const n = new Sequential({ name: 'added' });
    n.add(Input({ shape: [4], name: 'inp' }));
    expect(n.built).toBe(true);
    n.add(new Dense({ units: 2, name: 'dd' }));
    expect(n.outputShape).toEqual([null, 2]);
    expect(new Sequential([new InputLayer({ shape: [5] }), new Dense({ units: 1 })]).outputShape).toEqual([null, 1]);
  });

  it('an Input anywhere but first is an error', () => {
    const m = new Sequential([new Dense({ units: 2, inputShape: [3] })]);
    expect(() => m.add(Input({ shape: [3] }))).toThrow(/an Input \('input_layer\w*'\) can only come first/);
    expect(() => new Sequential([Input({ shape: [3] }), Input({ shape: [3] })])).toThrow(ArgumentError);
    expect(() => new Sequential([new Dense({ units: 2 }).apply(Input({ shape: [3] })) as never])).toThrow(
      /a symbolic tensor can only be added as the model's Input/,
    );
  });

  it('keeps the Input name through save and load, and data keyed by it', async () => {
    const m = new Sequential([Input({ shape: [2], name: 'xy' }), new Dense({ units: 1, name: 'lin', seed: 2 })]);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = seeded([6, 2], 7);
    await m.fit({ xy: x }, seeded([6, 1], 8), { epochs: 1, verbose: 0 });
    await m.save(dir());
    const loaded = await loadModel(dir());
    expect(loaded.inputNames).toEqual(['xy']);
    expectValues(loaded.predict({ xy: x }), flat(m.predict(x)), { atol: 0, rtol: 0 });
    const e = await thrown(() => loaded.predict({ other: x }));
    expect(e.message).toMatch(/keyed by the model's inputs \('xy'\)/);
  });
});
