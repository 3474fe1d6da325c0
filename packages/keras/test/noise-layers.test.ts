import { ArgumentError, ShapeError, type Tensor, randn, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  AlphaDropout,
  GaussianDropout,
  GaussianNoise,
  Sequential,
  SpatialDropout1D,
  SpatialDropout2D,
} from '../src/index';
import { flat, seeded, useCpu } from './helpers';

useCpu();

function stats(v: number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return { mean, std: Math.sqrt(variance) };
}

const full = (shape: number[], value: number): Tensor =>
  tensor(new Array(shape.reduce((a, b) => a * b, 1)).fill(value), shape);

describe('GaussianNoise', () => {
  it('adds N(0, stddev²) noise in training: mean 0, standard deviation stddev', () => {
    const y = flat(new GaussianNoise({ stddev: 0.5, seed: 3 }).call(full([200, 100], 2)));
    const s = stats(y);
    // Standard error of the mean over 20,000 draws: 0.5 / 141 ≈ 0.0035.
    expect(Math.abs(s.mean - 2)).toBeLessThan(0.015);
    expect(Math.abs(s.std - 0.5)).toBeLessThan(0.01);
  });

  it('is the identity in inference (and in predict) and at stddev 0', () => {
    const x = seeded([4, 3], 2);
    const g = new GaussianNoise(0.3);
    g.eval();
    expect(flat(g.call(x))).toEqual(flat(x));
    expect(flat(new GaussianNoise(0).call(x))).toEqual(flat(x));
    const m = new Sequential([new GaussianNoise({ stddev: 0.9, inputShape: [3] })]);
    expect(flat(m.predict(x))).toEqual(flat(x));
  });

  it('a seeded layer repeats its sequence of draws; each call draws anew', () => {
    const x = full([2, 5], 0);
    const a = new GaussianNoise({ stddev: 1, seed: 11 });
    const b = new GaussianNoise({ stddev: 1, seed: 11 });
    const first = flat(a.call(x));
    expect(flat(b.call(x))).toEqual(first);
    expect(flat(a.call(x))).not.toEqual(first);
  });

  it('checks stddev in [0, 1] as Keras 3, and names unknown options', () => {
    expect(() => new GaussianNoise({ stddev: 1.5, name: 'gn' })).toThrow(
      /gn \(GaussianNoise\): stddev must be in \[0, 1\], got 1.5/,
    );
    expect(() => new GaussianNoise({ stddev: 0.1, std: 1 } as never)).toThrow(/GaussianNoise: unknown option 'std'/);
    expect(() => new GaussianNoise({ stddev: 0.1, seed: 1.5 })).toThrow(/seed must be an integer/);
  });
});

describe('GaussianDropout', () => {
  it('multiplies by N(1, rate / (1 − rate)) noise in training', () => {
    const y = flat(new GaussianDropout({ rate: 0.2, seed: 4 }).call(full([200, 100], 2))).map((v) => v / 2);
    const s = stats(y);
    // sqrt(0.2 / 0.8) = 0.5.
    expect(Math.abs(s.mean - 1)).toBeLessThan(0.015);
    expect(Math.abs(s.std - 0.5)).toBeLessThan(0.01);
  });

  it('is the identity in inference; rate must be in [0, 1)', () => {
    const x = seeded([3, 3], 5);
    const d = new GaussianDropout(0.4);
    d.eval();
    expect(flat(d.call(x))).toEqual(flat(x));
    expect(() => new GaussianDropout(1)).toThrow(/rate must be in \[0, 1\), got 1/);
    expect(() => new GaussianDropout({ rate: -0.1 })).toThrow(ArgumentError);
  });
});

