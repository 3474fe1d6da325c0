import { gradCheck } from '@tsdl/test-utils';
import { ArgumentError, DTypeError, ShapeError, type Tensor, memory, resizeBilinear, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Dense,
  Flatten,
  type Layer,
  RandomBrightness,
  RandomContrast,
  RandomCrop,
  RandomFlip,
  RandomHeight,
  RandomRotation,
  RandomTranslation,
  RandomWidth,
  RandomZoom,
  Sequential,
  modelFromArtifacts,
  modelToArtifacts,
} from '../src/index';
import { type FillMode, affineTransform } from '../src/layers/preprocessing/affine-sampler';
import { arange, expectValues, flat, seeded, thrown, useCpu } from './helpers';

useCpu();

/** The rows of a [B, 1, W, 1] result. */
const rowsOf = (t: Tensor): number[][] => {
  const v = flat(t);
  const W = t.shape[2];
  return Array.from({ length: t.shape[0] }, (_, b) => v.slice(b * W, (b + 1) * W));
};

describe("the affine sampler (TensorFlow's projective transform)", () => {
  const row = (): Tensor => tensor([0, 1, 2, 3], [1, 1, 4, 1]);
  const shift = (
    dx: number,
    fillMode: FillMode,
    interpolation: 'nearest' | 'bilinear' = 'nearest',
    fillValue = 9,
  ): number[] => flat(affineTransform(row(), [1, 0, -dx, 0, 1, 0, 0, 0], { interpolation, fillMode, fillValue }));

  it('fill modes on integer shifts (reflect, wrap, constant, nearest)', () => {
    expect([shift(1, 'reflect'), shift(1, 'wrap'), shift(1, 'constant'), shift(1, 'nearest')]).toEqual([
      [0, 0, 1, 2],
      [3, 0, 1, 2],
      [9, 0, 1, 2],
      [0, 0, 1, 2],
    ]);
    expect([shift(-2, 'reflect'), shift(-2, 'wrap'), shift(-2, 'constant'), shift(-2, 'nearest')]).toEqual([
      [2, 3, 3, 2],
      [2, 3, 0, 1],
      [2, 3, 9, 9],
      [2, 3, 3, 3],
    ]);
    for (const mode of ['reflect', 'wrap', 'constant', 'nearest'] as const)
      expect(shift(0, mode, 'bilinear')).toEqual([0, 1, 2, 3]);
  });

  it('bilinear weights, and the fill value read by the corners outside', () => {
    expectValues(shift(0.5, 'reflect', 'bilinear'), [0, 0.5, 1.5, 2.5]);
    expectValues(shift(0.5, 'constant', 'bilinear', 4), [2, 0.5, 1.5, 2.5]);
    expectValues(shift(-0.25, 'constant', 'bilinear', 4), [0.25, 1.25, 2.25, 3.25]);
  });

  it("has the image's gradient (finite differences)", async () => {
    const t = [Math.cos(0.3), -Math.sin(0.3), 0.4, Math.sin(0.3), Math.cos(0.3), -0.2, 0, 0];
    await gradCheck(
      (x) => affineTransform(x, [...t, ...t], { interpolation: 'bilinear', fillMode: 'constant', fillValue: 0.5 }),
      [seeded([2, 3, 4, 2], 3)],
    );
  });
});

