import { grad } from '@tsdl/autograd';
import { gradCheck } from '@tsdl/test-utils';
import { ArgumentError, ShapeError, type Tensor, memory, ones, sum, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  ActivityRegularization,
  Dense,
  DepthwiseConv1D,
  Flatten,
  GroupNormalization,
  Identity,
  type Layer,
  Sequential,
  SpatialDropout3D,
  UnitNormalization,
  modelFromArtifacts,
  modelToArtifacts,
} from '../src/index';
import { expectValues, flat, seeded, thrown, useCpu } from './helpers';

useCpu();

describe('Identity', () => {
  it('returns its input and has no weights', () => {
    const x = seeded([2, 3]);
    const l = new Identity({ name: 'id' });
    expect(l.call(x)).toBe(x);
    expect(l.getConfig()).toEqual({ name: 'id', trainable: true });
    expect(() => new Identity({ units: 3 } as never)).toThrow(/Identity: unknown option 'units'/);
  });
});

describe('UnitNormalization', () => {
  it('makes unit L2 norms, leaves zeros zero and has a finite gradient there', async () => {
    const y = new UnitNormalization().call(tensor([3, 4, 0, 0], [2, 2]));
    expectValues(y, [0.6, 0.8, 0, 0]);
    const g = grad((x: Tensor) => sum(new UnitNormalization().call(x).mul(tensor([1, 2], [1, 2]))))(
      tensor([0, 0], [1, 2]),
    ) as Tensor;
    expect(flat(g).every(Number.isFinite)).toBe(true);
    await gradCheck((x) => new UnitNormalization({ axis: [1, 2] }).call(x), [seeded([2, 2, 3], 3)]);
  });

  it('refuses the batch axis, naming the layer and the shape', () => {
    const l = new UnitNormalization({ axis: 0, name: 'un' });
    expect(() => l.call(seeded([2, 3]))).toThrow(
      /un \(UnitNormalization\): axis 0 is not a feature axis of an input of shape \(None, 3\)/,
    );
    expect(() => new UnitNormalization({ axis: 'x' as never })).toThrow(ArgumentError);
  });
});

describe('GroupNormalization', () => {
  it('defaults as Keras (32 groups, epsilon 1e-3, gamma then beta per channel)', () => {
    const l = new GroupNormalization();
    expect(l.getConfig()).toMatchObject({
      groups: 32,
      axis: -1,
      epsilon: 1e-3,
      center: true,
      scale: true,
      betaInitializer: 'zeros',
      gammaInitializer: 'ones',
    });
    l.call(seeded([2, 4, 64]));
    expect(l.namedWeights().map(([n, w]) => [n, [...w.shape]])).toEqual([
      ['gamma', [64]],
      ['beta', [64]],
    ]);
  });

  it('groups = 1 over [batch, features] is layer normalisation', () => {
    const x = tensor([1, 2, 3, 4, -1, 0, 0, 5], [2, 4]);
    const y = new GroupNormalization({ groups: 1, epsilon: 0 }).call(x);
    const norm = (r: number[]) => {
      const m = r.reduce((a, b) => a + b) / r.length;
      const s = Math.sqrt(r.reduce((a, b) => a + (b - m) ** 2, 0) / r.length);
      return r.map((v) => (v - m) / s);
    };
    expectValues(y, [...norm([1, 2, 3, 4]), ...norm([-1, 0, 0, 5])]);
  });

  it('gradients by finite differences (input, gamma, beta)', async () => {
    const l = new GroupNormalization({ groups: 2 });
    const x = seeded([2, 3, 4], 4, -2, 2);
    l.call(x);
    await gradCheck(
      (a: Tensor, g: Tensor, b: Tensor) => {
        const [sg, sb] = [l.gamma, l.beta];
        l.gamma = g;
        l.beta = b;
        try {
          return l.call(a);
        } finally {
          l.gamma = sg;
          l.beta = sb;
        }
      },
      [x, seeded([4], 5, 0.5, 1.5), seeded([4], 6)],
    );
  });

  it('errors name the layer, the groups and the shape; nothing leaks', async () => {
    expect(() => new GroupNormalization({ groups: 4, inputShape: [3, 6] })).toThrow(
      /groups \(4\) must divide the number of channels \(6\) of input shape \(None, 3, 6\)/,
    );
    expect(() => new GroupNormalization({ groups: 8, inputShape: [6] })).toThrow(
      /groups \(8\) cannot exceed the number of channels \(6\)/,
    );
    expect(() => new GroupNormalization({ groups: 0 })).toThrow(/groups must be a positive integer or -1/);
    const l = new GroupNormalization({ groups: 2, name: 'gn' });
    l.call(seeded([2, 4]));
    const x = seeded([2, 6]);
    const before = memory().numTensors;
    const e = await thrown(() => l.call(x));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(
      /gn \(GroupNormalization\): was built for 4 channels on axis -1, got input of shape \[2,6\]/,
    );
    expect(memory().numTensors).toBe(before);
  });
});

