/**
 * Conv3DTranspose against PyTorch's conv_transpose3d cropped to Keras' lengths
 * (fixtures/conv3d_transpose.py), channels_first, finite-difference gradients,
 * config and save/load round trips, errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gradCheck } from '@tsdl/test-utils';
import { ArgumentError, ShapeError, type Tensor, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { Conv3DTranspose, Sequential, modelFromArtifacts, modelToArtifacts } from '../src/index';
import { layerFromConfig } from '../src/layers/registry';
import { expectValues, flat, seeded, thrown, useCpu } from './helpers';

useCpu();

interface Arr {
  shape: number[];
  data: number[];
}
const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'conv3d-transpose.json'), 'utf8')) as {
  cases: { config: Record<string, unknown>; input: Arr; weights: Record<string, Arr>; output: Arr }[];
};

describe('Conv3DTranspose: known values (PyTorch, fixtures/conv3d_transpose.py)', () => {
  fixture.cases.forEach((c, i) => {
    it(`${JSON.stringify(c.config)} #${i}`, () => {
      const layer = new Conv3DTranspose(c.config as never);
      const x = tensor(c.input.data, c.input.shape);
      layer.call(x);
      const named = new Map(layer.namedWeights());
      expect([...named.keys()]).toEqual(['kernel', 'bias']);
      for (const [k, w] of Object.entries(c.weights)) {
        expect([...(named.get(k) as Tensor).shape]).toEqual(w.shape);
        (named.get(k) as Tensor).assign(tensor(w.data, w.shape));
      }
      const y = layer.call(x) as Tensor;
      expect(y.shape).toEqual(c.output.shape);
      expect(layer.computeOutputShape([null, ...c.input.shape.slice(1)])).toEqual([null, ...c.output.shape.slice(1)]);
      expectValues(y, c.output.data, { atol: 2e-5, rtol: 2e-4 });
    });
  });
});

describe('Conv3DTranspose', () => {
  it('channels_first agrees with channels_last; gradients by finite differences', async () => {
    const cfg = {
      filters: 2,
      kernelSize: [2, 2, 1] as [number, number, number],
      padding: 'same' as const,
      strides: [2, 1, 2] as [number, number, number],
      seed: 1,
      biasInitializer: 'random_uniform',
    };
    const a = new Conv3DTranspose(cfg);
    const b = new Conv3DTranspose({ ...cfg, dataFormat: 'channels_first' });
    const x = seeded([1, 2, 3, 2, 2], 2);
    const ya = a.call(x) as Tensor;
    b.call(x.transpose([0, 4, 1, 2, 3]));
    b.kernel.assign(a.kernel);
    (b.bias as Tensor).assign(a.bias as Tensor);
    expectValues((b.call(x.transpose([0, 4, 1, 2, 3])) as Tensor).transpose([0, 2, 3, 4, 1]), flat(ya));
    await gradCheck(
      (v: Tensor, k: Tensor, bias: Tensor) => {
        const [sk, sb] = [a.kernel, a.bias];
        [a.kernel, a.bias] = [k, bias];
        try {
          return a.call(v) as Tensor;
        } finally {
          [a.kernel, a.bias] = [sk, sb];
        }
      },
      [x, a.kernel, a.bias as Tensor],
    );
  });

  it('getConfig round-trips (snake_case accepted, through the registry) and a saved model predicts the same', async () => {
    const l = new Conv3DTranspose({
      filters: 2,
      kernel_size: 3,
      strides: 2,
      padding: 'same',
      output_padding: 1,
      activation: 'relu',
      seed: 4,
    } as never);
    const c = l.getConfig();
    expect(c).toMatchObject({
      filters: 2,
      kernelSize: [3, 3, 3],
      strides: [2, 2, 2],
      padding: 'same',
      outputPadding: [1, 1, 1],
      dataFormat: 'channels_last',
      dilationRate: [1, 1, 1],
      activation: 'relu',
      useBias: true,
    });
    expect(layerFromConfig({ className: 'Conv3DTranspose', config: c }).getConfig()).toEqual(c);
    const m = new Sequential([
      new Conv3DTranspose({
        filters: 2,
        kernelSize: 2,
        strides: [1, 2, 1],
        inputShape: [2, 2, 3, 1],
        biasInitializer: 'random_uniform',
        seed: 3,
      }),
    ]);
    const x = seeded([2, 2, 2, 3, 1], 5);
    const back = await modelFromArtifacts(await modelToArtifacts(m));
    expect(back.layers[0].getConfig()).toEqual(m.layers[0].getConfig());
    expect(flat(back.predict(x) as Tensor)).toEqual(flat(m.predict(x) as Tensor));
  });

  it('errors name the layer, the option or the shapes; memory unchanged', async () => {
    expect(
      await thrown(() => new Conv3DTranspose({ filters: 2, kernelSize: 2, strides: 2, outputPadding: 2 })),
    ).toBeInstanceOf(ArgumentError);
    expect(
      (await thrown(() => new Conv3DTranspose({ filters: 2, kernelSize: 2, groups: 2 } as never))).message,
    ).toMatch(/Conv3DTranspose.*groups/);
    expect((await thrown(() => new Conv3DTranspose({ filters: 2 } as never))).message).toMatch(
      /Conv3DTranspose.*kernelSize is required/,
    );
    const l = new Conv3DTranspose({ filters: 2, kernelSize: 2 });
    const x = seeded([1, 2, 2, 2, 3]);
    (l.call(x) as Tensor).dispose();
    const bad = seeded([1, 2, 2, 2, 4]);
    const flatX = seeded([2, 2, 3]);
    const n = memory().numTensors;
    expect(() => l.call(bad)).toThrow(ShapeError);
    expect(() => l.call(bad)).toThrow(
      /Conv3DTranspose.*volumes \[batch, dim1, dim2, dim3, 3\], got shape \[1,2,2,2,4\]/,
    );
    expect(() => l.call(flatX)).toThrow(ShapeError);
    expect(memory().numTensors).toBe(n);
  });
});
