import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArgumentError, DTypeError, ShapeError, type Tensor, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Dense,
  Embedding,
  GlobalAveragePooling1D,
  Input,
  Sequential,
  TextVectorization,
  loadModel,
  model,
  modelFromArtifacts,
  modelToArtifacts,
} from '../src/index';
import { expectValues, useCpu, useTempDir } from './helpers';

useCpu();

const rows = (t: Tensor): number[][] => {
  const v = Array.from(t.dataSync());
  const m = t.shape[1];
  return Array.from({ length: t.shape[0] }, (_, i) => v.slice(i * m, (i + 1) * m));
};

const col = (v: number[]): number[][] => v.map((x) => [x]);

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

describe('TextVectorization: Keras known answers (Keras docs and tests)', () => {
  it('adapt: vocabulary by count, ties by token descending; int output padded to outputSequenceLength', () => {
    const v = new TextVectorization({ maxTokens: 5000, outputMode: 'int', outputSequenceLength: 4 });
    v.adapt(['foo bar', 'bar baz', 'baz bada boom']);
    expect(v.getVocabulary()).toEqual(['', '[UNK]', 'baz', 'bar', 'foo', 'boom', 'bada']);
    expect(v.getVocabulary(false)).toEqual(['baz', 'bar', 'foo', 'boom', 'bada']);
    expect(v.vocabularySize()).toBe(7);
    const y = v.call([['foo qux bar'], ['qux baz']]);
    expect(y.dtype).toBe('int32');
    expect(rows(y)).toEqual([
      [4, 1, 3, 0],
      [1, 2, 0, 0],
    ]);
    // A flat list is the same samples.
    expect(rows(v.call(['foo qux bar', 'qux baz']))).toEqual(rows(y));
  });

  it('a given vocabulary gets the padding and OOV tokens in front', () => {
    const v = new TextVectorization({
      maxTokens: 5000,
      outputSequenceLength: 4,
      vocabulary: ['earth', 'wind', 'and', 'fire'],
    });
    expect(v.getVocabulary()).toEqual(['', '[UNK]', 'earth', 'wind', 'and', 'fire']);
    // setVocabulary, as Keras' set_vocabulary, and the same result as the adapted layer above.
    const w = new TextVectorization({ outputSequenceLength: 4 });
    w.setVocabulary(['baz', 'bar', 'foo']);
    expect(rows(w.call([['foo qux bar'], ['qux baz']]))).toEqual([
      [4, 1, 3, 0],
      [1, 2, 0, 0],
    ]);
    // Without outputSequenceLength: padded to the longest text, truncated by it.
    expect(rows(w.call(['foo', 'bar baz qux foo', '']))).toEqual([
      [4, 0, 0, 0],
      [3, 2, 1, 4],
      [0, 0, 0, 0],
    ]);
    const short = new TextVectorization({ vocabulary: ['baz', 'bar', 'foo'], outputSequenceLength: 2 });
    expect(rows(short.call(['foo bar baz']))).toEqual([[4, 3]]);
  });

  it("multi_hot, count and tf_idf ('[UNK]' at index 0)", () => {
    const mh = new TextVectorization({ outputMode: 'multi_hot', vocabulary: ['foo', 'bar', 'baz'] });
    expect(mh.getVocabulary()).toEqual(['[UNK]', 'foo', 'bar', 'baz']);
    expect(rows(mh.call([['foo bar'], ['baz foo foo']]))).toEqual([
      [0, 1, 1, 0],
      [0, 1, 0, 1],
    ]);
    const count = new TextVectorization({ outputMode: 'count', vocabulary: ['foo', 'bar', 'baz'] });
    expect(rows(count.call(['foo bar', 'baz foo foo', 'qux qux foo']))).toEqual([
      [0, 1, 1, 0],
      [0, 2, 0, 1],
      [2, 1, 0, 0],
    ]);
    const tfidf = new TextVectorization({
      outputMode: 'tf_idf',
      vocabulary: ['foo', 'bar', 'baz'],
      idfWeights: [0.3, 0.5, 0.2],
    });
    const y = tfidf.call(['foo bar', 'baz foo foo']);
    expect(y.dtype).toBe('float32');
    // '[UNK]' (not given) gets the mean weight, 1/3.
    expectValues(tfidf.call(['qux']), [1 / 3, 0, 0, 0]);
    expectValues(y, [0, 0.3, 0.5, 0, 0, 0.6, 0, 0.2]);
  });

  it('standardize and split modes, and functions for them', () => {
    const text = ['Hello, World!. This is just a nice test!'];
    const vocab = ['hello', 'world', 'this', 'is', 'nice', 'test'];
    expect(
      rows(new TextVectorization({ standardize: 'lower_and_strip_punctuation', vocabulary: vocab }).call(text)),
    ).toEqual([[2, 3, 4, 5, 1, 1, 6, 7]]);
    expect(rows(new TextVectorization({ standardize: 'lower', vocabulary: ['hello,', ...vocab] }).call(text))).toEqual([
      [2, 1, 5, 6, 1, 1, 7, 1],
    ]);
    expect(
      rows(
        new TextVectorization({ standardize: 'strip_punctuation', vocabulary: ['Hello', 'World', 'Test'] }).call([
          'Hello, World! Test.',
        ]),
      ),
    ).toEqual([[2, 3, 4]]);
    expect(
      rows(new TextVectorization({ standardize: null, vocabulary: ['Hello', 'world'] }).call(['Hello hello'])),
    ).toEqual([[2, 1]]);
    expect(rows(new TextVectorization({ split: 'character', vocabulary: [...'abcde'] }).call(['abcf']))).toEqual([
      [2, 3, 4, 1],
    ]);
    // As in Keras' test: the default standardize strips '|' before the split sees it.
    expect(
      rows(
        new TextVectorization({ split: (s) => s.split('|'), vocabulary: ['foo', 'bar', 'foobar'] }).call(['foo|bar']),
      ),
    ).toEqual([[4]]);
    expect(
      rows(
        new TextVectorization({
          standardize: 'lower',
          split: (s) => s.split('|'),
          vocabulary: ['foo', 'bar', 'foobar'],
        }).call(['Foo|bar']),
      ),
    ).toEqual([[2, 3]]);
    expect(
      rows(
        new TextVectorization({ standardize: (s) => s.replace(/-/g, ' '), vocabulary: ['foo', 'bar'] }).call([
          'foo-bar',
        ]),
      ),
    ).toEqual([[2, 3]]);
    // split null: the whole (standardized) text is one token.
    expect(
      rows(
        new TextVectorization({ split: null, vocabulary: ['new york', 'paris'] }).call(['New York', 'Paris!', 'Rome']),
      ),
    ).toEqual([[2], [3], [1]]);
  });

  it('ngrams: up to n, or the sizes listed', () => {
    const v = new TextVectorization({ ngrams: 2 });
    expect(v.tokens('A b c')).toEqual(['a', 'b', 'c', 'a b', 'b c']);
    v.adapt(['a b', 'a b c']);
    expect(v.getVocabulary()).toEqual(['', '[UNK]', 'b', 'a b', 'a', 'c', 'b c']);
    expect(rows(v.call(['a b c d']))).toEqual([[4, 2, 5, 1, 3, 6, 1]]);
    expect(new TextVectorization({ ngrams: [2, 3] }).tokens('a b c')).toEqual(['a b', 'b c', 'a b c']);
  });

  it("tf_idf adapt: idf = log(1 + documents / (1 + documents with the token)), OOV the mean (Keras' index_lookup test)", () => {
    const v = new TextVectorization({ maxTokens: 7, outputMode: 'tf_idf' });
    v.adapt(['one', 'one', 'one', 'two', 'two', 'three']);
    expect(v.getVocabulary()).toEqual(['[UNK]', 'one', 'two', 'three']);
    const idf = [3, 2, 1].map((df) => Math.log(1 + 6 / (1 + df)));
    const oov = (idf[0] + idf[1] + idf[2]) / 3;
    expectValues(v.call(['one two four']), [oov, idf[0], idf[1], 0], { atol: 1e-6, rtol: 1e-6 });
    // Keras' expected numbers for the same case.
    expectValues(v.call(['one two four']), [1.1337324, 0.91629076, 1.0986123, 0.0], { atol: 1e-6, rtol: 1e-6 });
    // Counts multiply the weights; documents count once per document for the idf.
    const w = new TextVectorization({ outputMode: 'tf_idf' });
    w.adapt(['a a b', 'a c', 'c c c']);
    const [ia, ic, ib] = [2, 2, 1].map((df) => Math.log(1 + 3 / (1 + df)));
    expect(w.getVocabulary()).toEqual(['[UNK]', 'c', 'a', 'b']);
    expectValues(w.call(['a a c zz']), [(ic + ia + ib) / 3, ic, 2 * ia, 0], { atol: 1e-6, rtol: 1e-6 });
  });

  it('maxTokens keeps the most frequent tokens; padToMaxTokens widens the bag outputs', () => {
    const int = new TextVectorization({ maxTokens: 4 });
    int.adapt(['a a a b b c', 'c d']);
    expect(int.getVocabulary()).toEqual(['', '[UNK]', 'a', 'c']);
    const bag = new TextVectorization({ maxTokens: 6, outputMode: 'tf_idf', padToMaxTokens: true });
    bag.adapt(['x y', 'x']);
    expect(bag.getVocabulary()).toEqual(['[UNK]', 'x', 'y']);
    expect(bag.computeOutputShape([null, 1])).toEqual([null, 6]);
    const [ix, iy] = [2, 1].map((df) => Math.log(1 + 2 / (1 + df)));
    expectValues(bag.call(['y x q']), [(ix + iy) / 2, ix, iy, 0, 0, 0], { atol: 1e-6, rtol: 1e-6 });
    const mh = new TextVectorization({
      maxTokens: 5,
      outputMode: 'multi_hot',
      padToMaxTokens: true,
      vocabulary: ['p'],
    });
    expect(rows(mh.call(['p p r']))).toEqual([[1, 1, 0, 0, 0]]);
  });

  it('output shapes: [batch, outputSequenceLength] (null without it), [batch, depth] in the bag modes', () => {
    expect(new TextVectorization({ outputSequenceLength: 9 }).computeOutputShape([null, 1])).toEqual([null, 9]);
    expect(new TextVectorization().computeOutputShape([null])).toEqual([null, null]);
    expect(
      new TextVectorization({ outputMode: 'count', vocabulary: ['a', 'b'] }).computeOutputShape([null, 1]),
    ).toEqual([null, 3]);
  });
});

