/**
 * Keras recurrent layers and wrappers: defaults, weights, configs, save/load,
 * dropout, errors, memory, a finite-difference gradient check and a small
 * training task. (Outputs against TF.js: recurrent-parity.test.ts; masks:
 * masking.test.ts.)
 */
import { gradCheck, seededNumbers } from '@tsdl/test-utils';
import {
  ArgumentError,
  DTypeError,
  DataFormatError,
  ShapeError,
  type Tensor,
  dispose,
  matmul,
  memory,
  tensor,
  tidy,
  transpose,
} from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Bidirectional,
  Dense,
  Embedding,
  GRU,
  GlobalAveragePooling1D,
  GlobalMaxPooling1D,
  Input,
  LSTM,
  type Layer,
  Masking,
  type RecurrentLayer,
  type Model,
  Sequential,
  SimpleRNN,
  TimeDistributed,
  loadModel,
  model,
  modelFromArtifacts,
  modelToArtifacts,
  optimizers,
} from '../src/index';
import { expectValues, flat, seeded, thrown, useCpu, useTempDir } from './helpers';

useCpu();
const tempDir = useTempDir();

function setValues(w: Tensor, values: number[]): void {
  tidy(() => void w.assign(tensor(values, [...w.shape])));
}

describe('weights and defaults (Keras layouts)', () => {
  it('kernel [features, gates·units], recurrent_kernel [units, gates·units], bias per cell', () => {
    const shapes = (l: Layer): [string, number[]][] => l.namedWeights().map(([n, w]) => [n, [...w.shape]]);
    const x = seeded([2, 3, 5], 1);
    const cases: [Layer, [string, number[]][]][] = [
      [
        new SimpleRNN(4),
        [
          ['kernel', [5, 4]],
          ['recurrent_kernel', [4, 4]],
          ['bias', [4]],
        ],
      ],
      [
        new LSTM(4),
        [
          ['kernel', [5, 16]],
          ['recurrent_kernel', [4, 16]],
          ['bias', [16]],
        ],
      ],
      [
        new GRU(4),
        [
          ['kernel', [5, 12]],
          ['recurrent_kernel', [4, 12]],
          ['bias', [2, 12]],
        ],
      ],
      [
        new GRU({ units: 4, resetAfter: false }),
        [
          ['kernel', [5, 12]],
          ['recurrent_kernel', [4, 12]],
          ['bias', [12]],
        ],
      ],
      [
        new LSTM({ units: 4, useBias: false }),
        [
          ['kernel', [5, 16]],
          ['recurrent_kernel', [4, 16]],
        ],
      ],
    ];
    for (const [l, want] of cases) {
      const y = l.call(x) as Tensor;
      expect(y.shape).toEqual([2, 4]);
      expect(shapes(l)).toEqual(want);
    }
  });

  it('LSTM: unitForgetBias starts the forget block at 1; the recurrent kernel is orthogonal; the kernel glorot-uniform', () => {
    const l = new LSTM({ units: 3, seed: 5, inputShape: [4, 6] });
    expect(flat(l.bias as Tensor)).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    expect(flat(new LSTM({ units: 3, unitForgetBias: false, inputShape: [4, 6] }).bias as Tensor)).toEqual(
      new Array(12).fill(0),
    );
    // [3, 12]: orthonormal rows, U·Uᵀ = I.
    const u = l.recurrentKernel;
    expectValues(matmul(u, transpose(u, [1, 0])), [1, 0, 0, 0, 1, 0, 0, 0, 1], { atol: 1e-5, rtol: 0 }, 'U·Uᵀ');
    const limit = Math.sqrt(6 / (6 + 12));
    const k = flat(l.kernel);
    expect(Math.max(...k.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...k.map(Math.abs))).toBeGreaterThan(limit * 0.8);
    // The seed fixes the weights.
    expect(flat(new LSTM({ units: 3, seed: 5, inputShape: [4, 6] }).kernel)).toEqual(k);
  });

  it('output shapes, returnState lists, and the summary counts Keras parameters', () => {
    const x = seeded([2, 7, 3], 2);
    const seq = new GRU({ units: 5, returnSequences: true, returnState: true });
    const [y, h] = seq.call(x) as Tensor[];
    expect([y.shape, h.shape]).toEqual([
      [2, 7, 5],
      [2, 5],
    ]);
    expectValues(
      h,
      flat(y).filter((_, i) => Math.floor(i / 5) % 7 === 6),
      { atol: 0, rtol: 0 },
      'h = last output',
    );
    const lstm = new LSTM({ units: 5, returnState: true });
    const r = lstm.call(x) as Tensor[];
    expect(r.map((t) => t.shape)).toEqual([
      [2, 5],
      [2, 5],
      [2, 5],
    ]);
    expect(flat(r[0])).toEqual(flat(r[1]));
    expect(r[0]).not.toBe(r[1]);
    const m = new Sequential([
      new Embedding({ inputDim: 10, outputDim: 3, inputShape: [7] }),
      new Bidirectional(new LSTM({ units: 5, returnSequences: true })),
      new GRU(2),
    ]);
    expect(m.outputShape).toEqual([null, 2]);
    const text = m.summary(false);
    // LSTM: 4·(3·5 + 5·5 + 5) = 180 per direction; GRU (resetAfter): 3·(10·2 + 2·2) + 2·3·2 = 84.
    expect(text).toMatch(/\(None, 7, 10\)\s+360/);
    expect(text).toMatch(/\(None, 2\)\s+84/);
    expect(text).toContain('Total params: 474');
  });
});

