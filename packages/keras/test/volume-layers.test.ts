import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gradCheck } from '@tsdl/test-utils';
import { ShapeError, type Tensor, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  AveragePooling3D,
  Conv3D,
  Cropping3D,
  Dense,
  Flatten,
  GlobalAveragePooling3D,
  GlobalMaxPooling3D,
  type Layer,
  MaxPooling3D,
  Sequential,
  UpSampling3D,
  ZeroPadding3D,
  loadModel,
  modelFromArtifacts,
  modelToArtifacts,
} from '../src/index';
import { arange, expectValues, flat, seeded, thrown, useCpu, useTempDir } from './helpers';

useCpu();
const dir = useTempDir();

interface Arr {
  shape: number[];
  data: number[];
}
const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'volume-layers.json'), 'utf8')) as {
  cases: { layer: string; config: Record<string, unknown>; input: Arr; weights: Record<string, Arr>; output: Arr }[];
};
const MAKE: Record<string, (c: Record<string, unknown>) => Layer> = {
  Conv3D: (c) => new Conv3D(c as never),
  MaxPooling3D: (c) => new MaxPooling3D(c),
  AveragePooling3D: (c) => new AveragePooling3D(c),
};

describe('known values from PyTorch (fixtures/volume_layers.py)', () => {
  fixture.cases.forEach((c, i) => {
    it(`${c.layer} ${JSON.stringify(c.config)} #${i}`, () => {
      const layer = MAKE[c.layer](c.config);
      const x = tensor(c.input.data, c.input.shape);
      layer.call(x);
      const named = new Map(layer.namedWeights());
      expect([...named.keys()]).toEqual(Object.keys(c.weights));
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

describe('3-D layers', () => {
  it('Conv3D: channels_first agrees with channels_last; gradients by finite differences', async () => {
    const a = new Conv3D({ filters: 2, kernelSize: [2, 2, 1], padding: 'same', strides: [2, 1, 1], seed: 1 });
    const b = new Conv3D({
      filters: 2,
      kernelSize: [2, 2, 1],
      padding: 'same',
      strides: [2, 1, 1],
      seed: 1,
      dataFormat: 'channels_first',
    });
    const x = seeded([1, 3, 3, 2, 2], 2);
    const ya = a.call(x) as Tensor;
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

  it('pooling gradients by finite differences', async () => {
    // Distinct values, so the maximum of every window is unique.
    const x = arange([1, 3, 4, 3, 1], 0.37, -2);
    await gradCheck((v) => new MaxPooling3D({ poolSize: 2, strides: 1, padding: 'same' }).call(v), [x]);
    await gradCheck(
      (v) => new AveragePooling3D({ poolSize: [2, 3, 2], padding: 'same' }).call(v),
      [seeded([1, 3, 4, 3, 2], 4)],
    );
  });

  it('global pooling, up-sampling, padding and cropping by hand', () => {
    const x = arange([1, 2, 2, 2, 2]);
    expect(flat(new GlobalAveragePooling3D().call(x))).toEqual([7, 8]);
    expect(flat(new GlobalMaxPooling3D({ dataFormat: 'channels_first', keepdims: true }).call(x))).toEqual([7, 15]);
    expect(new GlobalMaxPooling3D({ keepdims: true }).computeOutputShape([null, 2, 2, 2, 2])).toEqual([
      null,
      1,
      1,
      1,
      2,
    ]);
    const u = new UpSampling3D({ size: [2, 1, 3] }).call(arange([1, 2, 1, 2, 1]));
    expect(u.shape).toEqual([1, 4, 1, 6, 1]);
    expect(flat(u)).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 2, 2, 2, 3, 3, 3]);
    const p = new ZeroPadding3D([
      [1, 0],
      [0, 1],
      [0, 0],
    ]).call(tensor([5, 6], [1, 1, 1, 2, 1]));
    expect(p.shape).toEqual([1, 2, 2, 2, 1]);
    expect(flat(p)).toEqual([0, 0, 0, 0, 5, 6, 0, 0]);
    const c = new Cropping3D({
      cropping: [
        [1, 0],
        [1, 1],
        [0, 2],
      ],
    }).call(arange([1, 3, 3, 4, 1]));
    expect(c.shape).toEqual([1, 2, 1, 2, 1]);
    expect(flat(c)).toEqual([16, 17, 28, 29]);
  });

  it('errors name the layer and the shapes; nothing leaks', async () => {
    expect(() => new Conv3D({ filters: 2, kernelSize: 4, inputShape: [3, 5, 5, 1] })).toThrow(
      /input shape \(None, 3, 5, 5, 1\) is too small for kernelSize \[4, 4, 4\]/,
    );
    expect(() => new Conv3D({ filters: 3, kernelSize: 1, groups: 2 })).toThrow(
      /filters \(3\) must be divisible by groups \(2\)/,
    );
    expect(() => new Cropping3D({ cropping: 2, inputShape: [5, 5, 3, 1] })).toThrow(
      /cropping \[2, 2\] leaves nothing of axis 3 \(size 3\)/,
    );
    expect(() => new ZeroPadding3D({ padding: [1, 2] as never })).toThrow(
      /padding must be an integer >= 0, a list of three/,
    );
    expect(() => new MaxPooling3D({ pool_size: [2, 2] } as never)).toThrow(
      /poolSize must be a positive integer or a list of three/,
    );
    const l = new Conv3D({ filters: 2, kernelSize: 1, name: 'c3' });
    l.call(seeded([1, 2, 2, 2, 3]));
    const x = seeded([1, 2, 2, 2, 4]);
    const before = memory().numTensors;
    const e = await thrown(() => l.call(x));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(
      /c3 \(Conv3D\): expected volumes \[batch, dim1, dim2, dim3, 3\], got shape \[1,2,2,2,4\]/,
    );
    expect(memory().numTensors).toBe(before);
  });

  it('a 3-D model saves and loads with equal predictions', async () => {
    const m = new Sequential([
      new ZeroPadding3D({ padding: 1, inputShape: [4, 4, 4, 2] }),
      new Conv3D({ filters: 3, kernelSize: 3, activation: 'relu', seed: 1 }),
      new MaxPooling3D({ poolSize: 2 }),
      new UpSampling3D(2),
      new Cropping3D(1),
      new AveragePooling3D({ poolSize: 2, padding: 'same', dataFormat: 'channels_last' }),
      new GlobalAveragePooling3D(),
      new Dense({ units: 2, seed: 2 }),
    ]);
    const x = seeded([2, 4, 4, 4, 2], 3);
    await m.save(dir());
    const back = await loadModel(dir());
    expect(back.layers.map((l) => l.getConfig())).toEqual(m.layers.map((l) => l.getConfig()));
    expect(flat(back.predict(x))).toEqual(flat(m.predict(x)));
    const gm = new Sequential([
      new GlobalMaxPooling3D({ inputShape: [2, 2, 2, 3], keepdims: true }),
      new Flatten(),
      new Dense({ units: 1, seed: 3 }),
    ]);
    const again = await modelFromArtifacts(await modelToArtifacts(gm));
    expect(flat(again.predict(seeded([2, 2, 2, 2, 3])))).toEqual(flat(gm.predict(seeded([2, 2, 2, 2, 3]))));
  });
});
