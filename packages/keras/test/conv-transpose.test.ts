import { gradCheck } from '@tsdl/test-utils';
import { ArgumentError, ShapeError, type Tensor, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Conv1DTranspose,
  Conv2D,
  Conv2DTranspose,
  Flatten,
  type Layer,
  Sequential,
  modelFromArtifacts,
  modelToArtifacts,
} from '../src/index';
import { transposeLength } from '../src/layers/conv-transpose';
import { expectValues, flat, seeded, useCpu } from './helpers';

useCpu();

describe('Conv2DTranspose', () => {
  it("output lengths follow Keras 3's formula", () => {
    // [size, kernel, stride, padding, outputPadding, dilation, Keras' length]
    const table: [number, number, number, 'valid' | 'same', number | null, number, number][] = [
      [4, 3, 2, 'valid', null, 1, 9], // (4 − 1)·2 + max(3, 2)
      [4, 1, 3, 'valid', null, 1, 12], // (4 − 1)·3 + max(1, 3): the kernel is shorter than the stride
      [4, 3, 2, 'same', null, 1, 8], // 4·2
      [4, 3, 2, 'same', 1, 1, 8], // (4 − 1)·2 + 3 − 2·1 + 1
      [4, 4, 3, 'same', 2, 1, 11], // (4 − 1)·3 + 4 − 2·2 + 2
      [3, 2, 2, 'same', 0, 1, 4], // an even kernel: (3 − 1)·2 + 0
      [4, 3, 2, 'valid', 1, 1, 10],
      [5, 3, 1, 'same', null, 2, 5],
      [5, 2, 1, 'valid', null, 2, 7], // dilated kernel 3
      [null as never, 3, 2, 'same', null, 1, null as never],
    ];
    for (const [n, k, s, p, op, d, want] of table)
      expect(transposeLength(n, k, s, p, op, d), JSON.stringify([n, k, s, p, op, d])).toBe(want);
  });

  it('one input pixel stamps the kernel; strides space the stamps; same padding crops as TensorFlow', () => {
    const layer = new Conv2DTranspose({ filters: 1, kernelSize: 2, useBias: false, inputShape: [1, 1, 1] });
    expect(layer.kernel.shape).toEqual([2, 2, 1, 1]);
    layer.kernel.assign(tensor([1, 2, 3, 4], [2, 2, 1, 1]));
    expectValues(layer.call(tensor([2], [1, 1, 1, 1])), [2, 4, 6, 8]);
    const strided = new Conv2DTranspose({
      filters: 1,
      kernelSize: [1, 2],
      strides: [1, 3],
      useBias: false,
      inputShape: [1, 2, 1],
    });
    strided.kernel.assign(tensor([1, 10], [1, 2, 1, 1]));
    // valid: (2 − 1)·3 + max(2, 3) = 6 columns; the stamps start at 0 and 3, with a zero after each.
    expectValues(strided.call(tensor([1, 2], [1, 1, 2, 1])), [1, 10, 0, 2, 20, 0]);
    // same, kernel 3, stride 1: the full output (5) cropped to 3, one cell from each end.
    const same = new Conv2DTranspose({
      filters: 1,
      kernelSize: [1, 3],
      padding: 'same',
      useBias: false,
      inputShape: [1, 3, 1],
    });
    same.kernel.assign(tensor([1, 10, 100], [1, 3, 1, 1]));
    // full: x0·k + shifted x1·k + x2·k = [1, 10+2, 100+20+3, 200+30, 300] → [12, 123, 230]
    expectValues(same.call(tensor([1, 2, 3], [1, 1, 3, 1])), [12, 123, 230]);
  });

  it("undoes a strided Conv2D's shape, and is its adjoint: <conv(z), y> = <z, convT(y)>", () => {
    const conv = new Conv2D({
      filters: 3,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      useBias: false,
      seed: 1,
      inputShape: [8, 7, 2],
    });
    const up = new Conv2DTranspose({
      filters: 2,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      outputPadding: [1, 0],
      useBias: false,
      inputShape: [4, 4, 3],
    });
    expect(conv.computeOutputShape([null, 8, 7, 2])).toEqual([null, 4, 4, 3]);
    expect(up.computeOutputShape([null, 4, 4, 3])).toEqual([null, 8, 7, 2]);
    // The same kernel [3, 3, 2, 3]: conv maps 2 → 3 channels, its transpose 3 → 2.
    up.kernel.assign(conv.kernel);
    const z = seeded([2, 8, 7, 2], 3);
    const y = seeded([2, 4, 4, 3], 4);
    const dot = (a: Tensor, b: Tensor): number => flat(a).reduce((s, v, i) => s + v * flat(b)[i], 0);
    expect(dot(conv.call(z), y)).toBeCloseTo(dot(z, up.call(y)), 4);
  });

  it('gradients w.r.t. input, kernel and bias match finite differences', async () => {
    const layer = new Conv2DTranspose({
      filters: 2,
      kernelSize: [3, 2],
      strides: 2,
      padding: 'same',
      outputPadding: [1, 0],
      activation: 'tanh',
      seed: 2,
      inputShape: [2, 3, 2],
    });
    layer.bias?.assign(seeded([2], 5));
    await gradCheck(asFunction(layer, ['kernel', 'bias']), [
      seeded([1, 2, 3, 2], 6),
      layer.kernel,
      layer.bias as Tensor,
    ]);
  });

  it('options: Keras defaults, snake_case, getConfig round trip', () => {
    const layer = new Conv2DTranspose({
      filters: 4,
      kernel_size: [3, 2],
      output_padding: 1,
      strides: 2,
      input_shape: [5, 5, 3],
      seed: 1,
    } as never);
    expect(layer.kernel.shape).toEqual([3, 2, 4, 3]);
    expect(layer.bias?.shape).toEqual([4]);
    expect(flat(layer.bias as Tensor)).toEqual([0, 0, 0, 0]);
    const config = layer.getConfig();
    expect(config).toMatchObject({
      filters: 4,
      kernelSize: [3, 2],
      strides: [2, 2],
      padding: 'valid',
      outputPadding: [1, 1],
      dilationRate: [1, 1],
      activation: 'linear',
      useBias: true,
      kernelInitializer: 'glorot_uniform',
      biasInitializer: 'zeros',
    });
    const again = new Conv2DTranspose(config as never);
    expect(again.getConfig()).toEqual({ ...config, name: again.name });
    expect(new Conv2DTranspose({ filters: 1, kernelSize: 2 }).getConfig().outputPadding).toBeNull();
    // Glorot's fans for [kH, kW, filters, in]: kH·kW·filters and kH·kW·in.
    const limit = Math.sqrt(6 / (6 * 4 + 6 * 3));
    const w = flat(layer.kernel).map(Math.abs);
    expect(Math.max(...w)).toBeLessThanOrEqual(limit);
    expect(Math.max(...w)).toBeGreaterThan(0.8 * limit);
  });

  it('errors name the layer: unknown options, bad values, outputPadding ≥ strides, empty outputs, wrong channels', () => {
    expect(() => new Conv2DTranspose({ filters: 2, kernelSize: 3, outputPading: 1 } as never)).toThrow(ArgumentError);
    expect(() => new Conv2DTranspose({ filters: 2, kernelSize: 3, outputPading: 1 } as never)).toThrow(
      /Conv2DTranspose: unknown option 'outputPading'/,
    );
    expect(() => new Conv2DTranspose({ filters: 2, kernelSize: 3, groups: 2 } as never)).toThrow(
      /unknown option 'groups'/,
    );
    expect(() => new Conv2DTranspose({ filters: 2, kernelSize: 3, strides: 2, outputPadding: 2, name: 'up' })).toThrow(
      /up \(Conv2DTranspose\): outputPadding \[2, 2\] must be smaller than strides \[2, 2\] on every axis/,
    );
    expect(() => new Conv2DTranspose({ filters: 2, kernelSize: 3, outputPadding: [0, -1] as never })).toThrow(
      /outputPadding must be null, an integer >= 0 or a list of 2/,
    );
    expect(() => new Conv2DTranspose({ filters: 0, kernelSize: 3 })).toThrow(
      /filters must be a positive integer, got 0/,
    );
    expect(() => new Conv2DTranspose({ filters: 2 } as never)).toThrow(/kernelSize is required/);
    expect(() => new Conv2DTranspose({ filters: 2, kernelSize: 3, padding: 'causal' as never })).toThrow(
      /padding must be 'valid' or 'same'/,
    );
    expect(() => new Conv2DTranspose({ filters: 2, kernelSize: 3, kernelInitializer: 'glorot' })).toThrow(
      ArgumentError,
    );
    const before = memory().numTensors;
    // An even kernel with 'same' and outputPadding 0 over one row: Keras' length (1 − 1)·1 + 0 + 0 = 0.
    expect(
      () =>
        new Conv2DTranspose({
          filters: 2,
          kernelSize: 2,
          padding: 'same',
          outputPadding: 0,
          name: 'empty',
          inputShape: [1, 4, 3],
        }),
    ).toThrow(
      /empty \(Conv2DTranspose\): input shape \(None, 1, 4, 3\) with kernelSize \[2, 2\], strides \[1, 1\], padding 'same' and outputPadding \[0, 0\] gives an empty output \(None, 0, 3, 2\)/,
    );
    expect(memory().numTensors).toBe(before);
    const built = new Conv2DTranspose({ filters: 2, kernelSize: 2, name: 'built_up', inputShape: [3, 3, 4] });
    const x = seeded([1, 3, 3, 2], 1);
    const n = memory().numTensors;
    expect(() => built.call(x)).toThrow(ShapeError);
    expect(() => built.call(x)).toThrow(
      /built_up \(Conv2DTranspose\): expected images \[batch, height, width, 4\], got shape \[1,3,3,2\]/,
    );
    expect(memory().numTensors).toBe(n);
    expect(() => new Conv2DTranspose({ filters: 2, kernelSize: 2 }).call(seeded([2, 3], 1))).toThrow(
      /expects images .* of rank 4/,
    );
  });
});

