import { join } from 'node:path';
import { type Tensor, randint, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  AlphaDropout,
  CategoryEncoding,
  CenterCrop,
  Cropping1D,
  Cropping2D,
  Dense,
  ELU,
  Flatten,
  GaussianDropout,
  GaussianNoise,
  GlobalAveragePooling2D,
  GlobalMaxPooling2D,
  type Layer,
  LeakyReLU,
  Normalization,
  PReLU,
  Permute,
  ReLU,
  RepeatVector,
  Rescaling,
  Sequential,
  Softmax,
  SpatialDropout1D,
  SpatialDropout2D,
  ThresholdedReLU,
  UpSampling1D,
  ZeroPadding1D,
  ZeroPadding2D,
  loadModel,
  modelFromArtifacts,
  modelToArtifacts,
} from '../src/index';
import { flat, seeded, useCpu, useTempDir } from './helpers';

useCpu();
const tempDir = useTempDir();

interface Case {
  make: () => Layer;
  /** The sample shape (no batch axis). */
  shape: number[];
  input?: () => Tensor;
}

const adapted = (): Layer => {
  const n = new Normalization({ axis: -1 });
  n.adapt(seeded([10, 4, 3], 5, -2, 6));
  return n;
};

const CASES: Record<string, Case> = {
  ReLU: { make: () => new ReLU({ maxValue: 0.8, negativeSlope: 0.1, threshold: 0.2 }), shape: [4, 3] },
  LeakyReLU: { make: () => new LeakyReLU({ negativeSlope: 0.2 }), shape: [4, 3] },
  PReLU: { make: () => new PReLU({ sharedAxes: [1], alphaInitializer: 'random_uniform' }), shape: [4, 3] },
  ELU: { make: () => new ELU({ alpha: 0.7 }), shape: [4, 3] },
  Softmax: { make: () => new Softmax({ axis: [1, 2] }), shape: [4, 3] },
  ThresholdedReLU: { make: () => new ThresholdedReLU({ theta: 0.3 }), shape: [4, 3] },
  GaussianNoise: { make: () => new GaussianNoise({ stddev: 0.2, seed: 1 }), shape: [4, 3] },
  GaussianDropout: { make: () => new GaussianDropout({ rate: 0.3 }), shape: [4, 3] },
  AlphaDropout: { make: () => new AlphaDropout({ rate: 0.2, noiseShape: [null, 1, null], seed: 3 }), shape: [4, 3] },
  SpatialDropout1D: { make: () => new SpatialDropout1D({ rate: 0.2, seed: 2 }), shape: [4, 3] },
  SpatialDropout2D: { make: () => new SpatialDropout2D({ rate: 0.4, dataFormat: 'channels_first' }), shape: [2, 3, 3] },
  Permute: { make: () => new Permute([2, 1]), shape: [4, 3] },
  RepeatVector: { make: () => new RepeatVector(2), shape: [3] },
  UpSampling1D: { make: () => new UpSampling1D(3), shape: [4, 3] },
  ZeroPadding1D: { make: () => new ZeroPadding1D([1, 2]), shape: [4, 3] },
  ZeroPadding2D: {
    make: () =>
      new ZeroPadding2D({
        padding: [
          [1, 0],
          [2, 1],
        ],
      }),
    shape: [3, 3, 2],
  },
  Cropping1D: { make: () => new Cropping1D([1, 2]), shape: [4, 3] },
  Cropping2D: {
    make: () =>
      new Cropping2D({
        cropping: [
          [1, 0],
          [0, 1],
        ],
        dataFormat: 'channels_first',
      }),
    shape: [2, 3, 3],
  },
  GlobalAveragePooling2D: { make: () => new GlobalAveragePooling2D({ keepdims: true }), shape: [3, 3, 2] },
  GlobalMaxPooling2D: { make: () => new GlobalMaxPooling2D({ dataFormat: 'channels_first' }), shape: [2, 3, 3] },
  Rescaling: { make: () => new Rescaling({ scale: [1, 2, 3], offset: 0.5 }), shape: [4, 3] },
  Normalization: { make: adapted, shape: [4, 3] },
  'Normalization (given)': {
    make: () => new Normalization({ axis: [1, 2], mean: [1, 2, 3], variance: [1, 4, 9], invert: true }),
    shape: [4, 3],
  },
  CategoryEncoding: {
    make: () => new CategoryEncoding({ numTokens: 5, outputMode: 'count' }),
    shape: [3],
    input: () => randint(0, 5, [6, 3], { seed: 4 }),
  },
  CenterCrop: { make: () => new CenterCrop({ height: 2, width: 1 }), shape: [3, 3, 2] },
};

describe('save and load of every simple layer', () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: config, weights and predictions survive a round trip`, async () => {
      const m = new Sequential([c.make(), new Flatten(), new Dense({ units: 2, seed: 9 })]);
      m.build([null, ...c.shape]);
      const x = c.input ? c.input() : seeded([6, ...c.shape], 2, -2, 2);
      const before = flat(m.predict(x));
      const loaded = await modelFromArtifacts(await modelToArtifacts(m));
      const [orig, back] = [m.layers[0], loaded.layers[0]];
      expect(back.className).toBe(orig.className);
      expect(back.getConfig()).toEqual(orig.getConfig());
      expect(back.namedWeights().map(([k, w]) => [k, flat(w)])).toEqual(
        orig.namedWeights().map(([k, w]) => [k, flat(w)]),
      );
      expect(flat(loaded.predict(x))).toEqual(before);
    });
  }

  it('a stack of them saved to a directory and loaded back predicts the same', async () => {
    const m = new Sequential([
      new Rescaling({ scale: 0.5, inputShape: [6, 6, 2] }),
      new ZeroPadding2D(1),
      new CenterCrop({ height: 6, width: 6 }),
      new Cropping2D(1),
      new SpatialDropout2D(0.1),
      new GlobalMaxPooling2D({ keepdims: true }),
      new Flatten(),
      new RepeatVector(3),
      new UpSampling1D(2),
      new ZeroPadding1D(1),
      new Cropping1D(1),
      new Permute([2, 1]),
      new PReLU({ alphaInitializer: 'random_normal' }),
      new ELU(),
      new LeakyReLU(),
      new ReLU({ maxValue: 3 }),
      new GaussianNoise(0.1),
      new Flatten(),
      new Dense({ units: 3, seed: 4 }),
      new Softmax(),
    ]);
    const x = seeded([3, 6, 6, 2], 8, 0, 4);
    const dir = join(tempDir(), 'stack');
    await m.save(dir);
    const loaded = await loadModel(dir);
    expect(loaded.layers.map((l) => l.getConfig())).toEqual(m.layers.map((l) => l.getConfig()));
    expect(flat(loaded.predict(x))).toEqual(flat(m.predict(x)));
    expect(loaded.predict(tensor(flat(x), [3, 6, 6, 2])).shape).toEqual([3, 3]);
  });
});
