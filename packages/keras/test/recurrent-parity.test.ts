/**
 * Keras recurrent layers against TensorFlow.js's (which implement the same
 * Keras semantics) on its CPU backend: weights copied between the two, outputs
 * and gradients compared. TF.js has no GRU with resetAfter (Keras 3's default),
 * so that one is checked against a float64 reference of Keras' equations here.
 */
import * as tf from '@tensorflow/tfjs';
import { gradients } from '@tsdl/autograd';
import { seededNumbers } from '@tsdl/test-utils';
import { type Tensor, dispose, memory, mul, sum, tensor, tidy } from '@tsdl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Bidirectional,
  Embedding,
  GRU,
  LSTM,
  type Layer,
  type RecurrentLayer,
  Sequential,
  SimpleRNN,
} from '../src/index';
import { expectValues, useCpu } from './helpers';

useCpu();
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const TOL = { atol: 1e-5, rtol: 1e-4 };
const B = 3;
const T = 5;
const F = 4;
const U = 3;

const nums = (shape: number[], seed: number, scale = 1): number[] =>
  seededNumbers(
    shape.reduce((a, b) => a * b, 1),
    seed,
    -scale,
    scale,
  );

/** Random weights of a Keras layer's shapes, set on ours; returned as host arrays for TF.js. */
function randomWeights(layer: Layer, seed: number): { shape: number[]; values: number[] }[] {
  return layer.namedWeights().map(([, w], i) => {
    const values = nums([...w.shape], seed + i, 0.6);
    const t = tensor(values, [...w.shape]);
    w.assign(t);
    t.dispose();
    return { shape: [...w.shape], values };
  });
}

/** Our layer's weights copied onto a TF.js layer (built first on `x`). */
function copyToTf(ours: Layer, theirs: tf.layers.Layer, x: tf.Tensor): void {
  tf.tidy(() => void theirs.apply(x));
  theirs.setWeights(ours.namedWeights().map(([, w]) => tf.tensor(w.dataSync() as Float32Array, [...w.shape])));
}

const tfData = (t: tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[]): number[][] =>
  (Array.isArray(t) ? t : [t]).map((v) => Array.from((v as tf.Tensor).dataSync()));

function compareOutputs(ours: Tensor | Tensor[], theirs: tf.Tensor | tf.Tensor[], what: string): void {
  const a = Array.isArray(ours) ? ours : [ours];
  const b = tfData(theirs);
  expect(a.length).toBe(b.length);
  a.forEach((t, i) => {
    expect(t.shape).toEqual((Array.isArray(theirs) ? theirs[i] : theirs).shape);
    expectValues(t, b[i], TOL, `${what} [${i}]`);
  });
}

type Kind = 'SimpleRNN' | 'LSTM' | 'GRU';

function makeOurs(kind: Kind, o: Record<string, unknown>): RecurrentLayer {
  const args = { units: U, ...o };
  return kind === 'SimpleRNN'
    ? new SimpleRNN(args)
    : kind === 'LSTM'
      ? new LSTM(args)
      : new GRU({ resetAfter: false, ...args });
}

function makeTheirs(kind: Kind, o: Record<string, unknown>): tf.layers.Layer {
  const args = { units: U, ...o } as any;
  if (kind === 'SimpleRNN') return tf.layers.simpleRNN(args);
  // TF.js's default gate activation is Keras 2's hard_sigmoid; Keras 3's is sigmoid.
  if (kind === 'LSTM') return tf.layers.lstm({ recurrentActivation: 'sigmoid', ...args });
  return tf.layers.gru({ recurrentActivation: 'sigmoid', ...args });
}

const KINDS: Kind[] = ['SimpleRNN', 'LSTM', 'GRU'];
const VARIANTS: Record<string, unknown>[] = [
  {},
  { returnSequences: true },
  { goBackwards: true },
  { goBackwards: true, returnSequences: true },
  { returnState: true },
  { returnSequences: true, returnState: true },
  { useBias: false, activation: 'relu' },
];

