import { gradCheck } from '@tsdl/test-utils';
import { ArgumentError, DTypeError, ShapeError, type Tensor, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  AdditiveAttention,
  Attention,
  Dense,
  Embedding,
  GlobalAveragePooling1D,
  Input,
  Sequential,
  loadModel,
  model,
  modelFromArtifacts,
  modelToArtifacts,
} from '../src/index';
import { expectValues, flat, seeded, thrown, useCpu, useTempDir } from './helpers';

useCpu();
const dir = useTempDir();

describe('Attention', () => {
  it('is softmax(q·kᵀ)·v, by hand on a 1-step value', () => {
    // One value step: the distribution is [1], so the output is the value for every query.
    const att = new Attention();
    const q = tensor([1, 2, 3, 4], [1, 2, 2]);
    const v = tensor([5, -6], [1, 1, 2]);
    expectValues(att.call(q, v) as Tensor, [5, -6, 5, -6]);
    // Two steps: query [1, 0] scores [1, 0] against keys [1, 0], [0, 1].
    const y = att.call(
      tensor([1, 0], [1, 1, 2]),
      tensor([10, 0, 0, 10], [1, 2, 2]),
      tensor([1, 0, 0, 1], [1, 2, 2]),
    ) as Tensor;
    const p = Math.exp(1) / (Math.exp(1) + 1);
    expectValues(y, [10 * p, 10 * (1 - p)]);
  });

  it('defaults and config as Keras: no weights by default, scale and concat_score_weight scalars', () => {
    const a = new Attention();
    expect(a.getConfig()).toMatchObject({ useScale: false, scoreMode: 'dot', dropout: 0 });
    a.call(seeded([2, 3, 4]), seeded([2, 5, 4], 2));
    expect(a.namedWeights()).toEqual([]);
    const b = new Attention({ use_scale: true, score_mode: 'concat' } as never);
    b.call(seeded([2, 3, 4]), seeded([2, 5, 4], 2));
    expect(b.namedWeights().map(([n, w]) => [n, [...w.shape], flat(w)])).toEqual([
      ['scale', [], [1]],
      ['concat_score_weight', [], [1]],
    ]);
    const c = new AdditiveAttention({ seed: 3 });
    c.call(seeded([2, 3, 4]), seeded([2, 5, 4], 2));
    expect(c.namedWeights().map(([n, w]) => [n, [...w.shape]])).toEqual([['scale', [4]]]);
    expect(c.getConfig()).toMatchObject({ useScale: true, dropout: 0, seed: 3 });
  });

  it("accepts Keras' mask list, and returnAttentionScores gives the distribution (rows sum to 1, masked steps 0)", () => {
    const a = new Attention();
    const q = seeded([2, 3, 4]);
    const v = seeded([2, 5, 4], 2);
    const vm = tensor([1, 1, 1, 0, 0, 1, 1, 1, 1, 1], [2, 5], 'bool');
    const [y1, p] = a.call(q, v, { mask: [null, vm], returnAttentionScores: true }) as Tensor[];
    const y2 = a.call(q, v, { valueMask: vm }) as Tensor;
    expect(flat(y1)).toEqual(flat(y2));
    const s = flat(p);
    expect(p.shape).toEqual([2, 3, 5]);
    for (let r = 0; r < 6; r++) expect(s.slice(5 * r, 5 * r + 5).reduce((x, z) => x + z, 0)).toBeCloseTo(1, 5);
    for (const r of [0, 1, 2]) expect([s[5 * r + 3], s[5 * r + 4]]).toEqual([0, 0]);
  });

  it('dropout acts in training only, seeded', () => {
    const q = seeded([2, 3, 4]);
    const v = seeded([2, 5, 4], 2);
    const a = new Attention({ dropout: 0.5, seed: 4 });
    // A new module trains (PyTorch's default); eval() is Keras' inference call.
    a.eval();
    const inference = flat(a.call(q, v) as Tensor);
    expect(flat(a.call(q, v, { training: false }) as Tensor)).toEqual(inference);
    a.train();
    const t1 = flat(a.call(q, v) as Tensor);
    expect(t1).not.toEqual(inference);
    const b = new Attention({ dropout: 0.5, seed: 4 });
    b.train();
    expect(flat(b.call(q, v) as Tensor)).toEqual(t1);
    a.eval();
    expect(flat(a.call(q, v) as Tensor)).toEqual(inference);
  });

  it('gradients by finite differences: inputs and weights (dot with scale, concat, additive)', async () => {
    const q = seeded([1, 2, 3], 5);
    const v = seeded([1, 3, 3], 6);
    const k = seeded([1, 3, 3], 7);
    for (const layer of [
      new Attention({ useScale: true }),
      new Attention({ useScale: true, scoreMode: 'concat' }),
      new AdditiveAttention({ seed: 1 }),
    ]) {
      layer.call(q, v, k);
      const weights = layer.namedWeights().map(([, w]) => w);
      const names = layer.namedWeights().map(([n]) => (n === 'concat_score_weight' ? 'concatScoreWeight' : n));
      await gradCheck(
        (a: Tensor, b: Tensor, c: Tensor, ...ws: Tensor[]) => {
          const saved = names.map((n) => (layer as unknown as Record<string, Tensor>)[n]);
          names.forEach((n, i) => ((layer as unknown as Record<string, Tensor>)[n] = ws[i]));
          try {
            return layer.call(a, b, c, { valueMask: tensor([1, 1, 0], [1, 3], 'bool') }) as Tensor;
          } finally {
            names.forEach((n, i) => ((layer as unknown as Record<string, Tensor>)[n] = saved[i]));
          }
        },
        [q, v, k, ...weights],
      );
    }
  });

  it('errors name the layer and the shapes, and free what they made', async () => {
    const a = new Attention({ name: 'att' });
    const [q, v, v6, k4, q2] = [
      seeded([2, 3, 4]),
      seeded([2, 5, 4], 2),
      seeded([2, 5, 6], 2),
      seeded([2, 4, 4], 3),
      seeded([2, 3]),
    ];
    const [badMask, floatMask] = [tensor([1, 0], [1, 2], 'bool'), tensor([1, 0], [1, 2])];
    a.call(q, v);
    const cases: [() => unknown, typeof ShapeError, RegExp][] = [
      [() => a.call(q, v6), ShapeError, /att \(Attention\).*same number of features/],
      [
        () => a.call(q2, v),
        ShapeError,
        /att \(Attention\): query must have shape \[batch, time, features\], got \[2,3\]/,
      ],
      [() => a.call(q, v, k4), ShapeError, /value \(2, 5, 4\) and key \(2, 4, 4\)/],
      [() => a.call(q, v, { valueMask: badMask }), ShapeError, /valueMask of shape \[1,2\].*expected \[2,5\]/],
      [() => a.call(q, v, { valueMask: floatMask }), DTypeError, /valueMask must be bool/],
      [() => a.call(q, v, { masks: [] } as never), ArgumentError, /unknown option 'masks'; did you mean 'mask'/],
    ];
    for (const [fn, cls, re] of cases) {
      const before = memory().numTensors;
      const e = await thrown(fn);
      expect(e).toBeInstanceOf(cls);
      expect(e.message).toMatch(re);
      expect(memory().numTensors).toBe(before);
    }
    expect(() => new Attention({ scoreMode: 'general' as never })).toThrow(/scoreMode must be 'dot' or 'concat'/);
    expect(() => new Attention({ dropout: 1 })).toThrow(/dropout must be in \[0, 1\)/);
    expect(() => new AdditiveAttention({ useScal: true } as never)).toThrow(
      /unknown option 'useScal'; did you mean 'useScale'/,
    );
    expect(() => new Sequential([new Attention()]).build([null, 3, 4])).toThrow(/takes a query and a value/);
  });
});