describe('ActivityRegularization', () => {
  it('is the identity forward; its gradient adds l1·sign(x) + 2·l2·x', () => {
    const l = new ActivityRegularization({ l1: 0.1, l2: 0.5 });
    const x = tensor([1, -2, 0.5], [1, 3]);
    expectValues(l.call(x), [1, -2, 0.5]);
    expectValues(l.penalty(x), [0.1 * 3.5 + 0.5 * 5.25]);
    // d/dx Σ(w·y) + penalty = w + l1·sign(x) + 2·l2·x.
    const g = grad((t: Tensor) => sum(l.call(t).mul(tensor([1, 2, 3], [1, 3]))))(x) as Tensor;
    expectValues(g, [1 + 0.1 + 1, 2 - 0.1 - 2, 3 + 0.1 + 0.5]);
  });

  it('its gradient is that of loss + penalty by finite differences', async () => {
    const l = new ActivityRegularization({ l1: 0.3, l2: 0.2 });
    const w = seeded([2, 3], 9);
    // gradCheck differentiates Σ f(x)·c; the penalty is added by hand on the numeric side through f.
    const viaLayer = grad((x: Tensor) => sum(l.call(x).mul(w)))(seeded([2, 3], 2, 0.1, 1)) as Tensor;
    await gradCheck((x: Tensor) => sum(x.mul(w)).add(l.penalty(x)), [seeded([2, 3], 2, 0.1, 1)]);
    const byHand = grad((x: Tensor) => sum(x.mul(w)).add(l.penalty(x)))(seeded([2, 3], 2, 0.1, 1)) as Tensor;
    expectValues(viaLayer, flat(byHand));
  });

  it('trains: a Dense after it learns smaller activations than without it', async () => {
    const run = async (reg: boolean): Promise<number> => {
      const m = new Sequential([
        new Dense({ units: 4, seed: 1, inputShape: [3] }),
        ...(reg ? [new ActivityRegularization({ l2: 1 })] : []),
        new Dense({ units: 1, seed: 2 }),
      ]);
      m.compile({ optimizer: 'sgd', loss: 'mse' });
      const x = seeded([16, 3], 3);
      const y = seeded([16, 1], 4);
      await m.fit(x, y, { epochs: 20, batchSize: 16, verbose: 0 });
      const h = (m.layers[0] as Layer).call(x) as Tensor;
      return flat(h).reduce((a, b) => a + b * b, 0);
    };
    expect(await run(true)).toBeLessThan(0.5 * (await run(false)));
  });

  it('refuses negative factors', () => {
    expect(() => new ActivityRegularization({ l1: -1 })).toThrow(/l1 must be a finite number >= 0/);
  });
});

describe('SpatialDropout3D', () => {
  it('drops whole channels of a volume in training, scaling the rest; identity in inference', () => {
    const l = new SpatialDropout3D({ rate: 0.5, seed: 3 });
    const x = ones([4, 2, 2, 3, 8]);
    l.eval();
    expect(l.call(x)).toBe(x);
    l.train();
    const y = flat(l.call(x));
    let dropped = 0;
    for (let b = 0; b < 4; b++) {
      for (let c = 0; c < 8; c++) {
        const vals = new Set<number>();
        for (let i = 0; i < 12; i++) vals.add(y[(b * 12 + i) * 8 + c]);
        expect(vals.size).toBe(1);
        const [v] = vals;
        expect([0, 2]).toContain(v);
        if (v === 0) dropped++;
      }
    }
    // 32 Bernoulli(0.5) draws.
    expect(dropped).toBeGreaterThan(5);
    expect(dropped).toBeLessThan(27);
    expect(() => l.call(ones([2, 3, 3, 3]))).toThrow(
      /SpatialDropout3D\): expects volumes \[batch, dim1, dim2, dim3, channels\] of rank 5/,
    );
  });
});