describe('configs and save / load', () => {
  it('getConfig uses Keras option names; snake_case configs from Keras are accepted', () => {
    const l = new GRU({ units: 4, name: 'g', returnSequences: true, dropout: 0.25, seed: 3 });
    expect(l.getConfig()).toEqual({
      name: 'g',
      trainable: true,
      units: 4,
      activation: 'tanh',
      recurrentActivation: 'sigmoid',
      useBias: true,
      kernelInitializer: 'glorot_uniform',
      recurrentInitializer: 'orthogonal',
      biasInitializer: 'zeros',
      dropout: 0.25,
      recurrentDropout: 0,
      returnSequences: true,
      returnState: false,
      goBackwards: false,
      zeroOutputForMask: false,
      resetAfter: true,
      seed: 3,
    });
    const k = new LSTM({
      units: 2,
      return_sequences: true,
      unit_forget_bias: false,
      recurrent_activation: 'tanh',
    } as never);
    expect(k.getConfig()).toMatchObject({ returnSequences: true, unitForgetBias: false, recurrentActivation: 'tanh' });
    expect(new SimpleRNN({ units: 2, activation: null }).activation).toBe('linear');
    const bi = new Bidirectional(new LSTM({ units: 2, name: 'enc' }), { mergeMode: 'ave', name: 'bi' });
    const c = bi.getConfig();
    expect(c).toMatchObject({
      name: 'bi',
      mergeMode: 'ave',
      layer: { className: 'LSTM', config: { name: 'forward_enc', goBackwards: false } },
      backwardLayer: { className: 'LSTM', config: { name: 'backward_enc', goBackwards: true } },
    });
    const td = new TimeDistributed(new Dense({ units: 3, name: 'd' }), { name: 'td' });
    expect(td.getConfig()).toMatchObject({
      name: 'td',
      layer: { className: 'Dense', config: { name: 'd', units: 3 } },
    });
  });

  async function sameAfterReload(m: Model, x: Tensor): Promise<Model> {
    const want = flat(m.predict(x));
    const back = modelFromArtifacts(await modelToArtifacts(m));
    expect(back.getConfig()).toEqual(m.getConfig());
    expect(back.namedModelWeights().map(([n]) => n)).toEqual(m.namedModelWeights().map(([n]) => n));
    expectValues(back.predict(x), want, { atol: 0, rtol: 0 }, 'reloaded predictions');
    return back;
  }

  const ids = (): Tensor => tensor([1, 2, 3, 0, 0, 4, 4, 1, 2, 3], [2, 5], 'int32');

  it.each([
    ['SimpleRNN', () => new SimpleRNN({ units: 3, activation: 'relu', goBackwards: true })],
    ['LSTM', () => new LSTM({ units: 3, returnSequences: true, unitForgetBias: false })],
    ['GRU', () => new GRU({ units: 3 })],
    ['GRU resetAfter false', () => new GRU({ units: 3, resetAfter: false })],
    ['Bidirectional', () => new Bidirectional(new GRU({ units: 3 }), { mergeMode: 'mul' })],
    [
      'Bidirectional with backwardLayer',
      () =>
        new Bidirectional(new LSTM({ units: 3 }), {
          backwardLayer: new LSTM({ units: 2, goBackwards: true, activation: 'relu' }),
        }),
    ],
  ] as [string, () => Layer][])(
    'a Sequential model with %s after Embedding(maskZero) round-trips',
    async (_n, make) => {
      const m = new Sequential({
        name: 'rt',
        layers: [new Embedding({ inputDim: 6, outputDim: 4, maskZero: true, inputShape: [5] }), make()],
      });
      await sameAfterReload(m, ids());
    },
  );

  it('a functional model with Masking, TimeDistributed, global poolings and Bidirectional round-trips through a directory', async () => {
    const inp = Input({ shape: [5, 2] });
    let h = new Masking({ maskValue: -1 }).apply(inp);
    h = new Bidirectional(new SimpleRNN({ units: 3, returnSequences: true })).apply(h);
    h = new TimeDistributed(new Dense({ units: 4, activation: 'tanh' })).apply(h);
    h = new GlobalAveragePooling1D().apply(h);
    const m = model({ inputs: inp, outputs: new Dense({ units: 1 }).apply(h), name: 'fn' });
    const x = tensor(
      seededNumbers(20, 3).map((v, i) => (i >= 16 ? -1 : v)),
      [2, 5, 2],
    );
    await sameAfterReload(m, x);
    const seqMax = new Sequential({
      name: 'mx',
      layers: [
        new TimeDistributed(new Dense({ units: 2 }), { inputShape: [3, 4] }),
        new GlobalMaxPooling1D({ keepdims: true }),
      ],
    });
    const back = await sameAfterReload(seqMax, seeded([2, 3, 4], 4));
    expect(back.outputShape).toEqual([null, 1, 2]);
    const dir = `${tempDir()}/fn`;
    await m.save(dir);
    const loaded = await loadModel(dir);
    expectValues(loaded.predict(x), flat(m.predict(x)), { atol: 0, rtol: 0 }, 'loaded from disk');
    expect(loaded.namedModelWeights().map(([n]) => n)).toContain(
      'time_distributed/dense/kernel'
        .replace('time_distributed', (loaded.layers[2] as Layer).name)
        .replace('dense', (loaded.layers[2] as TimeDistributed).layer.name),
    );
  });

  it('a saved Bidirectional whose nested config is damaged is a DataFormatError naming it', async () => {
    const m = new Sequential({
      name: 'bad',
      layers: [new Bidirectional(new LSTM({ units: 2 }), { inputShape: [3, 2], name: 'bi' })],
    });
    const a = await modelToArtifacts(m);
    const layers = (a.config.config as { layers: { config: Record<string, unknown> }[] }).layers;
    layers[0].config.layer = { className: 'Nope', config: {} };
    const e = await thrown(() => modelFromArtifacts(a));
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toMatch(/unknown layer class 'Nope'/);
    layers[0].config.layer = 7;
    expect((await thrown(() => modelFromArtifacts(a))).message).toMatch(
      /Bidirectional: layer must be a saved layer \{ className, config \}, got 7/,
    );
  });
});

