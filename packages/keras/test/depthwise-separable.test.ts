import { gradCheck } from '@tsdl/test-utils';
import { ArgumentError, ShapeError, type Tensor, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Conv2D,
  Dense,
  DepthwiseConv2D,
  Flatten,
  type Layer,
  SeparableConv1D,
  SeparableConv2D,
  Sequential,
  modelFromArtifacts,
  modelToArtifacts,
} from '../src/index';
import { expectValues, flat, seeded, useCpu } from './helpers';

useCpu();

describe('DepthwiseConv2D', () => {
  it("each channel gets its own filters; output channel c·depthMultiplier + m; weight 'depthwise_kernel'", () => {
    const layer = new DepthwiseConv2D({
      kernelSize: [1, 2],
      depthMultiplier: 2,
      useBias: false,
      inputShape: [1, 2, 2],
    });
    expect(layer.namedWeights().map(([n, w]) => [n, [...w.shape]])).toEqual([['depthwise_kernel', [1, 2, 2, 2]]]);
    // [kH=1, kW, C, m]: tap 0 → channel 0 [1, 2], channel 1 [3, 4]; tap 1 → channel 0 [10, 20], channel 1 [30, 40].
    layer.depthwiseKernel.assign(tensor([1, 2, 3, 4, 10, 20, 30, 40], [1, 2, 2, 2]));
    // x: pixel 0 = (channel 0: 1, channel 1: 2), pixel 1 = (5, 7).
    const y = layer.call(tensor([1, 2, 5, 7], [1, 1, 2, 2]));
    expect(y.shape).toEqual([1, 1, 1, 4]);
    expectValues(y, [1 * 1 + 5 * 10, 1 * 2 + 5 * 20, 2 * 3 + 7 * 30, 2 * 4 + 7 * 40]);
  });

  it('gradients w.r.t. input, kernel and bias match finite differences', async () => {
    const layer = new DepthwiseConv2D({
      kernelSize: [2, 3],
      depthMultiplier: 2,
      strides: 2,
      padding: 'same',
      activation: 'tanh',
      seed: 1,
      inputShape: [3, 4, 2],
    });
    layer.bias?.assign(seeded([4], 2));
    await gradCheck(asFunction(layer, ['depthwiseKernel', 'bias']), [
      seeded([1, 3, 4, 2], 3),
      layer.depthwiseKernel,
      layer.bias as Tensor,
    ]);
  });

  it('options: Keras defaults and names, snake_case, getConfig round trip', () => {
    const layer = new DepthwiseConv2D({
      kernel_size: 3,
      depth_multiplier: 4,
      depthwise_initializer: 'he_normal',
      input_shape: [6, 6, 3],
      seed: 1,
    } as never);
    expect(layer.bias?.shape).toEqual([12]);
    expect(layer.computeOutputShape([null, 6, 6, 3])).toEqual([null, 4, 4, 12]);
    const c = layer.getConfig();
    expect(c).toMatchObject({
      kernelSize: [3, 3],
      strides: [1, 1],
      padding: 'valid',
      depthMultiplier: 4,
      dilationRate: [1, 1],
      activation: 'linear',
      useBias: true,
      depthwiseInitializer: 'he_normal',
      biasInitializer: 'zeros',
    });
    const again = new DepthwiseConv2D(c as never);
    expect(again.getConfig()).toEqual({ ...c, name: again.name });
    expect(new DepthwiseConv2D({ kernelSize: 2 }).getConfig()).toMatchObject({
      depthMultiplier: 1,
      depthwiseInitializer: 'glorot_uniform',
    });
  });

  it('errors name the layer: unknown options (Keras has no filters or kernelInitializer here), bad values, wrong channels', () => {
    expect(() => new DepthwiseConv2D({ kernelSize: 3, filters: 4 } as never)).toThrow(
      /DepthwiseConv2D: unknown option 'filters'/,
    );
    expect(() => new DepthwiseConv2D({ kernelSize: 3, kernelInitializer: 'zeros' } as never)).toThrow(ArgumentError);
    expect(() => new DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 0, name: 'dw' })).toThrow(
      /dw \(DepthwiseConv2D\): depthMultiplier must be a positive integer, got 0/,
    );
    expect(() => new DepthwiseConv2D({} as never)).toThrow(/kernelSize is required/);
    expect(() => new DepthwiseConv2D({ kernelSize: 3, depthwiseInitializer: 'nope' })).toThrow(ArgumentError);
    const before = memory().numTensors;
    expect(
      () => new DepthwiseConv2D({ kernelSize: 4, dilationRate: 2, name: 'dw_small', inputShape: [5, 9, 2] }),
    ).toThrow(
      /dw_small \(DepthwiseConv2D\): input shape \(None, 5, 9, 2\) is too small for kernelSize \[4, 4\] with strides \[1, 1\], padding 'valid' and dilationRate \[2, 2\]/,
    );
    expect(memory().numTensors).toBe(before);
    const built = new DepthwiseConv2D({ kernelSize: 2, name: 'dw_built', inputShape: [4, 4, 3] });
    const x = seeded([1, 4, 4, 2], 1);
    const n = memory().numTensors;
    expect(() => built.call(x)).toThrow(ShapeError);
    expect(() => built.call(x)).toThrow(
      /dw_built \(DepthwiseConv2D\): expected images \[batch, height, width, 3\], got shape \[1,4,4,2\]/,
    );
    expect(memory().numTensors).toBe(n);
  });
});