describe('attention in a functional model', () => {
  /** Embedded token sequences (maskZero) attending over themselves, pooled and classified. */
  function build(Layer: typeof Attention | typeof AdditiveAttention, causal: boolean) {
    const inp = Input({ shape: [5] });
    const e = new Embedding({ inputDim: 9, outputDim: 4, maskZero: true, seed: 1 }).apply(inp);
    const a = new Layer({ seed: 2 } as never).apply([e, e], causal ? { useCausalMask: true } : undefined);
    const h = new GlobalAveragePooling1D().apply(a);
    return model({ inputs: inp, outputs: new Dense({ units: 2, activation: 'softmax', seed: 3 }).apply(h) });
  }
  const tokens = (): Tensor => tensor([1, 4, 2, 0, 0, 3, 3, 8, 7, 0, 5, 0, 0, 0, 0], [3, 5], 'int32');

  it("padding does not change a sequence's prediction (the masks reach the layer)", () => {
    for (const L of [Attention, AdditiveAttention]) {
      const m = build(L, false);
      const y = flat(m.predict(tokens()));
      m.eval();
      const rows = [[1, 4, 2], [3, 3, 8, 7], [5]];
      rows.forEach((s, b) => {
        // The sequence alone, unpadded: equal only if the padded steps were masked out.
        const alone = m.call(tensor(s, [1, s.length], 'int32')) as Tensor;
        expectValues(y.slice(2 * b, 2 * b + 2), flat(alone), { atol: 1e-6, rtol: 1e-5 }, `${L.name} row ${b}`);
      });
    }
  });

  it('saves and loads (config with the call options, weights, predictions)', async () => {
    for (const [i, L] of ([Attention, AdditiveAttention] as const).entries()) {
      const m = build(L, true);
      const x = tokens();
      const before = flat(m.predict(x));
      await m.save(`${dir()}/m${i}`);
      const loaded = await loadModel(`${dir()}/m${i}`);
      expect(flat(loaded.predict(x))).toEqual(before);
      const back = await modelFromArtifacts(await modelToArtifacts(m));
      expect(back.getConfig()).toEqual(m.getConfig());
    }
  });

  it('refuses returnAttentionScores as a node option (two outputs)', () => {
    const inp = Input({ shape: [5, 4] });
    expect(() => new Attention().apply([inp, inp], { returnAttentionScores: true })).toThrow(
      /not supported in a functional model/,
    );
    expect(() => new Attention().apply([inp])).toThrow(/takes \[query, value\]/);
  });
});