describe.each(KINDS)('%s against TF.js', (kind) => {
  it.each(VARIANTS.map((v) => [JSON.stringify(v), v] as const))(
    'options %s: same outputs from the same weights',
    (_n, opts) => {
      const x = nums([B, T, F], 11);
      const ours = makeOurs(kind, opts);
      const xt = tensor(x, [B, T, F]);
      ours.call(xt);
      randomWeights(ours, 100);
      const theirs = makeTheirs(kind, opts);
      const xtf = tf.tensor(x, [B, T, F]);
      copyToTf(ours, theirs, xtf);
      const a = ours.call(xt);
      const b = theirs.apply(xtf) as tf.Tensor | tf.Tensor[];
      compareOutputs(a, b, `${kind} ${JSON.stringify(opts)}`);
      dispose([xt, a]);
      ours.dispose();
      tf.dispose([xtf, b as tf.Tensor]);
    },
  );

  it('an initial state is used as TF.js uses it', () => {
    const x = nums([B, T, F], 12);
    const ours = makeOurs(kind, { returnState: true });
    const xt = tensor(x, [B, T, F]);
    ours.call(xt);
    randomWeights(ours, 200);
    const theirs = makeTheirs(kind, { returnState: true });
    const xtf = tf.tensor(x, [B, T, F]);
    copyToTf(ours, theirs, xtf);
    const n = kind === 'LSTM' ? 2 : 1;
    const states = Array.from({ length: n }, (_, i) => nums([B, U], 300 + i));
    const a = ours.call(xt, { initialState: states.map((s) => tensor(s, [B, U])) });
    const b = theirs.apply(xtf, { initialState: states.map((s) => tf.tensor(s, [B, U])) }) as tf.Tensor[];
    compareOutputs(a, b, `${kind} initialState`);
  });

  it('TF.js weights copied into ours give the same outputs, masked steps included', () => {
    // The other direction: TF.js initialises, we copy its weights, and a [batch, time] mask is given to both.
    const x = nums([B, T, F], 13);
    const maskRows = [
      [1, 1, 1, 0, 0],
      [1, 1, 1, 1, 1],
      [0, 1, 1, 1, 0],
    ];
    const theirs = makeTheirs(kind, {
      returnSequences: true,
      returnState: true,
      kernelInitializer: 'glorotUniform',
      biasInitializer: 'randomUniform',
    });
    const xtf = tf.tensor(x, [B, T, F]);
    tf.tidy(() => void theirs.apply(xtf));
    const ours = makeOurs(kind, { returnSequences: true, returnState: true });
    const xt = tensor(x, [B, T, F]);
    ours.call(xt);
    ours.namedWeights().forEach(([, w], i) => {
      const v = theirs.getWeights()[i];
      expect(v.shape).toEqual(w.shape);
      const t = tensor(Array.from(v.dataSync()), [...w.shape]);
      w.assign(t);
      t.dispose();
    });
    const maskT = tensor(maskRows.flat().map(Boolean), [B, T], 'bool');
    const a = ours.call(xt, { mask: maskT });
    const b = theirs.apply(xtf, { mask: tf.tensor(maskRows.flat(), [B, T], 'bool') }) as tf.Tensor[];
    compareOutputs(a, b, `${kind} masked`);
  });

  it('gradients of a loss with respect to kernel, recurrent_kernel and bias match tf.variableGrads', () => {
    const x = nums([B, T, F], 14);
    const cot = nums([B, T, U], 15);
    const ours = makeOurs(kind, { returnSequences: true });
    const xt = tensor(x, [B, T, F]);
    dispose(ours.call(xt));
    randomWeights(ours, 400);
    const theirs = makeTheirs(kind, { returnSequences: true });
    const xtf = tf.tensor(x, [B, T, F]);
    copyToTf(ours, theirs, xtf);
    const weights = ours.namedWeights().map(([, w]) => w);
    const grads = tidy(() => gradients(sum(mul(ours.call(xt) as Tensor, tensor(cot, [B, T, U]))), weights));
    const vars = theirs.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    const { grads: tg } = tf.variableGrads(
      () => tf.sum(tf.mul(theirs.apply(xtf) as tf.Tensor, tf.tensor(cot, [B, T, U]))) as tf.Scalar,
      vars,
    );
    vars.forEach((v, i) => {
      expect(grads[i].shape).toEqual(v.shape);
      expectValues(
        grads[i],
        Array.from(tg[v.name].dataSync()),
        { atol: 1e-4, rtol: 1e-4 },
        `${kind} d/d${ours.namedWeights()[i][0]}`,
      );
    });
    dispose(grads);
  });
});

