import { gradCheck } from '@tsdl/test-utils';
import { ArgumentError, ShapeError, type Tensor, memory, reshape, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Conv1D,
  Conv2D,
  DepthwiseConv2D,
  Flatten,
  Dense,
  type Layer,
  Sequential,
  modelFromArtifacts,
  modelToArtifacts,
} from '../src/index';
import { expectValues, flat, seeded, useCpu } from './helpers';

useCpu();

describe('Conv2D groups', () => {
  it('kernel [kH, kW, in / groups, filters]; each group of filters reads its own channels', () => {
    const layer = new Conv2D({ filters: 2, kernelSize: 1, groups: 2, useBias: false, inputShape: [1, 1, 4] });
    expect(layer.kernel.shape).toEqual([1, 1, 2, 2]);
    // Filter 0 reads channels 0–1 with weights [1, 10]; filter 1 reads channels 2–3 with [100, 1000].
    layer.kernel.assign(tensor([1, 100, 10, 1000], [1, 1, 2, 2]));
    expectValues(layer.call(tensor([1, 2, 3, 4], [1, 1, 1, 4])), [1 + 20, 300 + 4000]);
  });

  it('groups = channels is a depthwise convolution', () => {
    const grouped = new Conv2D({
      filters: 6,
      kernelSize: [3, 2],
      groups: 3,
      padding: 'same',
      seed: 1,
      inputShape: [5, 4, 3],
    });
    const depthwise = new DepthwiseConv2D({
      kernelSize: [3, 2],
      depthMultiplier: 2,
      padding: 'same',
      inputShape: [5, 4, 3],
    });
    // The same memory: [kH, kW, 1, C·m] is [kH, kW, C, m].
    depthwise.depthwiseKernel.assign(reshape(grouped.kernel, [3, 2, 3, 2]));
    const x = seeded([2, 5, 4, 3], 2);
    expectValues(grouped.call(x), flat(depthwise.call(x)), { atol: 1e-6, rtol: 1e-6 });
  });

  it('gradients w.r.t. input, kernel and bias match finite differences (grouped, strided)', async () => {
    const layer = new Conv2D({
      filters: 4,
      kernelSize: 2,
      groups: 2,
      strides: [2, 1],
      padding: 'same',
      activation: 'tanh',
      seed: 3,
      inputShape: [3, 3, 4],
    });
    layer.bias?.assign(seeded([4], 4));
    await gradCheck(asFunction(layer, ['kernel', 'bias']), [
      seeded([1, 3, 3, 4], 5),
      layer.kernel,
      layer.bias as Tensor,
    ]);
  });

  it('config: groups saved (default 1), snake_case accepted', () => {
    expect(new Conv2D({ filters: 2, kernelSize: 3 }).getConfig().groups).toBe(1);
    const c = new Conv2D({ filters: 8, kernel_size: 3, groups: 4 } as never).getConfig();
    expect(c.groups).toBe(4);
    expect(new Conv2D(c as never).getConfig()).toMatchObject({ groups: 4, filters: 8 });
  });

  it('errors name the layer: filters or channels not divisible by groups, bad groups', () => {
    expect(() => new Conv2D({ filters: 6, kernelSize: 3, groups: 4, name: 'g4' })).toThrow(ArgumentError);
    expect(() => new Conv2D({ filters: 6, kernelSize: 3, groups: 4, name: 'g4' })).toThrow(
      /g4 \(Conv2D\): filters \(6\) must be divisible by groups \(4\)/,
    );
    expect(() => new Conv2D({ filters: 6, kernelSize: 3, groups: 0 })).toThrow(
      /groups must be a positive integer, got 0/,
    );
    expect(() => new Conv2D({ filters: 6, kernelSize: 3, groups: 1.5 })).toThrow(
      /groups must be a positive integer, got 1.5/,
    );
    const before = memory().numTensors;
    expect(() => new Conv2D({ filters: 6, kernelSize: 3, groups: 3, name: 'g3', inputShape: [5, 5, 4] })).toThrow(
      ShapeError,
    );
    expect(() => new Conv2D({ filters: 6, kernelSize: 3, groups: 3, name: 'g3', inputShape: [5, 5, 4] })).toThrow(
      /g3 \(Conv2D\): the input's 4 channels \(input shape \(None, 5, 5, 4\)\) must be divisible by groups \(3\)/,
    );
    // A layer built at its first call: the same error, and nothing allocated.
    const lazy = new Conv2D({ filters: 6, kernelSize: 1, groups: 2, name: 'lazy' });
    const x = seeded([1, 2, 2, 3], 1);
    const n = memory().numTensors;
    expect(() => lazy.call(x)).toThrow(
      /lazy \(Conv2D\): the input's 3 channels \(input shape \(None, 2, 2, 3\)\) must be divisible by groups \(2\)/,
    );
    expect(memory().numTensors).toBe(n);
    expect(n).toBe(before + 1);
  });
});