describe('TextVectorization: errors name the layer and leave memory as it was', () => {
  it('bad options', () => {
    expect(() => new TextVectorization({ max_tokens: 10, outputmode: 'int' } as never)).toThrow(
      /TextVectorization: unknown option 'outputmode'/,
    );
    expect(() => new TextVectorization({ sparse: true } as never)).toThrow(ArgumentError);
    expect(() => new TextVectorization({ name: 'tv_small', maxTokens: 2 })).toThrow(
      /tv_small \(TextVectorization\): maxTokens 2 leaves no room for a learned token: the first 2 indices are reserved \('', '\[UNK\]'\); give at least 3/,
    );
    expect(() => new TextVectorization({ maxTokens: 1, outputMode: 'multi_hot' })).toThrow(
      /maxTokens 1 leaves no room .* \('\[UNK\]'\); give at least 2/,
    );
    expect(() => new TextVectorization({ maxTokens: 3, vocabulary: ['a', 'b'] })).toThrow(
      /a vocabulary of 4 entries \(reserved tokens included\) is larger than maxTokens 3/,
    );
    expect(() => new TextVectorization({ outputMode: 'multi_hot', outputSequenceLength: 5 })).toThrow(
      /outputSequenceLength is only used in 'int' mode/,
    );
    expect(() => new TextVectorization({ outputMode: 'one_hot' as never })).toThrow(
      /outputMode must be 'int', 'multi_hot', 'count' or 'tf_idf', got 'one_hot'/,
    );
    expect(() => new TextVectorization({ standardize: 'upper' as never })).toThrow(
      /standardize must be 'lower_and_strip_punctuation', 'lower', 'strip_punctuation', null or a function, got 'upper'/,
    );
    expect(() => new TextVectorization({ split: 'word' as never })).toThrow(
      /split must be 'whitespace', 'character', null or a function/,
    );
    expect(() => new TextVectorization({ ngrams: 0 })).toThrow(
      /ngrams must be a positive integer or a non-empty list of them, got 0/,
    );
    expect(() => new TextVectorization({ padToMaxTokens: true, outputMode: 'count' })).toThrow(
      /padToMaxTokens needs maxTokens/,
    );
    expect(() => new TextVectorization({ outputMode: 'tf_idf', vocabulary: ['a'] })).toThrow(
      /in 'tf_idf' mode a given vocabulary needs idfWeights/,
    );
    expect(() => new TextVectorization({ outputMode: 'tf_idf', vocabulary: ['a', 'b'], idfWeights: [1] })).toThrow(
      /idfWeights has 1 entries for a vocabulary of 2/,
    );
    expect(() => new TextVectorization({ vocabulary: ['a'], idfWeights: [1] })).toThrow(
      /idfWeights is only used in 'tf_idf' mode/,
    );
    expect(() => new TextVectorization({ vocabulary: ['a', 'b', 'a'] })).toThrow(
      /vocabulary repeats 'a' \(at index 2\)/,
    );
    expect(() => new TextVectorization({ vocabulary: ['a', ''] })).toThrow(
      /holds the reserved token '' at index 1; leave the reserved tokens out, or put them first in this order: \['', '\[UNK\]'\]/,
    );
    expect(() => new TextVectorization({ vocabulary: [] })).toThrow(/vocabulary must be a non-empty list of strings/);
    expect(() => new TextVectorization({ vocabulary: ['a', 3] as never })).toThrow(
      /vocabulary must be a list of strings, got 3 at index 1/,
    );
  });

  it('calling before adapt, non-string entries, several strings per sample', () => {
    const v = new TextVectorization({ name: 'tv_new' });
    expect(errorOf(() => v.call(['a b'])).message).toMatch(
      /tv_new \(TextVectorization\): has no vocabulary; call adapt\(texts\) or give a vocabulary first/,
    );
    v.adapt(['a b']);
    const e = errorOf(() => v.call(['a', 7 as never]));
    expect(e).toBeInstanceOf(DTypeError);
    expect(e.message).toMatch(/tv_new \(TextVectorization\): expects strings, got 7 \(number\) at \[1\]/);
    expect(errorOf(() => v.call([['a'], [null as never]])).message).toMatch(/got null \(object\) at \[1\]\[0\]/);
    expect(errorOf(() => v.call([['a', 'b']])).message).toMatch(/expects 1 string per sample, got 2 in sample 0/);
    expect(errorOf(() => v.call('a b' as never)).message).toMatch(
      /expected a list of strings \(or of lists of strings\), got 'a b'/,
    );
    expect(() => v.adapt([])).toThrow(/adapt needs at least one text/);
    expect(() => v.adapt([3] as never)).toThrow(DTypeError);
    const bag = new TextVectorization({ outputMode: 'count', name: 'tv_bag' });
    expect(errorOf(() => bag.call(['a'])).message).toMatch(/tv_bag \(TextVectorization\): has no vocabulary/);
    expect(() => bag.computeOutputShape([null, 1])).toThrow(/tv_bag .* has no vocabulary/);
    const fn = new TextVectorization({ split: (() => 5) as never, vocabulary: ['a'] });
    expect(errorOf(() => fn.call(['a'])).message).toMatch(/the split function must return a list of strings, got 5/);
  });

  it('a tensor must be an encoding from encodeStrings', () => {
    const v = new TextVectorization({ vocabulary: ['a'], outputSequenceLength: 3, name: 'tv_t' });
    const [flat, floats, short] = [tensor([1, 2], [2]), tensor([[1, 2]]), tensor([[1, 2]], undefined, 'int32')];
    expect(errorOf(() => v.call(flat)).message).toMatch(
      /tv_t \(TextVectorization\): expects strings, or their encoding \[samples, tokens\]/,
    );
    expect(errorOf(() => v.call(floats)).message).toMatch(/int32 encoding from encodeStrings; got a float32 tensor/);
    expect(errorOf(() => v.call(short)).message).toMatch(
      /an encoding of 2 tokens per sample does not match outputSequenceLength 3/,
    );
    const bag = new TextVectorization({ vocabulary: ['a'], outputMode: 'count', name: 'tv_ids' });
    const ids = tensor([[1, 5]], undefined, 'int32');
    expect(errorOf(() => bag.call(ids)).message).toMatch(
      /tv_ids \(TextVectorization\): token index 5 at position 1 is outside \[0, 2\)/,
    );
  });

  it('a bag layer in a model keeps its width: a vocabulary of another size is refused', () => {
    const v = new TextVectorization({ outputMode: 'multi_hot', vocabulary: ['a', 'b'] });
    const m = new Sequential([v, new Dense({ units: 1 })]);
    m.predict(['a']);
    expect(() => v.adapt(['x y z'])).toThrow(
      /the new vocabulary would make the output 4 wide, but the layer was built 3 wide/,
    );
    v.adapt(['x y']);
    expect(v.getVocabulary()).toEqual(['[UNK]', 'y', 'x']);
  });
});

