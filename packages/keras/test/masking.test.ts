/**
 * Keras padding masks: made by Embedding({ maskZero }) and Masking, carried by
 * Sequential and functional models to the layers that read them, passed
 * through where Keras passes them, refused where a layer cannot take one.
 * The central property: a padded batch gives each sequence what it gives alone.
 */
import { ArgumentError, DTypeError, ShapeError, type Tensor, dispose, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Bidirectional,
  Dense,
  Dropout,
  Embedding,
  Flatten,
  GRU,
  GlobalAveragePooling1D,
  GlobalMaxPooling1D,
  Input,
  LSTM,
  type Layer,
  Masking,
  Sequential,
  SimpleRNN,
  TimeDistributed,
  model,
} from '../src/index';
import { expectValues, flat, seeded, thrown, useCpu } from './helpers';

useCpu();

const TOL = { atol: 1e-5, rtol: 1e-5 };
const VOCAB = 9;
const DIM = 4;
const LEN = 6;

/** Sequences of different lengths (ids 1..8) and the same batch right-padded with 0 to LEN. */
const SEQS = [[3, 1, 4], [1, 5, 2, 6, 5, 3], [5], [8, 7, 2, 2]];
const padded = (seqs: number[][], left = false): Tensor =>
  tensor(
    seqs.flatMap((s) =>
      left
        ? [...new Array<number>(LEN - s.length).fill(0), ...s]
        : [...s, ...new Array<number>(LEN - s.length).fill(0)],
    ),
    [seqs.length, LEN],
    'int32',
  );

function embedded(layer: Layer, seed = 1): Sequential {
  return new Sequential([
    new Embedding({ inputDim: VOCAB, outputDim: DIM, maskZero: true, seed, inputShape: [LEN] }),
    layer,
  ]);
}

/** The model's output for one unpadded sequence (its own length, no mask needed: no 0 in it). */
function alone(m: Sequential, s: number[]): number[] {
  // The model was built for LEN steps; a recurrent layer and pooling take any length.
  const x = tensor(s, [1, s.length], 'int32');
  const y = m.call(x) as Tensor;
  const v = flat(y);
  dispose([x, y]);
  return v;
}

const RECURRENT: [string, () => Layer][] = [
  ['SimpleRNN', () => new SimpleRNN({ units: 3, seed: 2 })],
  ['LSTM', () => new LSTM({ units: 3, seed: 2 })],
  ['GRU', () => new GRU({ units: 3, seed: 2 })],
  ['GRU resetAfter false', () => new GRU({ units: 3, seed: 2, resetAfter: false, biasInitializer: 'random_uniform' })],
  ['LSTM goBackwards', () => new LSTM({ units: 3, seed: 2, goBackwards: true })],
  ['Bidirectional(LSTM)', () => new Bidirectional(new LSTM({ units: 3, seed: 2 }))],
  ['Bidirectional(GRU), sum', () => new Bidirectional(new GRU({ units: 3, seed: 2 }), { mergeMode: 'sum' })],
];

