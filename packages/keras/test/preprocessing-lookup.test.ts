import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArgumentError, DTypeError, type Tensor, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Dense,
  Discretization,
  Flatten,
  Hashing,
  IntegerLookup,
  type Layer,
  Sequential,
  modelFromArtifacts,
  modelToArtifacts,
} from '../src/index';
import { fingerprint64 } from '../src/layers/preprocessing/fingerprint64';
import { siphash24 } from '../src/layers/preprocessing/siphash';
import { flat, useCpu } from './helpers';

useCpu();
const fixture = <T>(name: string): T => JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as T;
const ints = (a: number[], shape = [a.length]): Tensor => tensor(a, shape, 'int32');

describe('IntegerLookup', () => {
  it("maps values to Keras' indices: mask 0, OOV 1, then the vocabulary", () => {
    const l = new IntegerLookup({ vocabulary: [12, 36, 1138, 42], maskToken: 0 });
    expect(flat(l.call(ints([12, 1138, 42, 0, 7, 36], [2, 3])))).toEqual([2, 4, 5, 0, 1, 3]);
    expect(l.getVocabulary()).toEqual([0, -1, 12, 36, 1138, 42]);
    expect(l.vocabularySize()).toEqual(6);
    // Keras' own example: no mask token, OOV at 0.
    expect(
      flat(new IntegerLookup({ vocabulary: [12, 36, 1138, 42] }).call(ints([12, 1138, 42, 42, 1000, 36], [2, 3]))),
    ).toEqual([1, 3, 4, 4, 0, 2]);
  });

  it("adapt orders by frequency, ties by value descending (Keras' sort)", () => {
    const l = new IntegerLookup();
    l.adapt(ints([5, 3, 9, 3, 5, 3, 7, 10, 2]));
    expect(l.getVocabulary()).toEqual([-1, 3, 5, 10, 9, 7, 2]);
    const m = new IntegerLookup({ maxTokens: 3 });
    m.adapt([
      [5, 3],
      [9, 3],
    ]);
    expect(m.getVocabulary()).toEqual([-1, 3, 9]);
  });

  it('several OOV indices take unknown values mod numOovIndices, as Keras', () => {
    const l = new IntegerLookup({ vocabulary: [12, 36], numOovIndices: 3 });
    expect(flat(l.call(ints([12, 36, 5, 6, -1, 7])))).toEqual([3, 4, 2, 0, 2, 1]);
    expect(l.getVocabulary()).toEqual([-1, -1, -1, 12, 36]);
  });

  it('invert maps indices back to values', () => {
    const l = new IntegerLookup({ vocabulary: [12, 36, 1138, 42], invert: true });
    expect(flat(l.call(ints([1, 3, 4, 4, 0, 2], [2, 3])))).toEqual([12, 1138, 42, 42, -1, 36]);
  });

  it('output modes encode rows as StringLookup does (mask dropped, tf-idf weights)', () => {
    const v = [12, 36, 1138, 42];
    expect(
      flat(new IntegerLookup({ vocabulary: v, outputMode: 'multi_hot' }).call(ints([12, 1138, 12, 9], [2, 2]))),
    ).toEqual([0, 1, 0, 1, 0, 1, 1, 0, 0, 0]);
    expect(
      flat(new IntegerLookup({ vocabulary: v, outputMode: 'count', maskToken: 0 }).call(ints([12, 12, 0, 9], [1, 4]))),
    ).toEqual([1, 2, 0, 0, 0]);
    expect(flat(new IntegerLookup({ vocabulary: v, outputMode: 'one_hot' }).call(ints([36, 7])))).toEqual([
      0, 0, 1, 0, 0, 1, 0, 0, 0, 0,
    ]);
    const idf = new IntegerLookup({ vocabulary: v, outputMode: 'tf_idf', idfWeights: [0.25, 0.75, 0.6, 0.4] });
    expect(flat(idf.call(ints([12, 12, 36, 9], [1, 4])))).toEqual([Math.fround(0.5), 0.5, Math.fround(0.75), 0, 0]);
  });

  it('errors name the layer; nothing leaks', () => {
    const l = new IntegerLookup({ vocabulary: [1, 2], numOovIndices: 0, name: 'il' });
    const x = ints([1, 5]);
    const before = memory().numTensors;
    expect(() => l.call(x)).toThrow(/il \(IntegerLookup\): token '5' is not in the vocabulary/);
    expect(() => l.call(tensor([1.5]))).toThrow(DTypeError);
    expect(memory().numTensors).toBe(before + 1);
    expect(() => new IntegerLookup({ vocabulary: [1, 1] })).toThrow(/repeats '1'/);
    expect(() => new IntegerLookup({ vocabulary: [1, 2.5] })).toThrow(/must hold integers, got 2.5 at index 1/);
    expect(() => new IntegerLookup().call(ints([1]))).toThrow(/has no vocabulary/);
    expect(() => new IntegerLookup({ oov_tokn: 3 } as never)).toThrow(
      /unknown option 'oovTokn'; did you mean 'oovToken'/,
    );
  });
});

