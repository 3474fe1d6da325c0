import { gradCheck } from '@tsdl/test-utils';
import { ArgumentError, DTypeError, ShapeError, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Conv2D,
  Flatten,
  Resizing,
  Sequential,
  UpSampling2D,
  modelFromArtifacts,
  modelToArtifacts,
} from '../src/index';
import { arange, expectValues, flat, seeded, useCpu } from './helpers';

useCpu();

describe('UpSampling2D', () => {
  it('nearest repeats rows and columns (Keras 3 docstring example)', () => {
    // Keras: x = arange(12).reshape(2, 2, 1, 3); UpSampling2D(size=(1, 2))(x).
    const y = new UpSampling2D({ size: [1, 2] }).call(arange([2, 2, 1, 3]));
    expect(y.shape).toEqual([2, 2, 2, 3]);
    expectValues(y, [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5, 6, 7, 8, 6, 7, 8, 9, 10, 11, 9, 10, 11]);
    expectValues(
      new UpSampling2D().call(tensor([1, 2, 3, 4], [1, 2, 2, 1])),
      [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4],
    );
  });

  it('bilinear uses half-pixel centres (Keras 3, tf.image.resize), edges clamped', () => {
    // Sources of 4 outputs from 2 inputs: (i + 0.5) / 2 − 0.5 = −0.25, 0.25, 0.75, 1.25 → clamped to [0, 1].
    const y = new UpSampling2D({ size: [1, 2], interpolation: 'bilinear' }).call(tensor([0, 1], [1, 1, 2, 1]));
    expectValues(y, [0, 0.25, 0.75, 1]);
    expect(new UpSampling2D({ interpolation: 'BILINEAR' as never }).interpolation).toBe('bilinear');
  });

  it('gradients match finite differences (nearest and bilinear)', async () => {
    const x = seeded([1, 2, 3, 2], 1);
    await gradCheck((t) => new UpSampling2D({ size: [2, 3] }).call(t), [x]);
    await gradCheck((t) => new UpSampling2D({ size: [3, 2], interpolation: 'bilinear' }).call(t), [x]);
  });

  it('options, config round trip and errors', () => {
    const layer = new UpSampling2D({ size: 3, interpolation: 'bilinear', name: 'up' });
    const c = layer.getConfig();
    expect(c).toMatchObject({ name: 'up', size: [3, 3], interpolation: 'bilinear' });
    expect(new UpSampling2D(c as never).getConfig()).toEqual(c);
    expect(new UpSampling2D().getConfig()).toMatchObject({ size: [2, 2], interpolation: 'nearest' });
    expect(layer.computeOutputShape([null, 4, null, 5])).toEqual([null, 12, null, 5]);
    expect(() => new UpSampling2D({ sizes: 2 } as never)).toThrow(/UpSampling2D: unknown option 'sizes'/);
    expect(() => new UpSampling2D({ interpolation: 'bicubic' as never, name: 'u' })).toThrow(
      /u \(UpSampling2D\): interpolation must be 'nearest' or 'bilinear', got 'bicubic' \('bicubic' is a Keras option tsdl does not compute yet\)/,
    );
    expect(() => new UpSampling2D({ size: [2, 0] })).toThrow(/size must be a positive integer or a pair of them/);
    expect(() => new UpSampling2D({ name: 'u3' }).call(seeded([2, 3, 4], 1))).toThrow(
      /u3 \(UpSampling2D\): expects images .* of rank 4/,
    );
  });
});

