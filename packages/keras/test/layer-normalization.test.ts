import * as tf from '@tensorflow/tfjs';
import { gradCheck } from '@tsdl/test-utils';
import { ArgumentError, ShapeError, type Tensor, memory, tensor } from '@tsdl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { Dense, LayerNormalization, Sequential, modelFromArtifacts, modelToArtifacts } from '../src/index';
import { expectValues, seeded, useCpu } from './helpers';

useCpu();
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const flat = (t: Tensor): number[] => Array.from(t.dataSync());

describe('LayerNormalization', () => {
  it('normalises each sample over the last axis with epsilon 1e-3 (Keras default), gamma and beta', () => {
    const ln = new LayerNormalization();
    expect(ln.epsilon).toBe(1e-3);
    const x = tensor([1, 2, 3, 4, 10, 10, 10, 10], [2, 4]);
    const y = ln.call(x);
    // Row 1: mean 2.5, variance 1.25; row 2 is constant: 0 everywhere (epsilon keeps it finite).
    const s = 1 / Math.sqrt(1.25 + 1e-3);
    expectValues(y, [-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s, 0, 0, 0, 0]);
    expect(ln.namedWeights().map(([n, w]) => [n, w.shape])).toEqual([
      ['gamma', [4]],
      ['beta', [4]],
    ]);
    (ln.gamma as Tensor).assign(tensor([1, 2, 3, 4]));
    (ln.beta as Tensor).assign(tensor([0, 0, 0, 1]));
    expectValues(ln.call(x), [-1.5 * s, -1 * s, 1.5 * s, 6 * s + 1, 0, 0, 0, 1]);
  });

  it('matches tf.layers.layerNormalization on the same weights (1e-5), for several axes and options', () => {
    const x = seeded([3, 4, 5], 4, -3, 3);
    const cases: { axis?: number | number[]; epsilon?: number; center?: boolean; scale?: boolean }[] = [
      {},
      { axis: 1 },
      { axis: [1, 2] },
      { axis: [-1, 1] },
      { epsilon: 0.5, center: false },
      { scale: false },
    ];
    for (const o of cases) {
      const what = JSON.stringify(o);
      const ours = new LayerNormalization(o);
      ours.call(x).dispose();
      // Non-trivial weights, so a swapped or misbroadcast gamma/beta would show.
      ours.namedWeights().forEach(([, w], i) => w.assign(seeded([...w.shape], 10 + i, 0.5, 1.5)));
      const y = ours.call(x);
      const ref = tf.tidy(() => {
        // Keras 3 sorts the axes (gamma [4, 5] for axis [-1, 1]); TF.js keeps the order given, so it gets them sorted.
        const l = tf.layers.layerNormalization(
          Array.isArray(o.axis) ? { ...o, axis: o.axis.map((a) => (a + 3) % 3).sort() } : o,
        );
        const tx = tf.tensor(flat(x), [...x.shape]);
        l.apply(tx);
        l.setWeights(ours.namedWeights().map(([, w]) => tf.tensor(flat(w), [...w.shape])));
        return Array.from((l.apply(tx) as tf.Tensor).dataSync());
      });
      expectValues(y, ref, { atol: 1e-5, rtol: 1e-5 }, what);
    }
  });

  it('gradients w.r.t. input, gamma and beta match finite differences', async () => {
    const ln = new LayerNormalization({ axis: [1, 2], inputShape: [2, 3] });
    ln.namedWeights().forEach(([, w], i) => w.assign(seeded([...w.shape], 20 + i, 0.5, 1.5)));
    const f = (x: Tensor, g: Tensor, b: Tensor): Tensor => {
      const saved = [ln.gamma, ln.beta];
      ln.gamma = g;
      ln.beta = b;
      try {
        return ln.call(x);
      } finally {
        [ln.gamma, ln.beta] = saved;
      }
    };
    await gradCheck(f, [seeded([2, 2, 3], 3), ln.gamma as Tensor, ln.beta as Tensor], { eps: 1e-2 });
  });

  it('is the same in training and inference, and passes a padding mask through', () => {
    const ln = new LayerNormalization();
    const x = seeded([2, 3], 5);
    ln.train();
    const a = flat(ln.call(x));
    ln.eval();
    expect(flat(ln.call(x))).toEqual(a);
    expect(ln.supportsMasking).toBe(true);
  });

  it('bad options and inputs give errors naming the layer; nothing is left allocated', () => {
    expect(() => new LayerNormalization({ momentum: 0.9 } as never)).toThrow(
      /LayerNormalization: unknown option 'momentum'/,
    );
    expect(() => new LayerNormalization({ epsilon: -1 })).toThrow(/epsilon must be a finite number >= 0, got -1/);
    expect(() => new LayerNormalization({ axis: 'last' as never })).toThrow(
      /axis must be an integer or a non-empty list of integers, got 'last'/,
    );
    expect(() => new LayerNormalization({ gammaInitializer: 'nope' })).toThrow(ArgumentError);
    const before = memory().numTensors;
    expect(() => new LayerNormalization({ axis: 0, name: 'ln_batch', inputShape: [4] })).toThrow(
      /ln_batch \(LayerNormalization\): axis 0 is not a known feature axis of input shape \(None, 4\)/,
    );
    expect(() => new LayerNormalization({ axis: [1, -1], inputShape: [4] })).toThrow(/names an axis twice/);
    expect(() => new LayerNormalization({ axis: 3, inputShape: [4] })).toThrow(/axis 3 is not a known feature axis/);
    expect(memory().numTensors).toBe(before);
    const ln = new LayerNormalization({ name: 'ln_built', inputShape: [4] });
    const x = tensor([1, 2, 3], [1, 3]);
    const n = memory().numTensors;
    expect(() => ln.call(x)).toThrow(ShapeError);
    expect(() => ln.call(x)).toThrow(
      /ln_built \(LayerNormalization\): built for inputs of rank 2 with sizes \[4\] on axes \[1\], got shape \[1,3\]/,
    );
    expect(memory().numTensors).toBe(n);
  });

  it('saves and loads in a model with its config (snake_case accepted) and weights', async () => {
    const m = new Sequential([
      new Dense({ units: 6, inputShape: [3], seed: 1 }),
      new LayerNormalization({ epsilon: 1e-5, center: false, gamma_initializer: 'random_normal' } as never),
      new Dense({ units: 2, seed: 2 }),
    ]);
    const loaded = await modelFromArtifacts(await modelToArtifacts(m));
    const l = loaded.layers[1] as LayerNormalization;
    expect(l.getConfig()).toMatchObject({
      axis: -1,
      epsilon: 1e-5,
      center: false,
      scale: true,
      gammaInitializer: 'random_normal',
    });
    expect(l.beta).toBeNull();
    const x = seeded([4, 3], 7);
    expect(flat(loaded.predict(x))).toEqual(flat(m.predict(x)));
  });
});