describe('Conv1D groups', () => {
  it('kernel [kernelSize, in / groups, filters]; groups read their own channels; causal padding kept', () => {
    const layer = new Conv1D({
      filters: 2,
      kernelSize: 2,
      groups: 2,
      padding: 'causal',
      useBias: false,
      inputShape: [3, 2],
    });
    expect(layer.kernel.shape).toEqual([2, 1, 2]);
    // Filter 0 on channel 0: x[t−1] + 10·x[t]; filter 1 on channel 1: 100·x[t−1] + 1000·x[t].
    layer.kernel.assign(tensor([1, 100, 10, 1000], [2, 1, 2]));
    const x = tensor([1, 2, 3, 4, 5, 6], [1, 3, 2]); // channel 0: 1, 3, 5; channel 1: 2, 4, 6
    expectValues(layer.call(x), [10, 2000, 31, 4200, 53, 6400]);
    expect(layer.getConfig().groups).toBe(2);
  });

  it('gradients match finite differences; errors name the layer', async () => {
    const layer = new Conv1D({ filters: 4, kernelSize: 3, groups: 2, padding: 'same', seed: 2, inputShape: [4, 2] });
    layer.bias?.assign(seeded([4], 3));
    await gradCheck(asFunction(layer, ['kernel', 'bias']), [seeded([2, 4, 2], 4), layer.kernel, layer.bias as Tensor]);
    expect(() => new Conv1D({ filters: 3, kernelSize: 3, groups: 2, name: 'c1' })).toThrow(
      /c1 \(Conv1D\): filters \(3\) must be divisible by groups \(2\)/,
    );
    expect(() => new Conv1D({ filters: 4, kernelSize: 3, groups: 2, name: 'c2', inputShape: [5, 3] })).toThrow(
      /c2 \(Conv1D\): the input's 3 channels \(input shape \(None, 5, 3\)\) must be divisible by groups \(2\)/,
    );
    const built = new Conv1D({ filters: 4, kernelSize: 2, groups: 2, name: 'c3', inputShape: [5, 4] });
    expect(() => built.call(seeded([1, 5, 2], 1))).toThrow(
      /c3 \(Conv1D\): expected sequences \[batch, steps, 4\], got shape \[1,5,2\]/,
    );
  });
});

describe('grouped convolutions in a model', () => {
  it('trains (loss falls), saves and loads with equal predictions and configs', async () => {
    const m = new Sequential([
      new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', seed: 1, inputShape: [5, 5, 2] }),
      new Conv2D({ filters: 6, kernelSize: 3, groups: 2, dilationRate: 2, activation: 'relu', seed: 2 }),
      new Flatten(),
      new Dense({ units: 1, seed: 3 }),
    ]);
    m.compile({ optimizer: 'adam', loss: 'mse' });
    const x = seeded([8, 5, 5, 2], 11);
    const y = seeded([8, 1], 12);
    const h = await m.fit(x, y, { epochs: 5, batchSize: 4, verbose: 0, shuffle: false });
    expect(h.history.loss[4]).toBeLessThan(h.history.loss[0]);
    const loaded = await modelFromArtifacts(await modelToArtifacts(m));
    expect(loaded.layers.map((l) => l.getConfig())).toEqual(m.layers.map((l) => l.getConfig()));
    expect(loaded.layers[1].namedWeights().map(([n, w]) => [n, [...w.shape]])).toEqual([
      ['kernel', [3, 3, 2, 6]],
      ['bias', [6]],
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
