import { gradCheck } from '@tsdl/test-utils';
import { ArgumentError, DTypeError, ShapeError, type Tensor, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  GlobalAveragePooling1D,
  Input,
  PositionalEmbedding,
  Sequential,
  TokenAndPositionEmbedding,
  loadModel,
} from '../src/index';
import { layerFromConfig } from '../src/layers/registry';
import { expectValues, flat, seeded, useCpu, useTempDir } from './helpers';

useCpu();
const dir = useTempDir();

const values = (t: Tensor): number[] => [...(t.dataSync() as Float32Array)];

describe('PositionalEmbedding', () => {
  it('returns the first T position vectors broadcast to the input, weights [sequenceLength, features]', () => {
    const p = new PositionalEmbedding({ sequenceLength: 5, seed: 1 });
    const x = seeded([2, 3, 4], 2);
    const y = p.call(x);
    expect(y.shape).toEqual([2, 3, 4]);
    const [[name, e]] = p.namedWeights();
    expect(name).toBe('embeddings');
    expect(e.shape).toEqual([5, 4]);
    const rows = values(e).slice(0, 12);
    expectValues(y, [...rows, ...rows]);
    // glorot_uniform (KerasHub's default): limit √(6 / (5 + 4)).
    expect(Math.max(...values(e).map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 9));
  });

  it('refuses an input longer than sequenceLength, naming the layer and the lengths', () => {
    const p = new PositionalEmbedding({ sequenceLength: 3, name: 'pos' });
    const before = memory().numTensors;
    expect(() => p.call(seeded([1, 3, 2], 1))).not.toThrow();
    const n = memory().numTensors;
    expect(() => p.call(seeded([1, 4, 2], 1))).toThrow(
      new ShapeError('pos (PositionalEmbedding): the input of shape [1,4,2] has 4 steps, more than sequenceLength 3'),
    );
    expect(memory().numTensors).toBe(n + 1);
    expect(before).toBeLessThan(n);
    expect(() => p.apply(Input({ shape: [4, 2] }))).toThrow(/has 4 steps, more than sequenceLength 3/);
    expect(() => p.call(seeded([1, 2, 5], 1))).toThrow(/expects inputs \[batch, time, 2\], got shape \[1,2,5\]/);
  });

  it('gradient w.r.t. the embeddings matches finite differences (summed over the batch)', async () => {
    const p = new PositionalEmbedding({ sequenceLength: 4, seed: 3 });
    const x = seeded([3, 2, 2], 4);
    p.call(x);
    const f = (e: Tensor): Tensor => {
      const saved = p.embeddings;
      p.embeddings = e;
      try {
        return p.call(x);
      } finally {
        p.embeddings = saved;
      }
    };
    await gradCheck(f, [p.embeddings as Tensor]);
  });

  it("passes a padding mask through and loads under KerasHub's name PositionEmbedding", () => {
    const p = new PositionalEmbedding({ sequenceLength: 4 });
    const m = tensor([true, false], [1, 2], 'bool');
    expect(p.computeMask(seeded([1, 2, 3], 1), m)).toBe(m);
    const back = layerFromConfig({
      className: 'PositionEmbedding',
      config: { name: 'pe', sequence_length: 7, initializer: 'zeros' },
    });
    expect(back).toBeInstanceOf(PositionalEmbedding);
    expect(back.getConfig()).toMatchObject({ sequenceLength: 7, initializer: 'zeros' });
  });
});

