import { ArgumentError, DTypeError, ShapeError, type Tensor, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Dense,
  Embedding,
  Flatten,
  Sequential,
  StringLookup,
  modelFromArtifacts,
  modelToArtifacts,
} from '../src/index';
import { expectValues, useCpu } from './helpers';

useCpu();

const values = (t: Tensor): number[] => Array.from(t.dataSync());

/** The error `fn` throws, asserting that it leaves memory() as it was. */
function errorOf(fn: () => unknown): Error {
  const before = memory();
  try {
    fn();
  } catch (e) {
    expect(memory()).toEqual(before);
    return e as Error;
  }
  throw new Error('expected an error');
}

const vocab = ['a', 'b', 'c', 'd'];

describe('StringLookup: Keras known answers (its docstring examples)', () => {
  it('int: a given vocabulary, [UNK] at 0', () => {
    const l = new StringLookup({ vocabulary: vocab });
    const y = l.call([
      ['a', 'c', 'd'],
      ['d', 'z', 'b'],
    ]);
    expect(y.dtype).toBe('int32');
    expect(y.shape).toEqual([2, 3]);
    expect(values(y)).toEqual([1, 3, 4, 4, 0, 2]);
    expect(l.getVocabulary()).toEqual(['[UNK]', 'a', 'b', 'c', 'd']);
    expect(l.vocabularySize()).toBe(5);
    // A flat list keeps its shape.
    const flat = l.call(['b', 'q']);
    expect(flat.shape).toEqual([2]);
    expect(values(flat)).toEqual([2, 0]);
  });

  it('adapt: by count, ties by token descending', () => {
    const data = [
      ['a', 'c', 'd'],
      ['d', 'z', 'b'],
    ];
    const l = new StringLookup();
    l.adapt(data);
    expect(l.getVocabulary()).toEqual(['[UNK]', 'd', 'z', 'c', 'b', 'a']);
    expect(values(l.call(data))).toEqual([5, 3, 1, 1, 2, 4]);
  });

  it('one_hot, multi_hot, count', () => {
    const oneHot = new StringLookup({ vocabulary: vocab, outputMode: 'one_hot' });
    const y = oneHot.call(['a', 'b', 'c', 'd', 'z']);
    expect(y.shape).toEqual([5, 5]);
    expect(values(y)).toEqual([0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0]);
    // A last axis of 1 is replaced by the depth; a longer one gets a depth axis.
    expect(oneHot.call([['a'], ['z']]).shape).toEqual([2, 5]);
    expect(
      oneHot.call([
        ['a', 'b'],
        ['z', 'c'],
      ]).shape,
    ).toEqual([2, 2, 5]);
    expect(oneHot.computeOutputShape([null, 1])).toEqual([null, 5]);
    expect(oneHot.computeOutputShape([null, 3])).toEqual([null, 3, 5]);
    const data = [
      ['a', 'c', 'd', 'd'],
      ['d', 'z', 'b', 'z'],
    ];
    expect(values(new StringLookup({ vocabulary: vocab, outputMode: 'multi_hot' }).call(data))).toEqual([
      0, 1, 0, 1, 1, 1, 0, 1, 0, 1,
    ]);
    expect(values(new StringLookup({ vocabulary: vocab, outputMode: 'count' }).call(data))).toEqual([
      0, 1, 0, 1, 2, 2, 0, 1, 0, 1,
    ]);
  });

  it('tf_idf with and without the OOV weight given', () => {
    const data = [
      ['a', 'c', 'd', 'd'],
      ['d', 'z', 'b', 'z'],
    ];
    const l = new StringLookup({ outputMode: 'tf_idf' });
    l.setVocabulary(vocab, [0.25, 0.75, 0.6, 0.4]);
    expectValues(l.call(data), [0, 0.25, 0, 0.6, 0.8, 1.0, 0, 0.75, 0, 0.4]);
    const withOov = new StringLookup({ outputMode: 'tf_idf' });
    withOov.setVocabulary(['[UNK]', ...vocab], [0.9, 0.25, 0.75, 0.6, 0.4]);
    expectValues(withOov.call(data), [0, 0.25, 0, 0.6, 0.8, 1.8, 0, 0.75, 0, 0.4]);
  });

  it("tf_idf adapt (Keras' index_lookup test): a flat list is one sample, each adapted token a document", () => {
    const l = new StringLookup({ maxTokens: 7, maskToken: '', oovToken: '[OOV]', outputMode: 'tf_idf' });
    l.adapt(['one', 'one', 'one', 'two', 'two', 'three']);
    const y = l.call(['one', 'two', 'four']);
    expect(y.shape).toEqual([4]);
    expectValues(y, [1.1337324, 0.91629076, 1.0986123, 0.0], { atol: 1e-6, rtol: 1e-6 });
    // Rows: each row a document.
    const r = new StringLookup({ maxTokens: 7, maskToken: '', oovToken: '[OOV]', outputMode: 'tf_idf' });
    r.adapt([
      ['one', 'one'],
      ['one', 'two'],
      ['two', 'three'],
    ]);
    const [i1, i2, i3] = [2, 2, 1].map((df) => Math.log(1 + 3 / (1 + df)));
    expect(r.getVocabulary()).toEqual(['[OOV]', 'one', 'two', 'three']);
    expectValues(
      r.call([
        ['one', 'two'],
        ['two', 'four'],
      ]),
      [0, i1, i2, 0, (i1 + i2 + i3) / 3, 0, i2, 0],
      { atol: 1e-6, rtol: 1e-6 },
    );
  });

  it('invert: indices back to tokens, and a round trip', () => {
    const inv = new StringLookup({ vocabulary: vocab, invert: true });
    expect(
      inv.call([
        [1, 3, 4],
        [4, 0, 2],
      ]),
    ).toEqual([
      ['a', 'c', 'd'],
      ['d', '[UNK]', 'b'],
    ]);
    const fwd = new StringLookup({ vocabulary: vocab });
    const data = [
      ['a', 'c', 'd'],
      ['d', 'z', 'b'],
    ];
    expect(inv.call(fwd.call(data))).toEqual([
      ['a', 'c', 'd'],
      ['d', '[UNK]', 'b'],
    ]);
    // Out-of-range indices read as the OOV token; the mask token sits at 0.
    const masked = new StringLookup({ vocabulary: vocab, invert: true, maskToken: '<pad>' });
    expect(masked.call([0, 1, 2, 9, -3])).toEqual(['<pad>', '[UNK]', 'a', '[UNK]', '[UNK]']);
  });

  it('a mask token: index 0 in int mode, dropped by the bag modes, never learned', () => {
    const l = new StringLookup({ maskToken: '<pad>' });
    l.adapt([
      ['x', '<pad>', '<pad>', '<pad>'],
      ['y', 'x'],
    ]);
    expect(l.getVocabulary()).toEqual(['<pad>', '[UNK]', 'x', 'y']);
    expect(values(l.call(['y', '<pad>', 'q']))).toEqual([3, 0, 1]);
    const bag = new StringLookup({ maskToken: '<pad>', vocabulary: ['x', 'y'], outputMode: 'count' });
    expect(bag.getVocabulary()).toEqual(['[UNK]', 'x', 'y']);
    expect(
      values(
        bag.call([
          ['x', '<pad>', 'x'],
          ['q', 'y', '<pad>'],
        ]),
      ),
    ).toEqual([0, 2, 0, 1, 0, 1]);
    // Ragged rows are fine in the bag modes.
    expect(values(bag.call([['x'], ['y', 'y', 'q']]))).toEqual([0, 1, 0, 1, 0, 2]);
  });

  it('numOovIndices 0: an unknown token is an error naming it', () => {
    const l = new StringLookup({ vocabulary: vocab, numOovIndices: 0, name: 'strict' });
    expect(l.getVocabulary()).toEqual(vocab);
    expect(values(l.call(['d', 'a']))).toEqual([3, 0]);
    expect(errorOf(() => l.call(['a', 'zz'])).message).toMatch(
      /strict \(StringLookup\): token 'zz' is not in the vocabulary, and numOovIndices is 0/,
    );
  });
});