describe('AlphaDropout', () => {
  const SELU_ALPHA = 1.6732632423543772;
  const SELU_SCALE = 1.0507009873554805;

  it('keeps the mean and variance of unit-normal inputs (the self-normalising property)', () => {
    const x = randn([200, 200], { seed: 8 });
    const y = flat(new AlphaDropout({ rate: 0.2, seed: 9 }).call(x));
    const s = stats(y);
    expect(Math.abs(s.mean)).toBeLessThan(0.02);
    expect(Math.abs(s.std - 1)).toBeLessThan(0.02);
  });

  it("sets dropped inputs to SELU's saturation and applies a · x + b, as Keras' formula", () => {
    const p = 0.3;
    const alphaP = -SELU_ALPHA * SELU_SCALE;
    const a = 1 / Math.sqrt((1 - p) * (1 + p * alphaP * alphaP));
    const b = -a * alphaP * p;
    const xs = seeded([50, 40], 3, -2, 2);
    const y = flat(new AlphaDropout({ rate: p, seed: 1 }).call(xs));
    const x = flat(xs);
    let dropped = 0;
    y.forEach((v, i) => {
      if (Math.abs(v - (a * alphaP + b)) < 1e-5) dropped++;
      else expect(v).toBeCloseTo(a * x[i] + b, 5);
    });
    expect(dropped / y.length).toBeGreaterThan(0.26);
    expect(dropped / y.length).toBeLessThan(0.34);
  });

  it('noiseShape shares one draw along its 1 axes; identity in inference', () => {
    const x = seeded([400, 6], 4, 0.5, 1);
    const d = new AlphaDropout({ rate: 0.5, noiseShape: [null, 1], seed: 2 });
    const y = flat(d.call(x));
    const low = y.map((v) => v < 0);
    let droppedRows = 0;
    for (let r = 0; r < 400; r++) {
      const row = low.slice(r * 6, r * 6 + 6);
      // Positive inputs stay positive after a · x + b; a dropped one goes negative: a row is all one or the other.
      expect(new Set(row).size).toBe(1);
      if (row[0]) droppedRows++;
    }
    expect(droppedRows).toBeGreaterThan(150);
    expect(droppedRows).toBeLessThan(250);
    d.eval();
    expect(flat(d.call(x))).toEqual(flat(x));
    expect(() => new AlphaDropout({ rate: 0.5, noiseShape: [null, 3], name: 'ad' }).call(x)).toThrow(
      /ad \(AlphaDropout\): noiseShape \[null,3\] does not broadcast against the input of shape \[400,6\]/,
    );
    expect(() => new AlphaDropout({ rate: 0.1, noise_shape: [0] } as never)).toThrow(
      /noiseShape must be a list of positive integers or nulls/,
    );
  });
});

describe('SpatialDropout1D and SpatialDropout2D', () => {
  it('SpatialDropout1D drops whole channels of a sequence, scaling the rest by 1 / (1 − rate)', () => {
    const y = flat(new SpatialDropout1D({ rate: 0.3, seed: 5 }).call(full([100, 5, 20], 1)));
    let zeroMaps = 0;
    for (let b = 0; b < 100; b++)
      for (let c = 0; c < 20; c++) {
        const map = [0, 1, 2, 3, 4].map((t) => y[(b * 5 + t) * 20 + c]);
        expect(new Set(map).size).toBe(1);
        if (map[0] === 0) zeroMaps++;
        else expect(map[0]).toBeCloseTo(1 / 0.7, 5);
      }
    expect(zeroMaps / 2000).toBeGreaterThan(0.25);
    expect(zeroMaps / 2000).toBeLessThan(0.35);
  });

  it('SpatialDropout2D drops whole feature maps, channels last or first', () => {
    for (const dataFormat of ['channels_last', 'channels_first'] as const) {
      const shape = dataFormat === 'channels_last' ? [40, 3, 3, 25] : [40, 25, 3, 3];
      const y = new SpatialDropout2D({ rate: 0.5, dataFormat, seed: 6 }).call(full(shape, 1));
      const maps = dataFormat === 'channels_last' ? y.transpose([0, 3, 1, 2]) : y;
      const v = flat(maps);
      let zero = 0;
      for (let m = 0; m < 1000; m++) {
        const cells = v.slice(m * 9, m * 9 + 9);
        expect(new Set(cells).size).toBe(1);
        if (cells[0] === 0) zero++;
      }
      expect(zero).toBeGreaterThan(430);
      expect(zero).toBeLessThan(570);
    }
  });

  it('are the identity in inference; wrong ranks are ShapeErrors naming the layer', () => {
    const x = seeded([2, 3, 4], 1);
    const s = new SpatialDropout1D(0.5);
    s.eval();
    expect(flat(s.call(x))).toEqual(flat(x));
    expect(() => new SpatialDropout1D({ rate: 0.5, name: 'sd1' }).call(seeded([2, 3], 1))).toThrow(ShapeError);
    expect(() => new SpatialDropout2D({ rate: 0.5, name: 'sd2', inputShape: [4, 4] })).toThrow(
      /sd2 \(SpatialDropout2D\): expects images \[batch, height, width, channels\] of rank 4/,
    );
    expect(() => new SpatialDropout2D({ rate: 0.5, dataFormat: 'nhwc' as never })).toThrow(
      /dataFormat must be 'channels_last' or 'channels_first'/,
    );
    expect(() => new SpatialDropout1D(1)).toThrow(/rate must be in \[0, 1\)/);
  });
});

it('noise and spatial dropout layers pass a padding mask through', () => {
  const mask = tensor([[true, false]]);
  for (const l of [
    new GaussianNoise(0.1),
    new GaussianDropout(0.1),
    new AlphaDropout(0.1),
    new SpatialDropout1D(0.1),
  ]) {
    expect(l.callMasked(seeded([1, 2, 3], 1), mask).mask).toBe(mask);
  }
});