describe('Resizing', () => {
  it('resizing to the same size is the identity; the defaults are those of Keras 3', () => {
    const x = seeded([2, 3, 5, 2], 1);
    expectValues(new Resizing({ height: 3, width: 5 }).call(x), flat(x), { atol: 1e-6, rtol: 0 });
    expectValues(new Resizing({ height: 3, width: 5, interpolation: 'nearest' }).call(x), flat(x), {
      atol: 0,
      rtol: 0,
    });
    expect(new Resizing({ height: 2, width: 2, name: 'r' }).getConfig()).toEqual({
      name: 'r',
      trainable: true,
      height: 2,
      width: 2,
      interpolation: 'bilinear',
      cropToAspectRatio: false,
      padToAspectRatio: false,
      fillMode: 'constant',
      fillValue: 0,
    });
  });

  it('nearest picks floor((i + 0.5) · in / out) (half-pixel, as tf.image.resize); bilinear halves average pairs', () => {
    const x = tensor([0, 1, 2, 3, 4, 5], [1, 1, 6, 1]);
    // in / out = 2: sources floor((i + 0.5) · 2) = 1, 3, 5.
    expectValues(new Resizing({ height: 1, width: 3, interpolation: 'nearest' }).call(x), [1, 3, 5]);
    // Bilinear at 2:1: source 2i + 0.5, halfway between a pair.
    expectValues(new Resizing({ height: 1, width: 3 }).call(x), [0.5, 2.5, 4.5]);
  });

  it('cropToAspectRatio takes the centred window; padToAspectRatio pads with fillValue', () => {
    const x = arange([1, 2, 6, 1]);
    // Target 2×2 from 2×6: crop 2×2 starting at column 2 → columns 2, 3.
    expectValues(new Resizing({ height: 2, width: 2, cropToAspectRatio: true }).call(x), [2, 3, 8, 9]);
    // Target 6×6 from 2×6: padded to 6 rows, 2 above and 2 below, then unchanged.
    const padded = new Resizing({ height: 6, width: 6, padToAspectRatio: true, fillValue: -1 }).call(x);
    const rows = Array.from({ length: 6 }, (_, r) => flat(padded).slice(6 * r, 6 * r + 6));
    expect(rows[0]).toEqual([-1, -1, -1, -1, -1, -1]);
    expect(rows[1]).toEqual([-1, -1, -1, -1, -1, -1]);
    expect(rows[2]).toEqual([0, 1, 2, 3, 4, 5]);
    expect(rows[3]).toEqual([6, 7, 8, 9, 10, 11]);
    expect(rows[5]).toEqual([-1, -1, -1, -1, -1, -1]);
  });

  it('gradients match finite differences (bilinear, with a crop)', async () => {
    await gradCheck((t) => new Resizing({ height: 3, width: 5 }).call(t), [seeded([1, 2, 3, 2], 2)]);
    await gradCheck(
      (t) => new Resizing({ height: 2, width: 3, cropToAspectRatio: true }).call(t),
      [seeded([1, 3, 5, 1], 3)],
    );
  });

  it('errors name the layer: options, rank, dtype', () => {
    expect(() => new Resizing({ height: 2 } as never)).toThrow(
      /Resizing\): width must be a positive integer, got undefined/,
    );
    expect(() => new Resizing({ height: 2, width: 2, crop_to_aspect: true } as never)).toThrow(
      /Resizing: unknown option 'cropToAspect'/,
    );
    expect(() => new Resizing({ height: 2, width: 2, interpolation: 'lanczos3' as never })).toThrow(
      /'lanczos3' is a Keras option tsdl does not compute yet/,
    );
    expect(() => new Resizing({ height: 2, width: 2, interpolation: 'cubic' as never })).toThrow(
      /interpolation must be 'bilinear' or 'nearest', got 'cubic'$/,
    );
    expect(
      () => new Resizing({ height: 2, width: 2, cropToAspectRatio: true, padToAspectRatio: true, name: 'rz' }),
    ).toThrow(/rz \(Resizing\): only one of cropToAspectRatio and padToAspectRatio can be true/);
    expect(() => new Resizing({ height: 2, width: 2, fillMode: 'reflect' as never })).toThrow(
      /fillMode must be 'constant'/,
    );
    expect(() => new Resizing({ height: 2, width: 2, fillValue: Number.NaN })).toThrow(
      /fillValue must be a finite number/,
    );
    expect(() => new Resizing({ height: 2, width: 2, fillValue: '0' as never })).toThrow(ArgumentError);
    const layer = new Resizing({ height: 2, width: 2, name: 'rz2' });
    const n = memory().numTensors;
    expect(() => layer.call(seeded([3, 4, 2], 1))).toThrow(ShapeError);
    expect(() => layer.call(tensor([1, 2, 3, 4], [1, 2, 2, 1], 'int32'))).toThrow(DTypeError);
    expect(() => layer.call(tensor([1, 2, 3, 4], [1, 2, 2, 1], 'int32'))).toThrow(
      /rz2 \(Resizing\): expected float32 images, got int32/,
    );
    expect(memory().numTensors).toBe(n + 3);
  });
});

describe('resizing layers in a model', () => {
  it('trains (loss falls), saves and loads with equal predictions and configs', async () => {
    const m = new Sequential([
      new Resizing({ height: 6, width: 6, cropToAspectRatio: true, inputShape: [5, 7, 1] }),
      new Conv2D({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh', seed: 1 }),
      new UpSampling2D({ interpolation: 'bilinear' }),
      new Flatten(),
    ]);
    expect(m.outputShape).toEqual([null, 72]);
    m.compile({ optimizer: 'adam', loss: 'mse' });
    const x = seeded([6, 5, 7, 1], 11);
    const y = seeded([6, 72], 12, -0.5, 0.5);
    const h = await m.fit(x, y, { epochs: 5, batchSize: 3, verbose: 0, shuffle: false });
    expect(h.history.loss[4]).toBeLessThan(h.history.loss[0]);
    const loaded = await modelFromArtifacts(await modelToArtifacts(m));
    expect(loaded.layers.map((l) => l.getConfig())).toEqual(m.layers.map((l) => l.getConfig()));
    expect(flat(loaded.predict(x))).toEqual(flat(m.predict(x)));
  });
});