describe('StringLookup: errors name the layer and leave memory as it was', () => {
  it('bad options', () => {
    expect(() => new StringLookup({ num_oov: 1 } as never)).toThrow(/StringLookup: unknown option 'numOov'/);
    expect(() => new StringLookup({ numOovIndices: 2 })).toThrow(
      /numOovIndices must be 0 or 1, got 2 \(Keras hashes unknown tokens into several OOV indices with TensorFlow's FarmHash/,
    );
    expect(() => new StringLookup({ name: 'sl_small', maxTokens: 1 })).toThrow(
      /sl_small \(StringLookup\): maxTokens 1 leaves no room for a learned token: the first 1 index is reserved \('\[UNK\]'\); give at least 2/,
    );
    expect(() => new StringLookup({ maxTokens: 2, maskToken: '' })).toThrow(
      /the first 2 indices are reserved \('', '\[UNK\]'\)/,
    );
    expect(() => new StringLookup({ invert: true, outputMode: 'count' })).toThrow(
      /invert needs outputMode 'int', got 'count'/,
    );
    expect(() => new StringLookup({ outputMode: 'bag' as never })).toThrow(
      /outputMode must be 'int', 'one_hot', 'multi_hot', 'count' or 'tf_idf', got 'bag'/,
    );
    expect(() => new StringLookup({ maskToken: 'x', oovToken: 'x' })).toThrow(/maskToken and oovToken must differ/);
    expect(() => new StringLookup({ maskToken: 0 as never })).toThrow(/maskToken must be a string or null, got 0/);
    expect(() => new StringLookup({ vocabulary: ['a', 'b', 'b'] })).toThrow(/vocabulary repeats 'b'/);
    expect(() => new StringLookup({ vocabulary: ['a', '[UNK]'], invert: true })).toThrow(
      /holds the reserved token '\[UNK\]' at index 1/,
    );
    expect(() => new StringLookup({ vocabulary: vocab, maxTokens: 4 })).toThrow(
      /a vocabulary of 5 entries .* is larger than maxTokens 4/,
    );
  });

  it('bad inputs', () => {
    const fresh = new StringLookup({ name: 'sl_fresh' });
    expect(errorOf(() => fresh.call(['a'])).message).toMatch(
      /sl_fresh \(StringLookup\): has no vocabulary; call adapt\(tokens\) or give a vocabulary first/,
    );
    const l = new StringLookup({ vocabulary: vocab, name: 'sl' });
    const e = errorOf(() =>
      l.call([
        ['a', 'b'],
        ['c', 4 as never],
      ]),
    );
    expect(e).toBeInstanceOf(DTypeError);
    expect(e.message).toMatch(/sl \(StringLookup\): expects strings, got 4 \(number\) at \[1\]\[1\]/);
    expect(errorOf(() => l.call([['a', 'b'], ['c']])).message).toMatch(
      /sl \(StringLookup\): rows of different lengths .* need a bag outputMode/,
    );
    expect(errorOf(() => l.call([['a'], 'b' as never])).message).toMatch(/sample 1 is 'b', but sample 0 is a list/);
    expect(() => l.adapt([])).toThrow(/adapt needs at least one token/);
    const inv = new StringLookup({ vocabulary: vocab, invert: true, name: 'sl_inv' });
    expect(() => inv.call(['a'] as never)).toThrow(
      /sl_inv \(StringLookup\): with invert it expects integer indices, got 'a' at position 0/,
    );
    expect(() => inv.call([[1, 2], [3]])).toThrow(ShapeError);
    const floats = tensor([1, 2]);
    expect(errorOf(() => inv.call(floats)).message).toMatch(
      /with invert it expects int32 indices, got a float32 tensor/,
    );
    expect(() => inv.encodeStrings(['a'])).toThrow(
      /with invert it maps indices to tokens; give it indices, not strings/,
    );
    expect(inv.readsStrings).toBe(false);
  });
});

describe('StringLookup as a model input layer', () => {
  it('Sequential([StringLookup, Embedding, Flatten, Dense]) learns from string[][]; saves and loads', async () => {
    // Two-token samples; the label is whether 'yes' occurs.
    const pool = ['yes', 'no', 'maybe', 'later', 'never'];
    const x: string[][] = [];
    const y: number[][] = [];
    for (let i = 0; i < 40; i++) {
      const s = [pool[i % 5], pool[(i * 3 + 1) % 5]];
      x.push(s);
      y.push([s.includes('yes') ? 1 : 0]);
    }
    const lookup = new StringLookup();
    lookup.adapt(x);
    const m = new Sequential([
      lookup,
      new Embedding({ inputDim: lookup.vocabularySize(), outputDim: 4, seed: 1 }),
      new Flatten(),
      new Dense({ units: 1, activation: 'sigmoid', seed: 2 }),
    ]);
    m.compile({
      optimizer: { className: 'adam', config: { learningRate: 0.1 } },
      loss: 'binary_crossentropy',
      metrics: ['accuracy'],
    });
    const h = await m.fit(x, y, { epochs: 25, batchSize: 8, verbose: 0, seed: 1 });
    expect(h.history.accuracy[24]).toBe(1);
    const probe = [
      ['never', 'yes'],
      ['no', 'unseen'],
    ];
    const p = values(m.predict(probe));
    expect(p[0]).toBeGreaterThan(0.5);
    expect(p[1]).toBeLessThan(0.5);
    const loaded = await modelFromArtifacts(await modelToArtifacts(m));
    expect((loaded.layers[0] as StringLookup).getVocabulary()).toEqual(lookup.getVocabulary());
    expect(values(loaded.predict(probe))).toEqual(p);
  });

  it('a multi_hot StringLookup before Dense: a flat string[] is one token per sample', async () => {
    const lookup = new StringLookup({ vocabulary: ['red', 'green', 'blue'], outputMode: 'multi_hot' });
    const m = new Sequential([lookup, new Dense({ units: 2, seed: 3 })]);
    expect(lookup.encodeStrings(['red', 'blue']).shape).toEqual([2, 1]);
    expect(m.predict(['red', 'blue', 'pink']).shape).toEqual([3, 2]);
    // Each sample's output is the Dense applied to its own multi-hot row.
    const rows = lookup.call([['red'], ['blue'], ['pink']]);
    expect(values(m.predict(['red', 'blue', 'pink']))).toEqual(values((m.layers[1] as Dense).call(rows)));
    const loaded = await modelFromArtifacts(await modelToArtifacts(m));
    expect(loaded.layers[0].getConfig()).toEqual(lookup.getConfig());
  });

  it('config round trip keeps the mask token, OOV token, invert and tf-idf weights', () => {
    const l = new StringLookup({
      maskToken: '',
      oovToken: '[OOV]',
      outputMode: 'tf_idf',
      maxTokens: 9,
      padToMaxTokens: true,
    });
    l.adapt([['p', 'q'], ['p']]);
    const copy = new StringLookup(JSON.parse(JSON.stringify({ ...l.getConfig(), name: 'copy' })));
    expect(copy.getVocabulary()).toEqual(l.getVocabulary());
    expect(values(copy.call([['q', 'p', 'r']]))).toEqual(values(l.call([['q', 'p', 'r']])));
    expect(copy.call([['q']]).shape).toEqual([1, 9]);
    const inv = new StringLookup({ vocabulary: ['u', 'v'], invert: true, maskToken: '#' });
    const invCopy = new StringLookup(JSON.parse(JSON.stringify({ ...inv.getConfig(), name: 'inv_copy' })));
    expect(invCopy.call([0, 1, 2, 3])).toEqual(['#', '[UNK]', 'u', 'v']);
  });
});

describe('StringLookup: bag outputs for indices given as a tensor', () => {
  it('multi_hot from an int32 tensor of indices, -1 for no token', () => {
    const l = new StringLookup({ vocabulary: ['a', 'b'], outputMode: 'multi_hot', name: 'sl_ids' });
    expect(
      values(
        l.call(
          tensor(
            [
              [1, -1, 1],
              [2, 0, -1],
            ],
            undefined,
            'int32',
          ),
        ),
      ),
    ).toEqual([0, 1, 0, 1, 0, 1]);
    const bad = tensor([[3]], undefined, 'int32');
    expect(errorOf(() => l.call(bad))).toBeInstanceOf(ArgumentError);
  });
});