describe('TokenAndPositionEmbedding', () => {
  it('adds the token and position embeddings; KerasHub weight names and shapes', () => {
    const l = new TokenAndPositionEmbedding({ vocabularySize: 5, sequenceLength: 4, embeddingDim: 2, seed: 1 });
    const ids = [3, 0, 4, 1, 1, 2];
    const y = l.call(tensor(ids, [2, 3], 'int32'));
    expect(l.namedWeights().map(([n, t]) => `${n}:${t.shape.join('x')}`)).toEqual([
      'token_embedding/embeddings:5x2',
      'position_embedding/embeddings:4x2',
    ]);
    const tok = values(l.tokenEmbeddings as Tensor);
    const pos = values(l.positionEmbeddings as Tensor);
    const expected = ids.flatMap((id, i) => [0, 1].map((d) => tok[id * 2 + d] + pos[(i % 3) * 2 + d]));
    expectValues(y, expected);
    // KerasHub's 'uniform': U(−0.05, 0.05).
    expect(Math.max(...tok.map(Math.abs))).toBeLessThanOrEqual(0.05);
  });

  it('maskZero masks token 0; snake_case KerasHub configs are accepted', () => {
    const l = new TokenAndPositionEmbedding({
      vocabulary_size: 5,
      sequence_length: 4,
      embedding_dim: 2,
      mask_zero: true,
    } as never);
    const x = tensor([3, 0, 0, 1, 2, 0], [2, 3], 'int32');
    expect([...(l.computeMask(x, null) as Tensor).dataSync()].map(Boolean)).toEqual([
      true,
      false,
      false,
      true,
      true,
      false,
    ]);
    expect(l.outputMasked(false)).toBe(true);
    expect(
      new TokenAndPositionEmbedding({ vocabularySize: 5, sequenceLength: 4, embeddingDim: 2 }).computeMask(x, null),
    ).toBeNull();
  });

  it('refuses ids outside the vocabulary and inputs longer than sequenceLength, freeing what it made', () => {
    const l = new TokenAndPositionEmbedding({ vocabularySize: 5, sequenceLength: 3, embeddingDim: 2, name: 'tp' });
    l.call(tensor([1, 2], [1, 2], 'int32'));
    const bad = tensor([1, 5], [1, 2], 'int32');
    const long = tensor([1, 2, 3, 4], [1, 4], 'int32');
    const n = memory().numTensors;
    expect(() => l.call(bad)).toThrow(ArgumentError);
    expect(() => l.call(bad)).toThrow(
      /tp \(TokenAndPositionEmbedding\): a token id of the input of shape \[1,2\] is outside the vocabulary \[0, 5\)/,
    );
    expect(() => l.call(long)).toThrow(
      new ShapeError(
        'tp (TokenAndPositionEmbedding): the input of shape [1,4] has 4 steps, more than sequenceLength 3',
      ),
    );
    expect(() => l.call(tensor([true], [1, 1], 'bool'))).toThrow(DTypeError);
    expect(memory().numTensors).toBe(n + 1);
    expect(
      () =>
        new TokenAndPositionEmbedding({
          vocabularySize: 5,
          sequenceLength: 3,
          embeddingDim: 2,
          tieWeight: true,
        } as never),
    ).toThrow(/unknown option 'tieWeight'/);
    expect(() => new TokenAndPositionEmbedding({ vocabularySize: 0, sequenceLength: 3, embeddingDim: 2 })).toThrow(
      /vocabularySize must be a positive integer/,
    );
  });

  it('saves and loads in a Sequential model with identical predictions', async () => {
    const m = new Sequential([
      new TokenAndPositionEmbedding({
        vocabularySize: 6,
        sequenceLength: 4,
        embeddingDim: 3,
        maskZero: true,
        inputShape: [4],
        seed: 2,
      }),
      new GlobalAveragePooling1D(),
    ]);
    const x = tensor([1, 2, 0, 0, 5, 4, 3, 1], [2, 4], 'int32');
    await m.save(dir());
    const back = await loadModel(dir());
    expect(flat(back.predict(x))).toEqual(flat(m.predict(x)));
    // The mask reached the pooling: sequence 0 averages its two real steps only.
    const l = m.layers[0] as TokenAndPositionEmbedding;
    const tok = values(l.tokenEmbeddings as Tensor);
    const pos = values(l.positionEmbeddings as Tensor);
    expectValues(
      flat(m.predict(x)).slice(0, 3),
      [0, 1, 2].map((d) => (tok[3 + d] + pos[d] + tok[6 + d] + pos[3 + d]) / 2),
    );
  });
});