describe('Conv1DTranspose', () => {
  it('stamps the kernel along time; kernel [kernelSize, filters, in]; config round trip', () => {
    const layer = new Conv1DTranspose({ filters: 1, kernelSize: 2, strides: 2, useBias: false, inputShape: [3, 1] });
    expect(layer.kernel.shape).toEqual([2, 1, 1]);
    layer.kernel.assign(tensor([1, 10], [2, 1, 1]));
    expectValues(layer.call(tensor([1, 2, 3], [1, 3, 1])), [1, 10, 2, 20, 3, 30]);
    const c = new Conv1DTranspose({
      filters: 3,
      kernel_size: 4,
      output_padding: 1,
      strides: 2,
      padding: 'same',
    } as never).getConfig();
    expect(c).toMatchObject({ kernelSize: [4], strides: [2], outputPadding: [1], padding: 'same', dilationRate: [1] });
    expect(new Conv1DTranspose(c as never).getConfig()).toMatchObject({ ...c, name: expect.any(String) });
    expect(
      new Conv1DTranspose({
        filters: 3,
        kernelSize: 4,
        strides: 2,
        padding: 'same',
        outputPadding: 1,
      }).computeOutputShape([null, 5, 2]),
    ).toEqual([null, 9, 3]);
  });

  it('gradients match finite differences', async () => {
    const layer = new Conv1DTranspose({
      filters: 2,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      seed: 3,
      inputShape: [3, 2],
    });
    layer.bias?.assign(seeded([2], 8));
    await gradCheck(asFunction(layer, ['kernel', 'bias']), [seeded([2, 3, 2], 7), layer.kernel, layer.bias as Tensor]);
  });

  it('errors name the layer', () => {
    expect(() => new Conv1DTranspose({ filters: 2, kernelSize: 3, strides: 2, outputPadding: 3, name: 'u1' })).toThrow(
      /u1 \(Conv1DTranspose\): outputPadding \[3\] must be smaller than strides \[2\]/,
    );
    expect(() => new Conv1DTranspose({ filters: 2, kernelSize: 3, padding: 'causal' as never })).toThrow(
      /padding must be 'valid' or 'same'/,
    );
    expect(() => new Conv1DTranspose({ filters: 2, kernelSize: 3, outputPadding: [1, 1] as never })).toThrow(
      /outputPadding must be null, an integer >= 0 or a list of 1/,
    );
    const built = new Conv1DTranspose({ filters: 2, kernelSize: 2, name: 'seq_up', inputShape: [4, 3] });
    expect(() => built.call(seeded([1, 4, 2], 1))).toThrow(
      /seq_up \(Conv1DTranspose\): expected sequences \[batch, steps, 3\], got shape \[1,4,2\]/,
    );
  });
});