/** A two-class text task a bag of words separates: positive texts hold 'good' words, negative ones 'bad' words. */
function sentiment(n: number): { texts: string[]; labels: number[] } {
  const good = ['great', 'good', 'fine', 'lovely', 'superb'];
  const bad = ['awful', 'bad', 'poor', 'dreadful', 'terrible'];
  const filler = ['the', 'film', 'was', 'a', 'plot', 'and', 'acting'];
  const texts: string[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const pos = i % 2 === 0;
    const words = [
      filler[i % 7],
      (pos ? good : bad)[(i * 3) % 5],
      filler[(i + 3) % 7],
      (pos ? good : bad)[(i * 7 + 1) % 5],
    ];
    texts.push(words.slice(0, 2 + (i % 3)).join(' ') + (i % 4 === 0 ? '!' : '.'));
    labels.push(pos ? 1 : 0);
  }
  return { texts, labels };
}

describe('TextVectorization as a model input layer (fit / evaluate / predict on strings)', () => {
  it('Sequential([TextVectorization, Embedding, GlobalAveragePooling1D, Dense]) learns from string[]', async () => {
    const { texts, labels } = sentiment(64);
    const v = new TextVectorization({ maxTokens: 40, outputSequenceLength: 6, name: 'tv' });
    v.adapt(texts);
    const m = new Sequential([
      v,
      new Embedding({ inputDim: 40, outputDim: 8, seed: 1 }),
      new GlobalAveragePooling1D(),
      new Dense({ units: 1, activation: 'sigmoid', seed: 2 }),
    ]);
    m.compile({
      optimizer: { className: 'adam', config: { learningRate: 0.05 } },
      loss: 'binary_crossentropy',
      metrics: ['accuracy'],
    });
    const h = await m.fit(texts, col(labels), {
      epochs: 30,
      batchSize: 16,
      verbose: 0,
      seed: 3,
      validationSplit: 0.25,
    });
    // The encoded strings are freed with the call (the optimizer's state, made by the first fit, stays).
    const before = memory().numTensors;
    await m.fit(texts, col(labels), { epochs: 1, verbose: 0 });
    await m.evaluate(texts, col(labels));
    expect(memory().numTensors).toBe(before);
    expect(h.history.loss[29]).toBeLessThan(h.history.loss[0]);
    expect(h.history.val_accuracy[29]).toBe(1);
    const test = sentiment(16);
    const logs = await m.evaluate(test.texts, col(test.labels));
    expect(logs.accuracy).toBe(1);
    const p = m.predict(['a good and lovely film', 'an awful and terrible plot']);
    expect(p.shape).toEqual([2, 1]);
    const [pos, neg] = Array.from(p.dataSync());
    expect(pos).toBeGreaterThan(0.5);
    expect(neg).toBeLessThan(0.5);
    // The model on strings is the model on their encoding.
    expect(Array.from(m.predict(test.texts).dataSync())).toEqual(
      Array.from(m.predict(v.encodeStrings(test.texts)).dataSync()),
    );
    expect(m.summary(false)).toMatch(/ tv \(TextVectorization\)\s+\(None, 6\)\s+0\n/);
  });

  it('a multi_hot TextVectorization before Dense, with validationData as strings and trainOnBatch', async () => {
    const { texts, labels } = sentiment(48);
    const v = new TextVectorization({ outputMode: 'multi_hot' });
    v.adapt(texts);
    const m = new Sequential([v, new Dense({ units: 1, activation: 'sigmoid', seed: 4 })]);
    m.compile({
      optimizer: { className: 'sgd', config: { learningRate: 0.5 } },
      loss: 'binary_crossentropy',
      metrics: ['accuracy'],
    });
    const val = sentiment(12);
    const h = await m.fit(texts, col(labels), {
      epochs: 20,
      batchSize: 8,
      verbose: 0,
      seed: 1,
      validationData: [val.texts, col(val.labels)],
    });
    expect(h.history.val_accuracy[19]).toBe(1);
    const logs = await m.trainOnBatch(['good superb'], [[1]]);
    expect(logs.loss).toBeLessThan(0.5);
    expect(m.outputShape).toEqual([null, 1]);
    expect((m.layers[1] as Dense).kernel.shape).toEqual([v.vocabularySize(), 1]);
  });

  it('a functional model from Input({ shape: [1] }) takes strings too', async () => {
    const v = new TextVectorization({ vocabulary: ['good', 'bad'], outputSequenceLength: 3 });
    const x = Input({ shape: [1] });
    const y = new Dense({ units: 1, seed: 5 }).apply(
      new GlobalAveragePooling1D().apply(new Embedding({ inputDim: 4, outputDim: 2, seed: 6 }).apply(v.apply(x))),
    );
    const f = model({ inputs: x, outputs: y });
    expect(f.outputShape).toEqual([null, 1]);
    f.compile({ optimizer: 'sgd', loss: 'mse' });
    await f.fit(['good', 'bad good'], [[1], [0]], { epochs: 1, verbose: 0 });
    expect(f.predict(['good bad', 'bad']).shape).toEqual([2, 1]);
  });

  it('strings for a model that does not start with a string layer, or string targets, are clear errors', async () => {
    const m = new Sequential([new Dense({ units: 1, inputShape: [2], name: 'd_first' })]);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    await expect(m.fit(['a', 'b'], [1, 2], { verbose: 0 })).rejects.toThrow(
      /fit: x holds strings, but the model's first layer \(d_first \(Dense\)\) does not take strings; start the model with a TextVectorization or StringLookup layer/,
    );
    expect(() => m.predict([['a']])).toThrow(ArgumentError);
    const v = new TextVectorization({ vocabulary: ['a'] });
    const t = new Sequential([
      v,
      new Embedding({ inputDim: 3, outputDim: 2 }),
      new GlobalAveragePooling1D(),
      new Dense({ units: 1 }),
    ]);
    t.compile({ optimizer: 'sgd', loss: 'mse' });
    const before = memory();
    await expect(t.fit(['a', 'b'], ['x', 'y'] as never, { verbose: 0 })).rejects.toThrow(
      /fit: y: values must be numbers or booleans, got string "x"/,
    );
    await expect(t.fit(['a', 5] as never, [1, 2], { verbose: 0 })).rejects.toThrow(DTypeError);
    await expect(t.fit(['a', 'b'], [1, 2, 3], { verbose: 0 })).rejects.toThrow(ShapeError);
    expect(memory()).toEqual(before);
  });
});