describe('dropout: training only, one mask per sequence', () => {
  it('input dropout drops the same features at every step of a sequence', () => {
    // A linear SimpleRNN with identity kernel and zero recurrence outputs the dropped input itself.
    const l = new SimpleRNN({
      units: 6,
      activation: 'linear',
      dropout: 0.5,
      returnSequences: true,
      useBias: false,
      seed: 11,
      inputShape: [4, 6],
    });
    setValues(
      l.kernel,
      [...Array(36)].map((_, i) => (i % 7 === 0 ? 1 : 0)),
    );
    setValues(l.recurrentKernel, new Array(36).fill(0));
    const x = tensor(new Array(2 * 4 * 6).fill(1), [2, 4, 6]);
    l.eval();
    expect(flat(l.call(x) as Tensor)).toEqual(new Array(48).fill(1));
    l.train();
    const y = flat(l.call(x) as Tensor);
    expect(new Set(y)).toEqual(new Set([0, 2]));
    for (let b = 0; b < 2; b++) {
      const first = y.slice(b * 24, b * 24 + 6);
      for (let t = 1; t < 4; t++) expect(y.slice(b * 24 + t * 6, b * 24 + t * 6 + 6)).toEqual(first);
    }
    // A new call draws new masks (seeded: the layer's seed, then the next).
    expect(flat(l.call(x) as Tensor)).not.toEqual(y);
  });

  it('recurrent dropout drops the same units of the state at every step', () => {
    const l = new SimpleRNN({
      units: 8,
      activation: 'linear',
      recurrentDropout: 0.5,
      returnSequences: true,
      useBias: false,
      seed: 12,
      inputShape: [3, 1],
    });
    setValues(l.kernel, new Array(8).fill(0));
    setValues(
      l.recurrentKernel,
      [...Array(64)].map((_, i) => (i % 9 === 0 ? 1 : 0)),
    );
    const x = tensor([0, 0, 0], [1, 3, 1]);
    l.train();
    const y = flat(l.call(x, { initialState: tensor(new Array(8).fill(1), [1, 8]) }) as Tensor);
    // h_t = (h_{t−1} ⊙ m) / 0.5 with the same m: 2^t on kept units, 0 on dropped ones.
    const kept = y.slice(0, 8).map((v) => v !== 0);
    expect(kept.some(Boolean) && !kept.every(Boolean)).toBe(true);
    expect(y).toEqual([1, 2, 3].flatMap((t) => kept.map((k) => (k ? 2 ** t : 0))));
  });
});