describe('a padded batch gives every sequence its unpadded result', () => {
  it.each(RECURRENT)('%s: last output, right and left padding', (_n, make) => {
    const m = embedded(make());
    for (const left of [false, true]) {
      const x = padded(SEQS, left);
      const y = m.predict(x);
      const rows = flat(y);
      const width = y.shape[1];
      SEQS.forEach((s, b) =>
        expectValues(
          rows.slice(b * width, (b + 1) * width),
          alone(m, s),
          TOL,
          `sequence ${b} (${left ? 'left' : 'right'} padded)`,
        ),
      );
      dispose([x, y]);
    }
  });

  it.each([
    ['SimpleRNN', () => new SimpleRNN({ units: 3, seed: 2, returnSequences: true })],
    ['LSTM', () => new LSTM({ units: 3, seed: 2, returnSequences: true })],
    ['GRU', () => new GRU({ units: 3, seed: 2, returnSequences: true })],
  ] as [string, () => Layer][])(
    '%s with returnSequences: real steps as alone; a padded step repeats the last real output',
    (_n, make) => {
      const m = embedded(make());
      const x = padded(SEQS);
      const y = flat(m.predict(x));
      const U = 3;
      SEQS.forEach((s, b) => {
        const own = alone(m, s);
        for (let t = 0; t < LEN; t++) {
          const got = y.slice((b * LEN + t) * U, (b * LEN + t + 1) * U);
          const want = own.slice(Math.min(t, s.length - 1) * U, (Math.min(t, s.length - 1) + 1) * U);
          expectValues(got, want, TOL, `sequence ${b} step ${t}`);
        }
      });
    },
  );

  it('Bidirectional with returnSequences: real steps as alone (backward part in time order), padded steps zero', () => {
    const m = embedded(new Bidirectional(new LSTM({ units: 2, seed: 3, returnSequences: true })));
    const y = flat(m.predict(padded(SEQS)));
    const W = 4;
    SEQS.forEach((s, b) => {
      const own = alone(m, s);
      for (let t = 0; t < LEN; t++) {
        const got = y.slice((b * LEN + t) * W, (b * LEN + t + 1) * W);
        expectValues(got, t < s.length ? own.slice(t * W, (t + 1) * W) : [0, 0, 0, 0], TOL, `sequence ${b} step ${t}`);
      }
    });
  });

  it('GlobalAveragePooling1D leaves masked steps out of the mean', () => {
    const m = embedded(new GlobalAveragePooling1D());
    const y = flat(m.predict(padded(SEQS)));
    SEQS.forEach((s, b) => expectValues(y.slice(b * DIM, (b + 1) * DIM), alone(m, s), TOL, `sequence ${b}`));
    // Without the mask the zeros' embeddings would count: index 0's vector is not zero.
    const unmasked = new Sequential([
      new Embedding({ inputDim: VOCAB, outputDim: DIM, seed: 1, inputShape: [LEN] }),
      new GlobalAveragePooling1D(),
    ]);
    const u = flat(unmasked.predict(padded(SEQS)));
    expect(Math.max(...u.slice(0, DIM).map((v, i) => Math.abs(v - y[i])))).toBeGreaterThan(1e-4);
  });

  it('the mask reaches the pooling through LSTM(returnSequences), Dropout and TimeDistributed(Dense) in a functional model', () => {
    const inp = Input({ shape: [LEN] });
    let h = new Embedding({ inputDim: VOCAB, outputDim: DIM, maskZero: true, seed: 4 }).apply(inp);
    h = new LSTM({ units: 3, returnSequences: true, seed: 5 }).apply(h);
    h = new Dropout({ rate: 0.5 }).apply(h);
    h = new TimeDistributed(new Dense({ units: 2, seed: 6 })).apply(h);
    expect(h.masked).toBe(true);
    h = new GlobalAveragePooling1D().apply(h);
    expect(h.masked).toBe(false);
    const out = new Dense({ units: 1, activation: 'sigmoid', seed: 7 }).apply(h);
    const m = model({ inputs: inp, outputs: out });
    const y = flat(m.predict(padded(SEQS)));
    // predict runs in inference mode; so must the one-by-one calls (Dropout).
    m.eval();
    SEQS.forEach((s, b) => {
      const x = tensor(s, [1, s.length], 'int32');
      expectValues([y[b]], flat(m.call(x) as Tensor), TOL, `sequence ${b}`);
    });
  });
});

describe('Masking', () => {
  const x = (): Tensor =>
    tensor(
      [
        [1, 2],
        [0, 0],
        [3, 0],
        [0, 0],
        [-1, -1],
        [5, 5],
        [0, 0],
        [0, 0],
      ].flat(),
      [2, 4, 2],
    );

  it('masks the steps whose features all equal maskValue and zeroes them in the output', () => {
    const layer = new Masking({ maskValue: 5 });
    const xs = x();
    const { output, mask } = layer.callMasked(xs, null);
    expect(flat(mask as Tensor)).toEqual([1, 1, 1, 1, 1, 0, 1, 1]);
    expect(flat(output as Tensor)).toEqual([1, 2, 0, 0, 3, 0, 0, 0, -1, -1, 0, 0, 0, 0, 0, 0]);
    const zero = new Masking();
    expect(flat(zero.callMasked(xs, null).mask as Tensor)).toEqual([1, 0, 1, 0, 1, 1, 0, 0]);
    expect(zero.getConfig()).toMatchObject({ maskValue: 0 });
  });

  it('before an LSTM: a padded float batch gives each sequence its unpadded result (left and right padding)', () => {
    const lstm = new LSTM({ units: 3, seed: 8 });
    const m = new Sequential([new Masking({ inputShape: [5, 2] }), lstm]);
    const data = seeded([2, 5, 2], 9);
    const v = flat(data);
    // Sequence 0: steps 0..2 real (then padding); sequence 1: steps 2..4 real (padding first).
    const xs = tensor(
      v.map((a, i) => ((i < 10 && i >= 6) || (i >= 10 && i < 14) ? 0 : a)),
      [2, 5, 2],
    );
    const y = flat(m.predict(xs));
    const s0 = tensor(v.slice(0, 6), [1, 3, 2]);
    const s1 = tensor(v.slice(14, 20), [1, 3, 2]);
    expectValues(y.slice(0, 3), flat(lstm.call(s0) as Tensor), TOL, 'sequence 0');
    expectValues(y.slice(3, 6), flat(lstm.call(s1) as Tensor), TOL, 'sequence 1');
  });

  it('refuses input that is not [batch, time, features]', async () => {
    const e = await thrown(() => new Masking().callMasked(tensor([1, 0], [1, 2]), null));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/masking.*\(Masking\).*rank 3.*\[1,2\]/);
    expect(() => new Masking({ maskValue: 'x' as unknown as number })).toThrow(/maskValue must be a number/);
    expect(() => new Sequential([new Masking({ inputShape: [3] })])).toThrow(ShapeError);
  });
});