describe('random image layers: training transforms', () => {
  it('RandomFlip flips about half the images, both axes at once in the default mode', () => {
    const l = new RandomFlip({ seed: 1 });
    const x = arange([400, 2, 2, 1]);
    const y = flat(l.call(x));
    let flipped = 0;
    for (let b = 0; b < 400; b++) {
      const o = y.slice(4 * b, 4 * b + 4).map((v) => v - 4 * b);
      expect([
        [0, 1, 2, 3],
        [3, 2, 1, 0],
      ]).toContainEqual(o);
      if (o[0] === 3) flipped++;
    }
    expect(flipped).toBeGreaterThan(160);
    expect(flipped).toBeLessThan(240);
    const h = rowsOf(new RandomFlip({ mode: 'horizontal', seed: 2 }).call(arange([50, 1, 3, 1])));
    h.forEach((r, b) =>
      expect([
        [0, 1, 2],
        [2, 1, 0],
      ]).toContainEqual(r.map((v) => v - 3 * b)),
    );
  });

  it('RandomTranslation shifts each image by whole pixels within the factor (nearest, constant fill)', () => {
    const W = 50;
    const x = arange([200, 1, W, 1])
      .mul(0)
      .add(arange([1, 1, W, 1]));
    const l = new RandomTranslation({
      heightFactor: 0,
      widthFactor: 0.2,
      fillMode: 'constant',
      fillValue: -1,
      interpolation: 'nearest',
      seed: 3,
    });
    const shifts = rowsOf(l.call(x)).map((r) => {
      const s = r.findIndex((v) => v === 0) >= 0 ? r.findIndex((v) => v === 0) : -r[0];
      r.forEach((v, i) => expect(v).toBe(i - s >= 0 && i - s < W ? i - s : -1));
      return s;
    });
    expect(Math.max(...shifts.map(Math.abs))).toBeLessThanOrEqual(10);
    expect(new Set(shifts).size).toBeGreaterThan(10);
    expect(Math.abs(shifts.reduce((a, b) => a + b, 0) / shifts.length)).toBeLessThan(1.5);
  });

  it('RandomRotation by half a turn flips both axes; the centre pixel never moves', () => {
    const x = arange([1, 3, 3, 1]);
    const half = new RandomRotation({ factor: [0.5, 0.5], interpolation: 'nearest' });
    expect(flat(half.call(x))).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expectValues(new RandomRotation({ factor: [0.5, 0.5] }).call(x), [8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const y = flat(new RandomRotation({ factor: 0.3, seed: 4 }).call(arange([20, 3, 3, 1])));
    for (let b = 0; b < 20; b++) expect(y[9 * b + 4]).toBeCloseTo(9 * b + 4, 4);
  });

  it('RandomZoom by a factor of 2 reads every other pixel about the centre', () => {
    const l = new RandomZoom({ heightFactor: [0, 0], widthFactor: [1, 1], fillMode: 'constant', fillValue: -1 });
    expect(flat(l.call(tensor([10, 11, 12, 13, 14], [1, 1, 5, 1])))).toEqual([-1, 10, 12, 14, -1]);
  });

  it("RandomContrast keeps each image's mean and scales deviations by a factor in range", () => {
    const x = seeded([30, 4, 4, 1], 5, 100, 150);
    const y = flat(new RandomContrast({ factor: 0.3, seed: 6 }).call(x));
    const xs = flat(x);
    for (let b = 0; b < 30; b++) {
      const xi = xs.slice(16 * b, 16 * b + 16);
      const yi = y.slice(16 * b, 16 * b + 16);
      const m = xi.reduce((p, q) => p + q) / 16;
      expect(yi.reduce((p, q) => p + q) / 16).toBeCloseTo(m, 2);
      const c = (yi[0] - m) / (xi[0] - m);
      expect(c).toBeGreaterThanOrEqual(0.7 - 1e-3);
      expect(c).toBeLessThanOrEqual(1.3 + 1e-3);
      xi.forEach((v, i) => expect(yi[i]).toBeCloseTo((v - m) * c + m, 2));
    }
  });

  it('RandomBrightness adds one delta per image within factor · range, clipped', () => {
    const x = seeded([30, 2, 2, 3], 7, 0.3, 0.7);
    const y = flat(new RandomBrightness({ factor: 0.2, valueRange: [0, 1], seed: 8 }).call(x));
    const xs = flat(x);
    for (let b = 0; b < 30; b++) {
      const d = y[12 * b] - xs[12 * b];
      expect(Math.abs(d)).toBeLessThanOrEqual(0.2 + 1e-6);
      for (let i = 1; i < 12; i++) expect(y[12 * b + i] - xs[12 * b + i]).toBeCloseTo(d, 5);
    }
    expect(flat(new RandomBrightness({ factor: [1, 1] }).call(tensor([0, 100, 200], [1, 1, 3, 1])))).toEqual([
      255, 255, 255,
    ]);
  });

  it('RandomCrop takes a random window per batch; smaller inputs and inference get smart_resize', () => {
    const x = arange([2, 6, 5, 1]);
    const seen = new Set<string>();
    const l = new RandomCrop({ height: 3, width: 2, seed: 9 });
    for (let k = 0; k < 30; k++) {
      const y = flat(l.call(x));
      const top = Math.floor(y[0] / 5);
      const left = y[0] % 5;
      expect(y).toEqual(
        [0, 1].flatMap((b) => [0, 1, 2].flatMap((i) => [0, 1].map((j) => 30 * b + 5 * (top + i) + left + j))),
      );
      seen.add(`${top},${left}`);
    }
    expect(seen.size).toBeGreaterThan(5);
    l.eval();
    // Inference: the central 6×4 window of the 3:2 target, resized.
    const expected = resizeBilinear(x.slice([0, 0, 0, 0], [2, 6, 4, 1]), [3, 2], { halfPixelCenters: true });
    expect(flat(l.call(x))).toEqual(flat(expected));
  });

  it('RandomWidth and RandomHeight resize the batch to one random size in range', () => {
    const x = seeded([2, 8, 10, 3]);
    const widths = new Set<number>();
    const l = new RandomWidth({ factor: 0.5, seed: 10 });
    for (let k = 0; k < 20; k++) {
      const y = l.call(x);
      expect(y.shape[0]).toBe(2);
      expect(y.shape[1]).toBe(8);
      expect(y.shape[2]).toBeGreaterThanOrEqual(5);
      expect(y.shape[2]).toBeLessThanOrEqual(15);
      expect(flat(y)).toEqual(flat(resizeBilinear(x, [8, y.shape[2]], { halfPixelCenters: true })));
      widths.add(y.shape[2]);
    }
    expect(widths.size).toBeGreaterThan(3);
    const h = new RandomHeight({ factor: [0.5, 0.5], interpolation: 'nearest' }).call(x);
    expect(h.shape).toEqual([2, 12, 10, 3]);
    expect(new RandomHeight(0.2).computeOutputShape([null, 8, 10, 3])).toEqual([null, null, 10, 3]);
  });
});

describe('random image layers: inference, seeds, formats', () => {
  const LAYERS: Record<string, () => Layer> = {
    RandomFlip: () => new RandomFlip({ seed: 1 }),
    RandomTranslation: () => new RandomTranslation({ heightFactor: 0.2, widthFactor: [-0.1, 0.3], seed: 2 }),
    RandomRotation: () => new RandomRotation({ factor: 0.2, fillMode: 'nearest', seed: 3 }),
    RandomZoom: () => new RandomZoom({ heightFactor: [-0.3, 0.2], widthFactor: 0.1, fillMode: 'wrap', seed: 4 }),
    RandomContrast: () => new RandomContrast({ factor: [0.2, 0.5], seed: 5 }),
    RandomBrightness: () => new RandomBrightness({ factor: 0.4, seed: 6 }),
    RandomWidth: () => new RandomWidth({ factor: 0.3, seed: 7 }),
    RandomHeight: () => new RandomHeight({ factor: 0.3, seed: 8 }),
  };
  for (const [name, make] of Object.entries(LAYERS)) {
    it(`${name}: the identity in inference; seeded draws repeat; channels_first and one image agree`, () => {
      const x = seeded([3, 5, 6, 2], 11, 0, 255);
      const l = make();
      l.eval();
      expect(l.call(x)).toBe(x);
      const [a, b] = [make(), make()];
      const ya = a.call(x) as Tensor;
      expect(flat(b.call(x) as Tensor)).toEqual(flat(ya));
      // Each call draws anew (a size from a narrow range may repeat once).
      const next = [0, 1, 2, 3].map(() => flat(a.call(x) as Tensor));
      expect(next.some((y) => y.length !== flat(ya).length || y.some((v, i) => v !== flat(ya)[i]))).toBe(true);
      const cf = (make() as unknown as { constructor: new (c: object) => Layer }).constructor;
      const first = new cf({ ...make().getConfig(), name: undefined, dataFormat: 'channels_first' });
      expect(flat((first.call(x.transpose([0, 3, 1, 2])) as Tensor).transpose([0, 2, 3, 1]))).toEqual(flat(ya));
      const one = make();
      expect((one.call(x.slice([0, 0, 0, 0], [1, 5, 6, 2]).reshape([5, 6, 2])) as Tensor).rank).toBe(3);
    });
  }

  it('in a model: active in fit, the identity in predict; save and load keep the configs', async () => {
    const aug = [
      new RandomFlip({ seed: 1 }),
      new RandomRotation({ factor: 0.1, seed: 2 }),
      new RandomZoom({ heightFactor: 0.1, seed: 3 }),
      new RandomTranslation({ heightFactor: 0.1, widthFactor: 0.1, seed: 4 }),
      new RandomContrast({ factor: 0.1, seed: 5 }),
      new RandomBrightness({ factor: 0.1, seed: 6 }),
      new RandomCrop({ height: 4, width: 4, seed: 7 }),
    ];
    const m = new Sequential([...aug, new Flatten(), new Dense({ units: 2, seed: 8 })]);
    m.build([null, 6, 6, 1]);
    const x = seeded([4, 6, 6, 1], 9, 0, 255);
    const plain = new Sequential([
      new RandomCrop({ height: 4, width: 4 }),
      new Flatten(),
      new Dense({ units: 2, seed: 8 }),
    ]);
    plain.build([null, 6, 6, 1]);
    expect(flat(m.predict(x))).toEqual(flat(plain.predict(x)));
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const h = await m.fit(x, seeded([4, 2], 10), { epochs: 2, batchSize: 2, verbose: 0 });
    expect(h.history.loss.every(Number.isFinite)).toBe(true);
    const back = await modelFromArtifacts(await modelToArtifacts(m));
    expect(back.layers.map((l) => l.getConfig())).toEqual(m.layers.map((l) => l.getConfig()));
    expect(flat(back.predict(x))).toEqual(flat(m.predict(x)));
  });

  it('errors name the layer, the option or the shape; nothing leaks', async () => {
    expect(() => new RandomTranslation({ heightFactor: 1.5, widthFactor: 0 })).toThrow(
      /random_translation.*heightFactor 1.5 must lie within \[-1, 1\]/,
    );
    expect(() => new RandomTranslation({ heightFactor: [0.3, 0.1], widthFactor: 0 })).toThrow(/lower 0.3 > upper 0.1/);
    expect(() => new RandomZoom({ heightFactor: [-1.5, 0] })).toThrow(/must lie within \[-1, Infinity\]/);
    expect(() => new RandomRotation({ factor: 0.1, fillMode: 'mirror' as never })).toThrow(
      /fillMode must be one of 'reflect', 'wrap', 'constant', 'nearest'/,
    );
    expect(() => new RandomContrast({ factor: [1.5, 2] })).toThrow(/lower bound 1.5 must be at most 1/);
    expect(() => new RandomFlip({ mode: 'diagonal' as never })).toThrow(/mode must be/);
    expect(() => new RandomBrightness({ factor: 0.1, value_range: [1, 0] } as never)).toThrow(
      /valueRange must be a pair/,
    );
    expect(() => new RandomWidth({ factor: 0.1, interpolation: 'bicubic' as never })).toThrow(
      /tsdl does not compute yet/,
    );
    expect(() => new RandomCrop({ height: 2, widht: 2 } as never)).toThrow(
      /unknown option 'widht'; did you mean 'width'/,
    );
    const l = new RandomRotation({ factor: 0.1, name: 'rot' });
    const [flatX, intX] = [seeded([2, 3]), tensor([1, 2, 3, 4], [1, 2, 2, 1], 'int32')];
    for (const [x, cls, re] of [
      [
        flatX,
        ShapeError,
        /rot \(RandomRotation\): expects images \[batch, height, width, channels\].*got shape \[2,3\]/,
      ],
      [intX, DTypeError, /rot \(RandomRotation\): expects float32 images, got int32/],
    ] as const) {
      const before = memory().numTensors;
      const e = await thrown(() => l.call(x));
      expect(e).toBeInstanceOf(cls);
      expect(e.message).toMatch(re);
      expect(memory().numTensors).toBe(before);
    }
    expect(() => new RandomFlip().call(null as never)).toThrow(ArgumentError);
  });
});