describe('SeparableConv2D and SeparableConv1D', () => {
  it('is the depthwise convolution followed by a 1×1 Conv2D', () => {
    const sep = new SeparableConv2D({
      filters: 3,
      kernelSize: [2, 3],
      depthMultiplier: 2,
      strides: [1, 2],
      padding: 'same',
      seed: 1,
      inputShape: [4, 5, 2],
    });
    expect(sep.namedWeights().map(([n, w]) => [n, [...w.shape]])).toEqual([
      ['depthwise_kernel', [2, 3, 2, 2]],
      ['pointwise_kernel', [1, 1, 4, 3]],
      ['bias', [3]],
    ]);
    sep.bias?.assign(seeded([3], 2));
    const dw = new DepthwiseConv2D({
      kernelSize: [2, 3],
      depthMultiplier: 2,
      strides: [1, 2],
      padding: 'same',
      useBias: false,
      inputShape: [4, 5, 2],
    });
    const pw = new Conv2D({ filters: 3, kernelSize: 1, inputShape: [4, 3, 4] });
    dw.depthwiseKernel.assign(sep.depthwiseKernel);
    pw.kernel.assign(sep.pointwiseKernel);
    pw.bias?.assign(sep.bias as Tensor);
    const x = seeded([2, 4, 5, 2], 3);
    expectValues(sep.call(x), flat(pw.call(dw.call(x))), { atol: 1e-6, rtol: 1e-6 });
    // The two kernels are drawn with different seeds.
    expect(flat(sep.pointwiseKernel).slice(0, 4)).not.toEqual(flat(sep.depthwiseKernel).slice(0, 4));
  });

  it('gradients w.r.t. input and all three weights match finite differences (2-D and 1-D)', async () => {
    const sep = new SeparableConv2D({
      filters: 2,
      kernelSize: 2,
      depthMultiplier: 2,
      padding: 'same',
      activation: 'tanh',
      seed: 4,
      inputShape: [3, 3, 2],
    });
    sep.bias?.assign(seeded([2], 5));
    await gradCheck(asFunction(sep, ['depthwiseKernel', 'pointwiseKernel', 'bias']), [
      seeded([1, 3, 3, 2], 6),
      sep.depthwiseKernel,
      sep.pointwiseKernel,
      sep.bias as Tensor,
    ]);
    const sep1 = new SeparableConv1D({
      filters: 2,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      seed: 7,
      inputShape: [5, 2],
    });
    sep1.bias?.assign(seeded([2], 8));
    await gradCheck(asFunction(sep1, ['depthwiseKernel', 'pointwiseKernel', 'bias']), [
      seeded([2, 5, 2], 9),
      sep1.depthwiseKernel,
      sep1.pointwiseKernel,
      sep1.bias as Tensor,
    ]);
  });

  it('options: Keras defaults, snake_case, getConfig round trip; SeparableConv1D weights [k, C, m] and [1, C·m, filters]', () => {
    const sep = new SeparableConv2D({
      filters: 8,
      kernel_size: 3,
      pointwise_initializer: 'zeros',
      input_shape: [5, 5, 3],
    } as never);
    expect(flat(sep.pointwiseKernel).every((v) => v === 0)).toBe(true);
    const c = sep.getConfig();
    expect(c).toMatchObject({
      filters: 8,
      kernelSize: [3, 3],
      strides: [1, 1],
      padding: 'valid',
      depthMultiplier: 1,
      dilationRate: [1, 1],
      activation: 'linear',
      useBias: true,
      depthwiseInitializer: 'glorot_uniform',
      pointwiseInitializer: 'zeros',
      biasInitializer: 'zeros',
    });
    const again = new SeparableConv2D(c as never);
    expect(again.getConfig()).toEqual({ ...c, name: again.name });
    const sep1 = new SeparableConv1D({ filters: 4, kernelSize: 3, depthMultiplier: 2, inputShape: [7, 3] });
    expect(sep1.namedWeights().map(([n, w]) => [n, [...w.shape]])).toEqual([
      ['depthwise_kernel', [3, 3, 2]],
      ['pointwise_kernel', [1, 6, 4]],
      ['bias', [4]],
    ]);
    const c1 = sep1.getConfig();
    expect(c1).toMatchObject({ kernelSize: [3], strides: [1], dilationRate: [1], depthMultiplier: 2 });
    expect(new SeparableConv1D(c1 as never).computeOutputShape([null, 7, 3])).toEqual([null, 5, 4]);
  });

  it('errors name the layer', () => {
    expect(() => new SeparableConv2D({ filters: 2, kernelSize: 3, kernelInitializer: 'zeros' } as never)).toThrow(
      /SeparableConv2D: unknown option 'kernelInitializer'/,
    );
    expect(() => new SeparableConv2D({ filters: 2 } as never)).toThrow(/kernelSize is required/);
    expect(() => new SeparableConv2D({ filters: 2, kernelSize: 3, depthMultiplier: -1, name: 'sc' })).toThrow(
      /sc \(SeparableConv2D\): depthMultiplier must be a positive integer, got -1/,
    );
    expect(() => new SeparableConv1D({ filters: 2, kernelSize: 3, padding: 'causal' as never })).toThrow(
      /padding must be 'valid' or 'same', got 'causal'/,
    );
    const before = memory().numTensors;
    expect(() => new SeparableConv1D({ filters: 2, kernelSize: 5, name: 'sc1', inputShape: [4, 2] })).toThrow(
      /sc1 \(SeparableConv1D\): input shape \(None, 4, 2\) is too small for kernelSize 5/,
    );
    expect(memory().numTensors).toBe(before);
    const built = new SeparableConv2D({ filters: 2, kernelSize: 2, name: 'sc_built', inputShape: [4, 4, 3] });
    expect(() => built.call(seeded([1, 4, 4, 1], 1))).toThrow(
      /sc_built \(SeparableConv2D\): expected images \[batch, height, width, 3\], got shape \[1,4,4,1\]/,
    );
    expect(() => built.call(seeded([1, 1, 4, 3], 1))).toThrow(
      /sc_built \(SeparableConv2D\): input shape \(None, 1, 4, 3\) is too small/,
    );
  });
});