describe('TextVectorization: saved with the model', () => {
  const dir = useTempDir();

  it('the vocabulary and idf weights go in the config; the loaded model vectorizes and predicts identically', async () => {
    const { texts, labels } = sentiment(32);
    for (const outputMode of ['int', 'tf_idf'] as const) {
      const v = new TextVectorization({
        maxTokens: 30,
        outputMode,
        ngrams: 2,
        ...(outputMode === 'int' ? { outputSequenceLength: 5 } : {}),
      });
      v.adapt(texts);
      const layers =
        outputMode === 'int'
          ? [
              v,
              new Embedding({ inputDim: 30, outputDim: 4, seed: 1 }),
              new GlobalAveragePooling1D(),
              new Dense({ units: 1, seed: 2 }),
            ]
          : [v, new Dense({ units: 1, seed: 2 })];
      const m = new Sequential(layers);
      m.compile({ optimizer: 'adam', loss: 'mse' });
      await m.fit(texts, col(labels), { epochs: 2, verbose: 0 });
      const art = await modelToArtifacts(m);
      expect(JSON.stringify(art.config)).toContain(`"vocabulary":${JSON.stringify(v.getVocabulary())}`);
      const loaded = await modelFromArtifacts(art);
      const lv = loaded.layers[0] as TextVectorization;
      expect(lv).toBeInstanceOf(TextVectorization);
      expect(lv.getVocabulary()).toEqual(v.getVocabulary());
      expect(lv.getConfig()).toEqual(v.getConfig());
      const probe = ['good film and', 'unseen words only', 'the awful plot was'];
      expect(Array.from(lv.call(probe).dataSync())).toEqual(Array.from(v.call(probe).dataSync()));
      expect(Array.from(loaded.predict(probe).dataSync())).toEqual(Array.from(m.predict(probe).dataSync()));
      await m.save(`${dir()}/tv-${outputMode}`);
      const fromDisk = await loadModel(`${dir()}/tv-${outputMode}`);
      expect(Array.from(fromDisk.predict(probe).dataSync())).toEqual(Array.from(m.predict(probe).dataSync()));
    }
  });

  it('a function for standardize or split cannot be saved: a clear error', async () => {
    const m = new Sequential([
      new TextVectorization({ standardize: (s) => s.toUpperCase(), vocabulary: ['A'], name: 'tv_fn' }),
      new Embedding({ inputDim: 3, outputDim: 2 }),
    ]);
    await expect(modelToArtifacts(m)).rejects.toThrow(
      /tv_fn \(TextVectorization\): cannot be saved: its standardize is a function/,
    );
  });
});

describe('README', () => {
  it("the '### Text' example runs and its comments hold", async () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n### Text: TextVectorization and StringLookup\n'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    expect(code).toContain('net.fit(texts');
    // Run as a module next to this file, '@tsdl/keras' pointed at the sources (as readme.test.ts does).
    const file = join(here, `.readme-text-${process.pid}.ts`);
    await writeFile(
      file,
      `${code.replaceAll("from '@tsdl/keras'", `from '${resolve(here, '../src/index.ts')}'`)}\nexport { vectorize, p };\n`,
    );
    try {
      const mod = (await import(/* @vite-ignore */ file)) as { vectorize: TextVectorization; p: Tensor };
      expect(rows(mod.vectorize.call(['a great plot']))).toEqual([[9, 2, 4, 0]]);
      expect(mod.p.shape).toEqual([1, 1]);
    } finally {
      await rm(file, { force: true });
    }
  });
});