describe('Discretization', () => {
  it('buckets as numpy.digitize: bin i holds b[i−1] <= x < b[i]', () => {
    const l = new Discretization({ binBoundaries: [0, 1, 2] });
    expect(flat(l.call(tensor([-1.5, 1, 3, 0.5, 0, 2, 1.999, 7], [2, 4])))).toEqual([0, 2, 3, 1, 1, 3, 2, 3]);
    expect(
      flat(new Discretization({ binBoundaries: [0, 1, 2], outputMode: 'one_hot' }).call(tensor([-1, 1.5]))),
    ).toEqual([1, 0, 0, 0, 0, 0, 1, 0]);
    expect(
      flat(new Discretization({ binBoundaries: [0, 1], outputMode: 'count' }).call(tensor([-1, 0.5, 0.7, 4], [1, 4]))),
    ).toEqual([1, 2, 1]);
  });

  it("adapt learns Keras' boundaries (fixtures/discretization_quantiles.py)", () => {
    for (const c of fixture<{ cases: { data: number[]; numBins: number; epsilon: number; boundaries: number[] }[] }>(
      'discretization-quantiles.json',
    ).cases) {
      const l = new Discretization({ numBins: c.numBins, epsilon: c.epsilon });
      l.adapt(tensor(c.data));
      expect(l.binBoundaries).toEqual(c.boundaries);
    }
  });

  it('errors and config checks', () => {
    expect(() => new Discretization()).toThrow(/give binBoundaries, or numBins/);
    expect(() => new Discretization({ binBoundaries: [1, 0] })).toThrow(/sorted in increasing order, got 1 before 0/);
    expect(() => new Discretization({ binBoundaries: [0, 1], numBins: 4 })).toThrow(
      /has 2 edges but numBins 4 needs 3/,
    );
    expect(() => new Discretization({ binBoundaries: [0] }).adapt([1, 2])).toThrow(/cannot adapt/);
    expect(() => new Discretization({ numBins: 3, name: 'd' }).call(tensor([1]))).toThrow(
      /d \(Discretization\): has no bin boundaries/,
    );
  });
});