describe('GRU with resetAfter (no TF.js counterpart): a float64 reference of Keras 3 equations', () => {
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));

  /** Keras' GRUCell with reset_after=True over [B, T, F], returning every step's h. */
  function reference(x: number[], k: number[], rk: number[], bias: number[] | null, goBackwards: boolean): number[] {
    const out = new Array<number>(B * T * U).fill(0);
    for (let b = 0; b < B; b++) {
      let h = new Array<number>(U).fill(0);
      for (let i = 0; i < T; i++) {
        const t = goBackwards ? T - 1 - i : i;
        const xw = new Array<number>(3 * U).fill(0);
        const hw = new Array<number>(3 * U).fill(0);
        for (let j = 0; j < 3 * U; j++) {
          for (let f = 0; f < F; f++) xw[j] += x[(b * T + t) * F + f] * k[f * 3 * U + j];
          for (let u = 0; u < U; u++) hw[j] += h[u] * rk[u * 3 * U + j];
          if (bias) {
            xw[j] += bias[j];
            hw[j] += bias[3 * U + j];
          }
        }
        const next = new Array<number>(U);
        for (let u = 0; u < U; u++) {
          const z = sig(xw[u] + hw[u]);
          const r = sig(xw[U + u] + hw[U + u]);
          const hh = Math.tanh(xw[2 * U + u] + r * hw[2 * U + u]);
          next[u] = z * h[u] + (1 - z) * hh;
        }
        h = next;
        for (let u = 0; u < U; u++) out[(b * T + i) * U + u] = h[u];
      }
    }
    return out;
  }

  it.each([
    [true, false],
    [false, false],
    [true, true],
  ])('useBias %s, goBackwards %s', (useBias, goBackwards) => {
    const x = nums([B, T, F], 21);
    const gru = new GRU({ units: U, returnSequences: true, useBias, goBackwards });
    const xt = tensor(x, [B, T, F]);
    dispose(gru.call(xt));
    const w = randomWeights(gru, 500);
    expect(gru.namedWeights().map(([n, t]) => [n, t.shape])).toEqual([
      ['kernel', [F, 3 * U]],
      ['recurrent_kernel', [U, 3 * U]],
      ...(useBias ? [['bias', [2, 3 * U]]] : []),
    ]);
    const y = gru.call(xt) as Tensor;
    expectValues(
      y,
      reference(x, w[0].values, w[1].values, useBias ? w[2].values : null, goBackwards),
      TOL,
      'GRU resetAfter',
    );
  });
});