describe('depthwise and separable convolutions in a model', () => {
  it('a MobileNet-style block trains (loss falls), saves and loads with equal predictions and configs', async () => {
    const m = new Sequential([
      new DepthwiseConv2D({
        kernelSize: 3,
        padding: 'same',
        depthMultiplier: 2,
        activation: 'relu',
        seed: 1,
        inputShape: [6, 6, 2],
      }),
      new Conv2D({ filters: 4, kernelSize: 1, activation: 'relu', seed: 2 }),
      new SeparableConv2D({ filters: 3, kernelSize: 3, strides: 2, seed: 3 }),
      new Flatten(),
      new Dense({ units: 1, seed: 4 }),
    ]);
    expect(m.outputShape).toEqual([null, 1]);
    m.compile({ optimizer: 'adam', loss: 'mse' });
    const x = seeded([8, 6, 6, 2], 11);
    const y = seeded([8, 1], 12);
    const h = await m.fit(x, y, { epochs: 5, batchSize: 4, verbose: 0, shuffle: false });
    expect(h.history.loss[4]).toBeLessThan(h.history.loss[0]);
    const loaded = await modelFromArtifacts(await modelToArtifacts(m));
    expect(loaded.layers.map((l) => l.className)).toEqual([
      'DepthwiseConv2D',
      'Conv2D',
      'SeparableConv2D',
      'Flatten',
      'Dense',
    ]);
    expect(loaded.layers.map((l) => l.getConfig())).toEqual(m.layers.map((l) => l.getConfig()));
    expect(flat(loaded.predict(x))).toEqual(flat(m.predict(x)));
  });

  it('SeparableConv1D in a sequence model saves and loads', async () => {
    const m = new Sequential([
      new SeparableConv1D({
        filters: 3,
        kernelSize: 3,
        depthMultiplier: 2,
        padding: 'same',
        seed: 1,
        inputShape: [6, 2],
      }),
      new Flatten(),
      new Dense({ units: 1, seed: 2 }),
    ]);
    const x = seeded([3, 6, 2], 5);
    const loaded = await modelFromArtifacts(await modelToArtifacts(m));
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