describe('where masks pass, end and are refused', () => {
  it('end after a recurrent layer without returnSequences and after global average pooling', () => {
    const m = embedded(new LSTM({ units: 2 }));
    m.add(new Dense({ units: 1 }));
    expect(m.outputShape).toEqual([null, 1]);
    const lstm = new LSTM({ units: 2, returnSequences: true });
    const x = seeded([1, 3, 2], 1);
    const mask = tensor([true, false, true], [1, 3], 'bool');
    expect(lstm.callMasked(x, mask).mask).toBe(mask);
    expect(new LSTM({ units: 2 }).callMasked(x, mask).mask).toBeNull();
    expect(new GlobalAveragePooling1D().callMasked(x, mask).mask).toBeNull();
    expect(new Dense({ units: 2 }).callMasked(x, mask).mask).toBe(mask);
    expect(new Dropout({ rate: 0.5 }).callMasked(x, mask).mask).toBe(mask);
  });

  it('a layer that cannot take a mask refuses it when the model is put together, naming itself', () => {
    for (const l of [new Flatten(), new GlobalMaxPooling1D()]) {
      const e = (() => {
        try {
          embedded(l);
        } catch (err) {
          return err as Error;
        }
        throw new Error('expected an error');
      })();
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e.message).toContain(`${l.name} (${l.className}) does not support masking`);
    }
    const inp = Input({ shape: [LEN] });
    const h = new Embedding({ inputDim: VOCAB, outputDim: DIM, maskZero: true }).apply(inp);
    expect(() => new GlobalMaxPooling1D({ name: 'gmp' }).apply(h)).toThrow(
      /gmp \(GlobalMaxPooling1D\) does not support masking/,
    );
    // Without maskZero there is no mask, and GlobalMaxPooling1D is fine.
    const ok = new Sequential([
      new Embedding({ inputDim: VOCAB, outputDim: DIM, inputShape: [LEN] }),
      new GlobalMaxPooling1D(),
    ]);
    expect(ok.outputShape).toEqual([null, DIM]);
  });

  it('a mask given to a layer must match the input: clear errors, nothing allocated', async () => {
    const lstm = new LSTM({ units: 2, name: 'enc' });
    const x = seeded([2, 3, 4], 1);
    dispose(lstm.call(x));
    const bad = tensor([true, false, true, true], [2, 2], 'bool');
    const bi = new Bidirectional(new GRU({ units: 2 }), { name: 'bi', inputShape: [3, 4] });
    const before = memory().numTensors;
    let e = await thrown(() => lstm.call(x, { mask: bad }));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toBe(
      'enc (LSTM): mask of shape [2,2] does not match the input of shape [2,3,4] (expected [2,3]: [batch, time])',
    );
    e = await thrown(() => lstm.call(x, { mask: [[1, 1, 1]] as unknown as Tensor }));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(/enc \(LSTM\): mask must be a Tensor/);
    e = await thrown(() => bi.call(x, { mask: bad }));
    expect(e.message).toMatch(/forward_gru.*\(GRU\): mask of shape \[2,2\]/);
    e = await thrown(() => new GlobalAveragePooling1D({ name: 'gap' }).call(x, { mask: bad }));
    expect(e.message).toMatch(
      /^gap \(GlobalAveragePooling1D\): mask of shape \[2,2\] does not match the input of shape \[2,3,4\]/,
    );
    expect(memory().numTensors).toBe(before);
  });

  it('a numeric mask counts its non-zero entries as real steps, as Keras casts it', () => {
    const gru = new GRU({ units: 2, seed: 1 });
    const x = seeded([2, 3, 4], 2);
    const a = gru.call(x, { mask: tensor([1, 1, 0, 1, 0, 0], [2, 3]) }) as Tensor;
    const b = gru.call(x, { mask: tensor([true, true, false, true, false, false], [2, 3], 'bool') }) as Tensor;
    expect(flat(a)).toEqual(flat(b));
  });

  it('token ids outside the vocabulary: an error naming the Embedding and the input shape', async () => {
    const m = embedded(new LSTM({ units: 2 }));
    const emb = m.layers[0];
    for (const bad of [9, -1]) {
      const x = tensor([1, 2, bad, 0, 0, 0], [1, LEN], 'int32');
      const e = await thrown(() => m.predict(x));
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e.message).toContain(
        `${emb.name} (Embedding): an index of the input of shape [1,6] is outside the vocabulary [0, 9)`,
      );
      expect(e.message).toContain(`index ${bad}`);
    }
    expect(() => m.predict(tensor([true, false, true, true, true, true], [1, LEN], 'bool'))).toThrow(DTypeError);
  });
});