describe('Bidirectional against TF.js', () => {
  it.each(['concat', 'sum', 'mul', 'ave', null] as const)(
    'mergeMode %s, returnSequences: same outputs from the same weights',
    (mergeMode) => {
      const x = nums([B, T, F], 31);
      const ours = new Bidirectional(new LSTM({ units: U, returnSequences: true }), { mergeMode });
      const xt = tensor(x, [B, T, F]);
      dispose(ours.call(xt));
      randomWeights(ours, 600);
      const [f, bk] = [ours.forwardLayer.name, ours.backwardLayer.name];
      expect(f).toMatch(/^forward_lstm/);
      expect(bk).toBe(`backward_${f.slice(8)}`);
      expect(ours.namedWeights().map(([n]) => n)).toEqual(
        [f, bk].flatMap((l) => [`${l}/kernel`, `${l}/recurrent_kernel`, `${l}/bias`]),
      );
      const theirs = tf.layers.bidirectional({
        layer: makeTheirs('LSTM', { returnSequences: true }) as any,
        mergeMode: mergeMode ?? undefined,
      });
      if (mergeMode === null) (theirs as unknown as { mergeMode: null }).mergeMode = null;
      const xtf = tf.tensor(x, [B, T, F]);
      copyToTf(ours, theirs, xtf);
      compareOutputs(ours.call(xt), theirs.apply(xtf) as tf.Tensor, `Bidirectional ${mergeMode}`);
    },
  );

  it('returnState: [merged, forward h, c, backward h, c] as TF.js', () => {
    const x = nums([B, T, F], 32);
    const ours = new Bidirectional(new GRU({ units: U, resetAfter: false, returnState: true }), { mergeMode: 'sum' });
    const xt = tensor(x, [B, T, F]);
    dispose(ours.call(xt));
    randomWeights(ours, 700);
    const theirs = tf.layers.bidirectional({
      layer: makeTheirs('GRU', { returnState: true }) as any,
      mergeMode: 'sum',
    });
    const xtf = tf.tensor(x, [B, T, F]);
    copyToTf(ours, theirs, xtf);
    const a = ours.call(xt) as Tensor[];
    expect(a).toHaveLength(3);
    compareOutputs(a, theirs.apply(xtf) as tf.Tensor[], 'Bidirectional returnState');
    const ls = new Bidirectional(new LSTM({ units: U, returnState: true }));
    expect(ls.outputCount).toBe(5);
    const r = ls.call(xt) as Tensor[];
    expect(r.map((t) => t.shape)).toEqual([
      [B, 2 * U],
      [B, U],
      [B, U],
      [B, U],
      [B, U],
    ]);
  });

  it('with a mask, real steps agree with TF.js and padded steps output zeros (Keras forces zeroOutputForMask)', () => {
    const x = nums([B, T, F], 33);
    const rows = [
      [1, 1, 1, 0, 0],
      [1, 1, 1, 1, 1],
      [1, 1, 0, 0, 0],
    ];
    const ours = new Bidirectional(new SimpleRNN({ units: U, returnSequences: true }));
    const xt = tensor(x, [B, T, F]);
    dispose(ours.call(xt));
    randomWeights(ours, 800);
    const theirs = tf.layers.bidirectional({ layer: makeTheirs('SimpleRNN', { returnSequences: true }) as any });
    const xtf = tf.tensor(x, [B, T, F]);
    copyToTf(ours, theirs, xtf);
    const a = (ours.call(xt, { mask: tensor(rows.flat().map(Boolean), [B, T], 'bool') }) as Tensor).dataSync();
    const b = (theirs.apply(xtf, { mask: tf.tensor(rows.flat(), [B, T], 'bool') }) as tf.Tensor).dataSync();
    for (let bi = 0; bi < B; bi++) {
      for (let t = 0; t < T; t++) {
        for (let j = 0; j < 2 * U; j++) {
          const k = (bi * T + t) * 2 * U + j;
          // TF.js (unlike Keras) repeats the forward layer's last output at padded steps.
          if (rows[bi][t]) expect(Math.abs(a[k] - b[k])).toBeLessThanOrEqual(1e-5);
          else expect(a[k]).toBe(0);
        }
      }
    }
  });
});

describe('masking through a model: Embedding(maskZero) → LSTM as in TF.js', () => {
  it('a Sequential model gives what tf.sequential gives on a left- and right-padded batch', () => {
    const ids = [
      [3, 1, 4, 0, 0, 0],
      [0, 0, 2, 7, 1, 8],
      [5, 0, 6, 2, 0, 9],
    ];
    const ours = new Sequential([
      new Embedding({ inputDim: 10, outputDim: F, maskZero: true, inputShape: [6] }),
      new LSTM({ units: U, returnSequences: true }),
    ]);
    const theirs = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 10, outputDim: F, maskZero: true, inputLength: 6 }),
        makeTheirs('LSTM', { returnSequences: true }),
      ],
    });
    // TF.js initialises; its weights go to ours through setWeights, in Keras' order.
    ours.setWeights(theirs.getWeights().map((w) => tensor(Array.from(w.dataSync()), w.shape)));
    const x = tensor(ids.flat(), [3, 6], 'int32');
    const before = memory().numTensors;
    const a = ours.predict(x);
    const b = theirs.predict(tf.tensor(ids, [3, 6], 'int32')) as tf.Tensor;
    compareOutputs(a, b, 'Embedding(maskZero) → LSTM');
    a.dispose();
    // predict leaves nothing behind: the masks and every step's state are freed.
    expect(memory().numTensors).toBe(before);
  });
});