describe('gradients: finite differences where TF.js has no counterpart', () => {
  it.each([
    ['GRU resetAfter', () => new GRU({ units: 2, returnSequences: true, biasInitializer: 'random_uniform', seed: 1 })],
    [
      'LSTM with a mask, goBackwards',
      () => new LSTM({ units: 2, goBackwards: true, biasInitializer: 'random_uniform', seed: 2 }),
    ],
    [
      'Bidirectional(SimpleRNN) ave',
      () => new Bidirectional(new SimpleRNN({ units: 2, returnSequences: true, seed: 3 }), { mergeMode: 'ave' }),
    ],
  ] as [string, () => Layer][])('%s: kernel, recurrent_kernel, bias and the input', async (_n, make) => {
    const l = make();
    const x = seeded([2, 3, 2], 5);
    const mask = tensor([true, true, false, true, true, true], [2, 3], 'bool');
    dispose(l.call(x));
    const named = l.namedWeights();
    const owners = l instanceof Bidirectional ? [l.forwardLayer, l.backwardLayer] : [l as RecurrentLayer];
    const fields = ['kernel', 'recurrentKernel', 'bias'] as const;
    const f = (xi: Tensor, ...ws: Tensor[]): Tensor => {
      // The weights as inputs of f: put them in the layers' places for the call.
      const saved = owners.map((o) => fields.map((k) => o[k]));
      owners.forEach((o, i) => fields.forEach((k, j) => ((o as unknown as Record<string, Tensor>)[k] = ws[i * 3 + j])));
      try {
        return l.call(xi, { mask }) as Tensor;
      } finally {
        owners.forEach((o, i) =>
          fields.forEach((k, j) => ((o as unknown as Record<string, Tensor | null>)[k] = saved[i][j])),
        );
      }
    };
    expect(named).toHaveLength(3 * owners.length);
    await gradCheck(f, [x, ...named.map(([, w]) => w)], { atol: 2e-3, rtol: 2e-2 });
  });
});