describe('Hashing', () => {
  it("reproduces Keras' documented outputs (FarmHash64, mask, SipHash64 with a salt)", () => {
    const col = (a: string[]): string[][] => a.map((s) => [s]);
    expect(flat(new Hashing({ numBins: 3 }).call(col(['A', 'B', 'C', 'D', 'E'])))).toEqual([1, 0, 1, 1, 2]);
    expect(flat(new Hashing({ numBins: 3, maskValue: '' }).call(col(['A', 'B', '', 'C', 'D'])))).toEqual([
      1, 1, 0, 2, 2,
    ]);
    expect(flat(new Hashing({ numBins: 3, salt: [133, 137] }).call(col(['A', 'B', 'C', 'D', 'E'])))).toEqual([
      1, 2, 1, 0, 2,
    ]);
  });

  it('Fingerprint64 equals FarmHash on strings of every length (fixtures/hash_vectors.mjs)', () => {
    const enc = new TextEncoder();
    for (const [s, h] of fixture<{ fingerprint64: [string, string][] }>('hash-vectors.json').fingerprint64)
      expect(fingerprint64(enc.encode(s)).toString()).toBe(h);
  });

  it('SipHash-2-4 gives the reference test vectors', () => {
    const key = Uint8Array.from({ length: 16 }, (_, i) => i);
    const dv = new DataView(key.buffer);
    const [k0, k1] = [dv.getBigUint64(0, true), dv.getBigUint64(8, true)];
    expect(siphash24(k0, k1, new Uint8Array(0)).toString(16)).toBe('726fdb47dd0e0e31');
    expect(siphash24(k0, k1, Uint8Array.of(0)).toString(16)).toBe('74f839c593dc67fd');
    expect(
      siphash24(
        k0,
        k1,
        Uint8Array.from({ length: 15 }, (_, i) => i),
      ).toString(16),
    ).toBe('a129ca6149be45e5');
  });

  it('hashes integers as their decimal strings, floats truncated first; output modes', () => {
    const enc = new TextEncoder();
    const bin = (s: string): number => Number(fingerprint64(enc.encode(s)) % 7n);
    const h = new Hashing(7);
    expect(flat(h.call(ints([42, -3, 0])))).toEqual([bin('42'), bin('-3'), bin('0')]);
    expect(flat(h.call(tensor([42.9, -3.7])))).toEqual([bin('42'), bin('-3')]);
    expect(flat(h.call(['42', 'x']))).toEqual([bin('42'), bin('x')]);
    const mh = flat(new Hashing({ numBins: 7, outputMode: 'multi_hot' }).call(ints([42, 0, 42], [1, 3])));
    expect(mh).toEqual(Array.from({ length: 7 }, (_, i) => (i === bin('42') || i === bin('0') ? 1 : 0)));
    expect(() => new Hashing({ numBins: 3, salt: -1 })).toThrow(/salt must be an integer >= 0/);
    expect(() => new Hashing({ numBins: 0 })).toThrow(/numBins must be a positive integer/);
    expect(() => new Hashing(3).call([{}] as never)).toThrow(ArgumentError);
  });
});

describe('save and load', () => {
  const fitted = (): Layer => {
    const d = new Discretization({ numBins: 4 });
    d.adapt(tensor([0.1, 0.5, 0.9, 1.3, 2, 2.2, 3.1, 4]));
    return d;
  };
  const CASES: Record<string, { make: () => Layer; x: () => Tensor }> = {
    IntegerLookup: {
      make: () => new IntegerLookup({ vocabulary: [3, 9, 27], maskToken: 0, numOovIndices: 2 }),
      x: () => ints([3, 27, 0, 5, 9, 4], [2, 3]),
    },
    'IntegerLookup (adapted, count)': {
      make: () => {
        const l = new IntegerLookup({ outputMode: 'count' });
        l.adapt([
          [1, 2],
          [2, 3],
        ]);
        return l;
      },
      x: () => ints([1, 2, 2, 8], [2, 2]),
    },
    Discretization: { make: fitted, x: () => tensor([0, 1, 2, 3, 4, 5], [2, 3]) },
    Hashing: {
      make: () => new Hashing({ numBins: 5, salt: 9, maskValue: 3 }),
      x: () => ints([1, 3, 5, 7, 9, 11], [2, 3]),
    },
  };
  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: config and predictions survive a round trip`, async () => {
      const m = new Sequential([c.make(), new Flatten(), new Dense({ units: 2, seed: 3 })]);
      const x = c.x();
      const before = flat(m.predict(x));
      const loaded = await modelFromArtifacts(await modelToArtifacts(m));
      expect(loaded.layers[0].getConfig()).toEqual(m.layers[0].getConfig());
      expect(flat(loaded.predict(x))).toEqual(before);
    });
  }
});
