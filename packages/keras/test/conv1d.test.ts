import * as tf from '@tensorflow/tfjs';
import { gradCheck } from '@tsdl/test-utils';
import { ArgumentError, ShapeError, type Tensor, memory, pad, tensor } from '@tsdl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AveragePooling1D,
  Conv1D,
  Dense,
  Flatten,
  type Layer,
  MaxPooling1D,
  Sequential,
  modelFromArtifacts,
  modelToArtifacts,
} from '../src/index';
import { expectValues, seeded, useCpu } from './helpers';

useCpu();
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const flat = (t: Tensor): number[] => Array.from(t.dataSync());

/** Our layer's output and TF.js' on the same input and weights. */
function tfOutput(layer: tf.layers.Layer, x: Tensor, weights: Tensor[]): { values: number[]; shape: number[] } {
  return tf.tidy(() => {
    const tx = tf.tensor(flat(x), [...x.shape]);
    layer.apply(tx); // builds it, so setWeights has weights to set
    if (weights.length > 0) layer.setWeights(weights.map((w) => tf.tensor(flat(w), [...w.shape])));
    const y = layer.apply(tx) as tf.Tensor;
    return { values: Array.from(y.dataSync()), shape: y.shape };
  });
}

describe('Conv1D', () => {
  it('a known 2-tap kernel, valid and causal padding', () => {
    const c = new Conv1D({ filters: 1, kernelSize: 2, inputShape: [4, 1] });
    expect(c.kernel.shape).toEqual([2, 1, 1]);
    c.kernel.assign(tensor([1, 10], [2, 1, 1]));
    const x = tensor([1, 2, 3, 4], [1, 4, 1]);
    // out[t] = x[t] + 10·x[t+1]
    expectValues(c.call(x), [21, 32, 43]);
    const causal = new Conv1D({ filters: 1, kernelSize: 2, padding: 'causal', useBias: false, inputShape: [4, 1] });
    causal.kernel.assign(tensor([1, 10], [2, 1, 1]));
    // out[t] = x[t-1] + 10·x[t], x[-1] = 0: step t never reads a later step.
    expectValues(causal.call(x), [10, 21, 32, 43]);
    expect(causal.computeOutputShape([null, 4, 1])).toEqual([null, 4, 1]);
  });

  it('matches tf.layers.conv1d for every padding, stride and dilation (1e-5)', () => {
    const x = seeded([2, 9, 3], 5);
    const cases = [
      { padding: 'valid', strides: 1, dilationRate: 1 },
      { padding: 'valid', strides: 2, dilationRate: 1 },
      { padding: 'same', strides: 1, dilationRate: 1 },
      { padding: 'same', strides: 3, dilationRate: 1 },
      { padding: 'causal', strides: 1, dilationRate: 1 },
      { padding: 'causal', strides: 1, dilationRate: 2 },
      { padding: 'valid', strides: 1, dilationRate: 3 },
      { padding: 'same', strides: 1, dilationRate: 2 },
    ] as const;
    for (const o of cases) {
      const what = JSON.stringify(o);
      const ours = new Conv1D({ filters: 4, kernelSize: 3, activation: 'tanh', seed: 3, ...o });
      const y = ours.call(x);
      ours.bias?.assign(seeded([4], 9));
      const y2 = ours.call(x);
      // TF.js has no 'causal' conv1d: Keras' definition of it is 'valid' over the input with dilation·(k − 1) zeros in front.
      const causal = o.padding === 'causal';
      const xRef = causal
        ? pad(x, [
            [0, 0],
            [o.dilationRate * 2, 0],
            [0, 0],
          ])
        : x;
      const ref = tfOutput(
        tf.layers.conv1d({
          filters: 4,
          kernelSize: 3,
          activation: 'tanh',
          ...o,
          padding: causal ? 'valid' : o.padding,
        }),
        xRef,
        [ours.kernel, ours.bias as Tensor],
      );
      expect(y2.shape, what).toEqual(ref.shape);
      expect(ours.computeOutputShape([null, 9, 3]), what).toEqual([null, ...ref.shape.slice(1)]);
      expectValues(y2, ref.values, { atol: 1e-5, rtol: 1e-5 }, what);
      y.dispose();
      y2.dispose();
    }
  });

  it('gradients w.r.t. input, kernel and bias match finite differences (causal, dilated)', async () => {
    const c = new Conv1D({
      filters: 2,
      kernelSize: 2,
      padding: 'causal',
      dilationRate: 2,
      activation: 'tanh',
      seed: 1,
      inputShape: [5, 3],
    });
    await gradCheck(asFunction(c, ['kernel', 'bias']), [seeded([2, 5, 3], 2), c.kernel, c.bias as Tensor]);
  });

  it('gradients match finite differences with strides and same padding', async () => {
    const c = new Conv1D({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', seed: 4, inputShape: [6, 2] });
    await gradCheck(asFunction(c, ['kernel', 'bias']), [seeded([1, 6, 2], 6), c.kernel, c.bias as Tensor]);
  });

  it('too short an input is a ShapeError naming the layer, before any weight is made', () => {
    const c = new Conv1D({ filters: 2, kernelSize: 4, dilationRate: 2, name: 'short_conv' });
    const before = memory().numTensors;
    expect(() => c.computeOutputShape([null, 6, 3])).toThrow(ShapeError);
    expect(
      () => new Conv1D({ filters: 2, kernelSize: 4, dilationRate: 2, name: 'c_short', inputShape: [6, 3] }),
    ).toThrow(
      /c_short \(Conv1D\): input shape \(None, 6, 3\) is too small for kernelSize 4 with strides 1, padding 'valid' and dilationRate 2: the output would be \(None, 0, 2\)/,
    );
    expect(memory().numTensors).toBe(before);
    // A built layer given a shorter sequence: the same error, not conv2d's.
    const built = new Conv1D({ filters: 1, kernelSize: 3, name: 'built_conv', inputShape: [8, 1] });
    const x = tensor([1, 2], [1, 2, 1]);
    const n = memory().numTensors;
    expect(() => built.call(x)).toThrow(
      /built_conv \(Conv1D\): input shape \(None, 2, 1\) is too small for kernelSize 3/,
    );
    expect(() => built.call(tensor([1, 2, 3, 4], [1, 2, 2]))).toThrow(
      /built_conv \(Conv1D\): expected sequences \[batch, steps, 1\], got shape \[1,2,2\]/,
    );
    expect(memory().numTensors).toBe(n + 1);
    expect(() => new Conv1D({ filters: 2, kernelSize: 2 }).call(tensor([[1, 2]]))).toThrow(
      /expects sequences .* of rank 3/,
    );
  });

  it('checks its options: unknown names, bad values, Keras defaults and snake_case', () => {
    expect(() => new Conv1D({ filters: 2, kernelSize: 3, group: 2 } as never)).toThrow(ArgumentError);
    expect(() => new Conv1D({ filters: 2, kernelSize: 3, group: 2 } as never)).toThrow(
      /Conv1D: unknown option 'group'/,
    );
    expect(() => new Conv1D({ filters: 2, kernelSize: 3, padding: 'full' as never })).toThrow(
      /padding must be 'valid', 'same' or 'causal', got 'full'/,
    );
    expect(() => new Conv1D({ filters: 0, kernelSize: 3 })).toThrow(/filters must be a positive integer, got 0/);
    expect(() => new Conv1D({ filters: 2, kernelSize: [3, 3] as never })).toThrow(
      /kernelSize must be a positive integer \(or a list of one\)/,
    );
    expect(() => new Conv1D({ filters: 2 } as never)).toThrow(/kernelSize is required/);
    const c = new Conv1D({ filters: 8, kernel_size: [5], input_shape: [10, 4], seed: 1 } as never);
    expect(c.kernel.shape).toEqual([5, 4, 8]);
    expect(c.getConfig()).toMatchObject({
      kernelSize: [5],
      strides: [1],
      padding: 'valid',
      dilationRate: [1],
      activation: 'linear',
      useBias: true,
      kernelInitializer: 'glorot_uniform',
    });
    // Glorot's fans for a 1-D kernel: kernelSize × in and kernelSize × filters.
    const limit = Math.sqrt(6 / (5 * 4 + 5 * 8));
    const w = flat(c.kernel).map(Math.abs);
    expect(Math.max(...w)).toBeLessThanOrEqual(limit);
    expect(Math.max(...w)).toBeGreaterThan(0.9 * limit);
  });
});

describe('MaxPooling1D and AveragePooling1D', () => {
  it('known values; strides default to poolSize', () => {
    const x = tensor([1, 5, 2, 8, 3, 4, 7], [1, 7, 1]);
    const mp = new MaxPooling1D();
    expect(mp.strides).toBe(2);
    expectValues(mp.call(x), [5, 8, 4]);
    expectValues(new AveragePooling1D({ poolSize: 3, strides: 1 }).call(x), [8 / 3, 5, 13 / 3, 5, 14 / 3]);
    // 'same': the last window [7] holds one real step; padding is not counted in the mean.
    expectValues(new AveragePooling1D({ padding: 'same' }).call(x), [3, 5, 3.5, 7]);
    expectValues(new MaxPooling1D({ pool_size: [2], padding: 'same' } as never).call(x), [5, 8, 4, 7]);
  });

  it('match tf.layers pooling layers (1e-5)', () => {
    const x = seeded([2, 11, 3], 8);
    for (const padding of ['valid', 'same'] as const) {
      for (const [poolSize, strides] of [
        [2, undefined],
        [3, 2],
        [4, 1],
      ] as const) {
        const what = `${padding} pool ${poolSize} strides ${strides}`;
        for (const [ours, theirs] of [
          [new MaxPooling1D({ poolSize, strides, padding }), tf.layers.maxPooling1d({ poolSize, strides, padding })],
          [
            new AveragePooling1D({ poolSize, strides, padding }),
            tf.layers.averagePooling1d({ poolSize, strides, padding }),
          ],
        ] as const) {
          const y = ours.call(x);
          const ref = tfOutput(theirs, x, []);
          expect(y.shape, what).toEqual(ref.shape);
          expect(ours.computeOutputShape([null, 11, 3])).toEqual([null, ...ref.shape.slice(1)]);
          expectValues(y, ref.values, { atol: 1e-6, rtol: 1e-5 }, `${ours.className} ${what}`);
        }
      }
    }
  });

  it('gradients match finite differences', async () => {
    // Distinct values, so no max window has a near tie.
    const x = tensor([0.3, -1.2, 0.8, 2.1, -0.4, 1.5, 0.1, -2.2, 0.9, 1.1, -0.7, 0.5], [1, 6, 2]);
    await gradCheck((t) => new MaxPooling1D({ poolSize: 3, strides: 2, padding: 'same' }).call(t), [x]);
    await gradCheck((t) => new AveragePooling1D({ poolSize: 3, strides: 2, padding: 'same' }).call(t), [x]);
  });

  it('errors name the layer: too short an input, bad options, unknown options', () => {
    expect(() => new MaxPooling1D({ poolSize: 4, name: 'mp_short', inputShape: [3, 2] })).toThrow(
      /mp_short \(MaxPooling1D\): input shape \(None, 3, 2\) is too small for poolSize 4 with strides 4, padding 'valid'/,
    );
    expect(() => new AveragePooling1D({ poolSize: 0 })).toThrow(/poolSize must be a positive integer/);
    expect(() => new MaxPooling1D({ padding: 'causal' as never })).toThrow(
      /padding must be 'valid' or 'same', got 'causal'/,
    );
    expect(() => new MaxPooling1D({ pool: 2 } as never)).toThrow(/MaxPooling1D: unknown option 'pool'/);
    expect(() => new MaxPooling1D().call(tensor([1, 2, 3, 4], [2, 2]))).toThrow(ShapeError);
  });
});

describe('1-D layers in a model', () => {
  it('a Conv1D / pooling stack trains, saves and loads with the same outputs', async () => {
    const m = new Sequential([
      new Conv1D({ filters: 4, kernelSize: 3, padding: 'causal', activation: 'relu', seed: 1, inputShape: [8, 2] }),
      new MaxPooling1D(),
      new Conv1D({ filters: 2, kernelSize: 2, seed: 2 }),
      new AveragePooling1D({ poolSize: 3 }),
      new Flatten(),
      new Dense({ units: 1, seed: 3 }),
    ]);
    expect(m.outputShape).toEqual([null, 1]);
    m.compile({ optimizer: 'adam', loss: 'mse' });
    const x = seeded([16, 8, 2], 11);
    const y = seeded([16, 1], 12);
    const h = await m.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, shuffle: false });
    expect(h.history.loss[2]).toBeLessThan(h.history.loss[0]);
    const loaded = await modelFromArtifacts(await modelToArtifacts(m));
    expect(loaded.layers.map((l) => l.className)).toEqual([
      'Conv1D',
      'MaxPooling1D',
      'Conv1D',
      'AveragePooling1D',
      'Flatten',
      'Dense',
    ]);
    expect(flat(loaded.predict(x))).toEqual(flat(m.predict(x)));
  });
});

/** The layer's call as a function of its input and the given weights (gradCheck's fresh leaves swapped in). */
function asFunction<L extends Layer>(layer: L, fields: (keyof L & string)[]): (x: Tensor, ...ws: Tensor[]) => Tensor {
  return (x, ...ws) => {
    const saved = fields.map((f) => layer[f]);
    fields.forEach((f, i) => ((layer as Record<string, unknown>)[f] = ws[i]));
    try {
      return (layer as Layer).apply(x) as Tensor;
    } finally {
      fields.forEach((f, i) => ((layer as Record<string, unknown>)[f] = saved[i]));
    }
  };
}