describe('TimeDistributed and global pooling', () => {
  it('TimeDistributed(Dense) is Dense on every step, its weights named under the wrapper', () => {
    const d = new Dense({ units: 3, seed: 4 });
    const td = new TimeDistributed(d, { inputShape: [4, 5] });
    const x = seeded([2, 4, 5], 6);
    expectValues(td.call(x), flat(d.call(x)), { atol: 1e-6, rtol: 0 }, 'per step');
    expect(td.computeOutputShape([null, 4, 5])).toEqual([null, 4, 3]);
    const m = new Sequential({ layers: [td] });
    expect(m.namedModelWeights().map(([n]) => n)).toEqual([`${td.name}/${d.name}/kernel`, `${td.name}/${d.name}/bias`]);
    expect(() => new TimeDistributed(new Dense(2)).call(seeded([2, 3], 1))).toThrow(
      /time_distributed.*\(TimeDistributed\): expects input of rank 3 or more/,
    );
    expect(() => new TimeDistributed(new LSTM({ units: 2, returnState: true }))).toThrow(/returns 3 tensors/);
  });

  it('GlobalAveragePooling1D and GlobalMaxPooling1D: values, channels_first, keepdims', () => {
    const x = tensor([1, 2, 3, 4, 5, 6, -1, 8, 0, 0, 2, -3], [2, 3, 2]);
    expect(flat(new GlobalAveragePooling1D().call(x) as Tensor)).toEqual(
      [3, 4, 1 / 3, 5 / 3].map((v) => Math.fround(v)),
    );
    expect(flat(new GlobalMaxPooling1D().call(x))).toEqual([5, 6, 2, 8]);
    const cf = new GlobalMaxPooling1D({ dataFormat: 'channels_first', keepdims: true });
    const y = cf.call(x);
    expect(y.shape).toEqual([2, 3, 1]);
    expect(flat(y)).toEqual([2, 4, 6, 8, 0, 2]);
    expect(cf.computeOutputShape([null, 3, 2])).toEqual([null, 3, 1]);
    // channels_first with a mask over the last axis (steps).
    const ga = new GlobalAveragePooling1D({ dataFormat: 'channels_first' });
    const masked = ga.call(x, { mask: tensor([true, false, true, true], [2, 2], 'bool') }) as Tensor;
    expect(flat(masked)).toEqual([1, 3, 5, 3.5, 0, -0.5]);
    expect(() => new GlobalAveragePooling1D({ dataFormat: 'channels_middle' as never })).toThrow(
      /dataFormat must be 'channels_last' or 'channels_first'/,
    );
    expect(() => new GlobalMaxPooling1D({ pool: 2 } as never)).toThrow(/unknown option 'pool'/);
  });
});

describe('bad options and inputs: errors naming the layer', () => {
  it('options', () => {
    expect(() => new LSTM({ units: 0 })).toThrow(/lstm.*\(LSTM\): units must be a positive integer, got 0/);
    expect(() => new GRU({ units: 2, dropout: 1 })).toThrow(/dropout must be in \[0, 1\), got 1/);
    expect(() => new LSTM({ units: 2, stateful: true } as never)).toThrow(/LSTM: unknown option 'stateful'/);
    expect(() => new SimpleRNN({ units: 2, recurrentActivation: 'tanh' } as never)).toThrow(
      /SimpleRNN: unknown option 'recurrentActivation'/,
    );
    expect(() => new GRU({ units: 2, recurrentActivation: 'nope' })).toThrow(ArgumentError);
    expect(() => new LSTM({ units: 2, recurrentInitializer: 'nope' })).toThrow(/recurrentInitializer/);
    expect(() => new Bidirectional(new Dense(2) as never)).toThrow(
      /Bidirectional: layer must be a recurrent layer .*got dense.*\(Dense\)/,
    );
    expect(() => new Bidirectional(new LSTM(2), { mergeMode: 'max' as never })).toThrow(/mergeMode must be one of/);
    expect(() => new Bidirectional(new LSTM(2), { backwardLayer: new LSTM(2) })).toThrow(
      /backwardLayer must read the other way/,
    );
    expect(
      () =>
        new Bidirectional(new LSTM(2), {
          backwardLayer: new LSTM({ units: 2, goBackwards: true, returnSequences: true }),
        }),
    ).toThrow(/same returnSequences/);
  });

  it('inputs and states', async () => {
    const l = new LSTM({ units: 3, name: 'enc', inputShape: [4, 2] });
    const x = seeded([2, 4, 2], 1);
    const [rank2, wide, ints, empty, h, c1] = [
      seeded([2, 4], 1),
      seeded([2, 4, 5], 1),
      tensor([1, 2, 3, 4], [1, 2, 2], 'int32'),
      seeded([2, 0, 2], 1),
      seeded([2, 3], 1),
      seeded([1, 3], 1),
    ];
    const before = memory().numTensors;
    const cases: [() => unknown, new (...a: never[]) => Error, RegExp][] = [
      [
        () => l.call(rank2),
        ShapeError,
        /^enc \(LSTM\): expects input of rank 3 \[batch, time, features\], got shape \[2,4\]$/,
      ],
      [
        () => l.call(wide),
        ShapeError,
        /^enc \(LSTM\): input has 5 features but the layer was built for 2 \(input shape \[2,4,5\]\)$/,
      ],
      [() => l.call(ints), DTypeError, /enc \(LSTM\): input must be float32, got int32/],
      [() => l.call(empty), ShapeError, /has no time steps/],
      [() => l.call(x, { initialState: [h] }), ArgumentError, /initialState must be a list \[h, c\] of 2 tensors/],
      [
        () => l.call(x, { initialState: [h, c1] }),
        ShapeError,
        /initialState\[1\] has shape \[1,3\] but expected \[2,3\]/,
      ],
      [() => l.call(x, { maks: null } as never), ArgumentError, /enc \(LSTM\) call: unknown option 'maks'/],
    ];
    for (const [fn, type, re] of cases) {
      const e = await thrown(fn);
      expect(e).toBeInstanceOf(type);
      expect(e.message).toMatch(re);
    }
    // Every failing call freed what it allocated.
    expect(memory().numTensors).toBe(before);
    expect(() => new Sequential([new LSTM({ units: 2, inputShape: [3] })])).toThrow(
      /expects input \[batch, time, features\] of rank 3 \(batch included\), got shape \(None, 3\)/,
    );
  });

  it('a layer with several outputs is refused by models, with the reason', () => {
    expect(() => new Sequential([new LSTM({ units: 2, returnState: true, inputShape: [3, 2] })])).toThrow(
      /lstm.*\(LSTM\) returns 3 tensors .* but Sequential model '.*' takes layers with one output/,
    );
    const inp = Input({ shape: [3, 2] });
    expect(() => new Bidirectional(new GRU(2), { mergeMode: null }).apply(inp)).toThrow(
      /returns 2 tensors .* a functional model takes layers with one output/,
    );
  });
});

