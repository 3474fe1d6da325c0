/**
 * SpectralNormalization against a numpy replay of Keras 3's power iteration
 * (fixtures/spectral_normalization.py), inference untouched, gradients, config and
 * save/load round trips, errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gradCheck } from '@tsdl/test-utils';
import { ArgumentError, type Tensor, memory, tensor, zeros } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Conv2D,
  Dense,
  Dropout,
  Embedding,
  Sequential,
  SpectralNormalization,
  modelFromArtifacts,
  modelToArtifacts,
} from '../src/index';
import { layerFromConfig } from '../src/layers/registry';
import { expectValues, flat, seeded, thrown, useCpu } from './helpers';

useCpu();

interface Arr {
  shape: number[];
  data: number[];
}
const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'spectral-normalization.json'), 'utf8')) as {
  cases: {
    kernel: Arr;
    u0: Arr;
    powerIterations: number;
    x?: Arr;
    steps: { kernel: Arr; u: Arr; output?: Arr }[];
    sigmaMax: number;
  }[];
};
const t = (a: Arr): Tensor => tensor(a.data, a.shape);
const TOL = { atol: 1e-5, rtol: 1e-4 };

describe('SpectralNormalization: known values (numpy, fixtures/spectral_normalization.py)', () => {
  fixture.cases.forEach((c, i) => {
    it(`kernel [${c.kernel.shape.join(', ')}], powerIterations ${c.powerIterations}, ${c.steps.length} training calls #${i}`, () => {
      const conv = c.kernel.shape.length === 4;
      const inner = conv
        ? new Conv2D({ filters: c.kernel.shape[3], kernelSize: 2, useBias: false })
        : new Dense({ units: c.kernel.shape[1], useBias: false });
      const sn = new SpectralNormalization(inner, { powerIterations: c.powerIterations });
      const x = conv ? seeded([1, 3, 3, c.kernel.shape[2]]) : t(c.x as Arr);
      sn.call(x);
      expect(sn.namedWeights().map(([n, w]) => [n, [...w.shape]])).toEqual([
        ['vector_u', c.u0.shape],
        [`${inner.name}/kernel`, c.kernel.shape],
      ]);
      expect(sn.nonTrainableWeights).toEqual([sn.vectorU]);
      (inner as Dense).kernel.assign(t(c.kernel));
      (sn.vectorU as Tensor).assign(t(c.u0));
      sn.train();
      for (const s of c.steps) {
        const y = sn.call(x) as Tensor;
        expectValues((inner as Dense).kernel, s.kernel.data, TOL, 'kernel');
        expectValues(sn.vectorU as Tensor, s.u.data, TOL, 'vector_u');
        if (s.output) expectValues(y, s.output.data, TOL, 'output');
      }
      expect(c.sigmaMax).toBeLessThan(1.04);
      // Inference leaves the kernel alone.
      sn.eval();
      const before = flat((inner as Dense).kernel);
      sn.call(x);
      expect(flat((inner as Dense).kernel)).toEqual(before);
    });
  });

  it('an all-zero kernel is left as it is (no division by sigma = 0)', () => {
    const inner = new Dense({ units: 2, kernelInitializer: 'zeros' });
    const sn = new SpectralNormalization(inner);
    sn.train();
    const y = sn.call(seeded([2, 3])) as Tensor;
    expect(flat(inner.kernel)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(flat(y)).toEqual([0, 0, 0, 0]);
    expect(flat(sn.vectorU as Tensor).every(Number.isFinite)).toBe(true);
  });

  it('wraps an Embedding (its embeddings)', () => {
    const e = new Embedding({ inputDim: 5, outputDim: 3, seed: 1 });
    const sn = new SpectralNormalization(e);
    sn.train();
    const y = sn.call(tensor([1, 4], [2], 'int32')) as Tensor;
    expect(y.shape).toEqual([2, 3]);
    expect(sn.namedWeights().map(([n]) => n)).toEqual(['vector_u', `${e.name}/embeddings`]);
  });
});

describe('SpectralNormalization', () => {
  it('gradients through the wrapped layer match finite differences (the normalized kernel as a constant, as Keras)', async () => {
    const inner = new Dense({ units: 2, activation: 'tanh', biasInitializer: 'random_uniform', seed: 3 });
    const sn = new SpectralNormalization(inner);
    const x0 = seeded([2, 3], 4);
    sn.train();
    sn.call(x0);
    sn.eval();
    await gradCheck(
      (x: Tensor, k: Tensor, b: Tensor) => {
        const saved = [inner.kernel, inner.bias];
        [inner.kernel, inner.bias] = [k, b];
        try {
          return sn.call(x) as Tensor;
        } finally {
          [inner.kernel, inner.bias] = saved as [Tensor, Tensor];
        }
      },
      [x0, inner.kernel, inner.bias as Tensor],
    );
  });

  it('getConfig round-trips (through the registry); a saved model predicts the same', async () => {
    const sn = new SpectralNormalization({ layer: new Dense({ units: 3 }), power_iterations: 2, name: 'sn' } as never);
    const c = sn.getConfig();
    expect(c).toMatchObject({
      name: 'sn',
      powerIterations: 2,
      layer: { className: 'Dense', config: expect.objectContaining({ units: 3 }) },
    });
    expect(layerFromConfig({ className: 'SpectralNormalization', config: c }).getConfig()).toEqual(c);
    const m = new Sequential([
      new SpectralNormalization(new Dense({ units: 3, seed: 1, inputShape: [4] })),
      new Dense({ units: 2, seed: 2 }),
    ]);
    const x = seeded([2, 4], 5);
    m.layers[0].train();
    m.layers[0].call(x);
    m.layers[0].eval();
    const back = await modelFromArtifacts(await modelToArtifacts(m));
    expect(back.layers.map((l) => l.getConfig())).toEqual(m.layers.map((l) => l.getConfig()));
    expect(flat(back.predict(x) as Tensor)).toEqual(flat(m.predict(x) as Tensor));
    expect(flat((back.layers[0] as SpectralNormalization).vectorU as Tensor)).toEqual(
      flat((m.layers[0] as SpectralNormalization).vectorU as Tensor),
    );
  });

  it('errors name the layer and the option; memory unchanged', async () => {
    expect(
      (await thrown(() => new SpectralNormalization(new Dense({ units: 2 }), { powerIterations: 0 }))).message,
    ).toMatch(/SpectralNormalization: powerIterations must be a positive integer, got 0/);
    expect((await thrown(() => new SpectralNormalization({ layer: 3 } as never))).message).toMatch(
      /SpectralNormalization: layer must be a Layer, got 3/,
    );
    expect(
      await thrown(() => new SpectralNormalization({ layer: new Dense({ units: 2 }), iterations: 2 } as never)),
    ).toBeInstanceOf(ArgumentError);
    const sn = new SpectralNormalization(new Dropout({ rate: 0.5 }));
    const x = zeros([2, 3]);
    const n = memory().numTensors;
    expect(() => sn.call(x)).toThrow(
      /SpectralNormalization\): the wrapped Dropout has no 'kernel' nor 'embeddings' weight to normalize/,
    );
    expect(memory().numTensors).toBe(n);
  });
});