describe('transposed convolutions in a model', () => {
  it('an encoder-decoder trains (loss falls), saves and loads with equal predictions and configs', async () => {
    const m = new Sequential([
      new Conv2D({
        filters: 4,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'relu',
        seed: 1,
        inputShape: [6, 6, 1],
      }),
      new Conv2DTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', seed: 2 }),
      new Conv2DTranspose({ filters: 1, kernelSize: [2, 1], outputPadding: 0, padding: 'same', seed: 3 }),
      new Flatten(),
    ]);
    expect(m.outputShape).toEqual([null, 30]);
    m.compile({ optimizer: 'adam', loss: 'mse' });
    const x = seeded([8, 6, 6, 1], 11);
    const y = seeded([8, 30], 12);
    const h = await m.fit(x, y, { epochs: 5, batchSize: 4, verbose: 0, shuffle: false });
    expect(h.history.loss[4]).toBeLessThan(h.history.loss[0]);
    const loaded = await modelFromArtifacts(await modelToArtifacts(m));
    expect(loaded.layers.map((l) => l.className)).toEqual(['Conv2D', 'Conv2DTranspose', 'Conv2DTranspose', 'Flatten']);
    expect(loaded.layers.map((l) => l.getConfig())).toEqual(m.layers.map((l) => l.getConfig()));
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