describe('DepthwiseConv1D', () => {
  it('defaults and weights as Keras', () => {
    const l = new DepthwiseConv1D({ kernelSize: 3, depthMultiplier: 2, seed: 1 });
    l.call(seeded([2, 6, 3]));
    expect(l.namedWeights().map(([n, w]) => [n, [...w.shape]])).toEqual([
      ['depthwise_kernel', [3, 3, 2]],
      ['bias', [6]],
    ]);
    expect(l.computeOutputShape([null, 6, 3])).toEqual([null, 4, 6]);
    expect(
      new DepthwiseConv1D({ kernelSize: 2, padding: 'same', strides: 2 }).computeOutputShape([null, 7, 3]),
    ).toEqual([null, 4, 3]);
  });

  it('gradients by finite differences (input, kernel, bias)', async () => {
    const l = new DepthwiseConv1D({ kernelSize: 2, depthMultiplier: 2, padding: 'same', dilationRate: 2, seed: 2 });
    l.call(seeded([1, 5, 2]));
    await gradCheck(
      (x: Tensor, k: Tensor, b: Tensor) => {
        const [sk, sb] = [l.depthwiseKernel, l.bias];
        l.depthwiseKernel = k;
        l.bias = b;
        try {
          return l.call(x);
        } finally {
          l.depthwiseKernel = sk;
          l.bias = sb;
        }
      },
      [seeded([1, 5, 2], 3), l.depthwiseKernel, l.bias as Tensor],
    );
  });

  it('errors name the layer and the shapes; nothing leaks', async () => {
    expect(() => new DepthwiseConv1D({ kernelSize: 5, inputShape: [3, 2] })).toThrow(
      /input shape \(None, 3, 2\) is too small for kernelSize 5/,
    );
    expect(() => new DepthwiseConv1D({ kernelSize: 2, padding: 'causal' as never })).toThrow(
      /padding must be 'valid' or 'same'/,
    );
    const l = new DepthwiseConv1D({ kernelSize: 2, name: 'dw' });
    l.call(seeded([1, 4, 3]));
    const x = seeded([1, 4, 2]);
    const before = memory().numTensors;
    const e = await thrown(() => l.call(x));
    expect(e.message).toMatch(/dw \(DepthwiseConv1D\): expected sequences \[batch, steps, 3\], got shape \[1,4,2\]/);
    expect(memory().numTensors).toBe(before);
  });
});

describe('save and load', () => {
  const CASES: Record<string, { make: () => Layer; shape: number[] }> = {
    Identity: { make: () => new Identity(), shape: [4, 3] },
    UnitNormalization: { make: () => new UnitNormalization({ axis: [1, 2] }), shape: [4, 3] },
    GroupNormalization: {
      make: () =>
        new GroupNormalization({
          groups: 3,
          epsilon: 1e-4,
          gammaInitializer: 'random_uniform',
          betaInitializer: 'random_normal',
        }),
      shape: [4, 6],
    },
    ActivityRegularization: { make: () => new ActivityRegularization({ l1: 0.01, l2: 0.02 }), shape: [4, 3] },
    SpatialDropout3D: {
      make: () => new SpatialDropout3D({ rate: 0.3, dataFormat: 'channels_first', seed: 5 }),
      shape: [2, 2, 2, 2],
    },
    DepthwiseConv1D: {
      make: () =>
        new DepthwiseConv1D({
          kernelSize: 2,
          depthMultiplier: 2,
          padding: 'same',
          activation: 'relu',
          biasInitializer: 'random_uniform',
          seed: 6,
        }),
      shape: [4, 3],
    },
  };
  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: config, weights and predictions survive a round trip`, async () => {
      const m = new Sequential([c.make(), new Flatten(), new Dense({ units: 2, seed: 9 })]);
      m.build([null, ...c.shape]);
      const x = seeded([5, ...c.shape], 2, -2, 2);
      const before = flat(m.predict(x));
      const loaded = await modelFromArtifacts(await modelToArtifacts(m));
      const [orig, back] = [m.layers[0], loaded.layers[0]];
      expect(back.className).toBe(name);
      expect(back.getConfig()).toEqual(orig.getConfig());
      expect(back.namedWeights().map(([k, w]) => [k, flat(w)])).toEqual(
        orig.namedWeights().map(([k, w]) => [k, flat(w)]),
      );
      expect(flat(loaded.predict(x))).toEqual(before);
    });
  }
});