describe('memory', () => {
  it('inference and a training step leave nothing behind', async () => {
    const m = new Sequential([
      new Embedding({ inputDim: 5, outputDim: 3, maskZero: true, inputShape: [6] }),
      new Bidirectional(new LSTM({ units: 4, returnSequences: true, dropout: 0.2, recurrentDropout: 0.2 })),
      new GlobalAveragePooling1D(),
      new Dense({ units: 1, activation: 'sigmoid' }),
    ]);
    m.compile({ optimizer: optimizers.Adam({ learningRate: 0.01 }), loss: 'binary_crossentropy' });
    const x = tensor([1, 2, 3, 0, 0, 0, 4, 4, 4, 4, 4, 4], [2, 6], 'int32');
    const y = tensor([1, 0], [2, 1]);
    await m.trainOnBatch(x, y);
    const before = memory();
    dispose(m.predict(x));
    await m.trainOnBatch(x, y);
    const after = memory();
    expect(after.numTensors).toBe(before.numTensors);
  });
});

describe('training', () => {
  it('Embedding(maskZero) → LSTM → Dense(sigmoid) learns "does the sequence contain token 3" to > 95%', async () => {
    // Sequences of tokens 1..5 of length 2..8, padded with 0 to 8; about half contain a 3.
    const make = (n: number, seed: number): { x: Tensor; y: Tensor } => {
      const r = seededNumbers(n * 9, seed, 0, 1);
      const ids: number[] = [];
      const labels: number[] = [];
      for (let i = 0; i < n; i++) {
        const len = 2 + Math.floor(r[i * 9] * 7);
        const s = Array.from({ length: len }, (_, j) => 1 + Math.floor(r[i * 9 + 1 + j] * 5));
        // Balance the classes: with probability 1/2 a sequence without a 3 gets one somewhere.
        if (!s.includes(3) && i % 2 === 0) s[Math.floor(r[i * 9 + 8] * len)] = 3;
        labels.push(s.includes(3) ? 1 : 0);
        ids.push(...s, ...new Array<number>(8 - len).fill(0));
      }
      return { x: tensor(ids, [n, 8], 'int32'), y: tensor(labels, [n, 1]) };
    };
    const train = make(512, 7);
    const test = make(256, 8);
    const m = new Sequential([
      new Embedding({ inputDim: 6, outputDim: 8, maskZero: true, inputShape: [8], seed: 1 }),
      new LSTM({ units: 8, seed: 2 }),
      new Dense({ units: 1, activation: 'sigmoid', seed: 3 }),
    ]);
    m.compile({
      optimizer: optimizers.Adam({ learningRate: 0.02 }),
      loss: 'binary_crossentropy',
      metrics: ['accuracy'],
    });
    await m.fit(train.x, train.y, { epochs: 6, batchSize: 32, verbose: 0, seed: 1 });
    const { accuracy } = await m.evaluate(test.x, test.y);
    expect(accuracy).toBeGreaterThan(0.95);
  });
});
