import { ArgumentError, ShapeError, type Tensor, tensor, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Activation,
  AveragePooling2D,
  BatchNormalization,
  Conv2D,
  Dense,
  Dropout,
  Embedding,
  Flatten,
  MaxPooling2D,
  Reshape,
} from '../src/index';
import { arange, expectValues, flat, seeded, thrown, useCpu } from './helpers';

useCpu();

/** Replaces a weight's values in place (weights are kept leaves; assign swaps storage). */
function setValues(w: Tensor, values: number[]): void {
  tidy(() => {
    w.assign(tensor(values, w.shape));
  });
}

/**
 * A float64 reference 2-D convolution (NHWC input, [kH, kW, in, out] kernel)
 * with TensorFlow's padding rule: 'same' gives ceil(in / stride) outputs and
 * puts the odd padding cell after (bottom / right).
 */
function refConv2d(
  x: number[],
  [n, h, w, c]: number[],
  k: number[],
  [kh, kw, , f]: number[],
  stride: number,
  padding: 'valid' | 'same',
  dil = 1,
): { out: number[]; shape: number[] } {
  const span = (kSize: number) => (kSize - 1) * dil + 1;
  const geo = (size: number, kSize: number): [number, number] => {
    if (padding === 'valid') return [Math.floor((size - span(kSize)) / stride) + 1, 0];
    const o = Math.ceil(size / stride);
    const total = Math.max((o - 1) * stride + span(kSize) - size, 0);
    return [o, Math.floor(total / 2)];
  };
  const [oh, pt] = geo(h, kh);
  const [ow, pl] = geo(w, kw);
  const out: number[] = [];
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let o = 0; o < f; o++) {
          let s = 0;
          for (let di = 0; di < kh; di++)
            for (let dj = 0; dj < kw; dj++) {
              const yi = i * stride + di * dil - pt;
              const xj = j * stride + dj * dil - pl;
              if (yi < 0 || yi >= h || xj < 0 || xj >= w) continue;
              for (let ci = 0; ci < c; ci++)
                s += x[((b * h + yi) * w + xj) * c + ci] * k[((di * kw + dj) * c + ci) * f + o];
            }
          out.push(s);
        }
  return { out, shape: [n, oh, ow, f] };
}

describe('Dense', () => {
  it('computes activation(x · kernel + bias) with the [in, units] kernel layout', () => {
    const d = new Dense({ units: 2, inputShape: [3] });
    expect(d.kernel.shape).toEqual([3, 2]);
    setValues(d.kernel, [1, 2, 3, 4, 5, 6]);
    setValues(d.bias as Tensor, [0.5, -1]);
    // [1, 0, -1]·K = [1 − 5, 2 − 6] = [−4, −4]; [2, 1, 0]·K = [2 + 3, 4 + 4] = [5, 8]; plus the bias.
    const y = d.call(
      tensor([
        [1, 0, -1],
        [2, 1, 0],
      ]),
    );
    expect(y.shape).toEqual([2, 2]);
    expectValues(y, [-3.5, -5, 5.5, 7]);
    expect(d.computeOutputShape([null, 3])).toEqual([null, 2]);

    const r = new Dense({ units: 2, activation: 'relu', inputShape: [3] });
    setValues(r.kernel, [1, 2, 3, 4, 5, 6]);
    setValues(r.bias as Tensor, [0.5, -1]);
    expectValues(
      r.call(
        tensor([
          [1, 0, -1],
          [2, 1, 0],
        ]),
      ),
      [0, 0, 5.5, 7],
    );
  });

  it('applies to the last axis of higher-rank inputs and builds lazily from the first input', () => {
    const d = new Dense({ units: 1, useBias: false });
    expect(d.built).toBe(false);
    const y = d.call(arange([2, 2, 3]));
    expect(d.built).toBe(true);
    expect(d.bias).toBeNull();
    expect(y.shape).toEqual([2, 2, 1]);
    setValues(d.kernel, [1, -1, 2]);
    // Rows [0,1,2], [3,4,5], [6,7,8], [9,10,11]: x0 − x1 + 2·x2.
    expectValues(d.call(arange([2, 2, 3])), [3, 9, 15, 21]);
    expect(d.computeOutputShape([null, 4, 3])).toEqual([null, 4, 1]);
  });

  it('has Keras defaults: glorot_uniform kernel, zero bias, use_bias true, linear activation', () => {
    const d = new Dense({ units: 300, inputShape: [200], seed: 3 });
    const cfg = d.getConfig();
    expect(cfg).toMatchObject({
      units: 300,
      activation: 'linear',
      useBias: true,
      kernelInitializer: 'glorot_uniform',
      biasInitializer: 'zeros',
      trainable: true,
    });
    const w = flat(d.kernel);
    // Glorot uniform: U(−l, l) with l = sqrt(6 / (fan_in + fan_out)), variance l² / 3.
    const limit = Math.sqrt(6 / (200 + 300));
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.99 * limit);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const variance = w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length;
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(variance / (limit ** 2 / 3)).toBeGreaterThan(0.97);
    expect(variance / (limit ** 2 / 3)).toBeLessThan(1.03);
    expect(flat(d.bias as Tensor).every((v) => v === 0)).toBe(true);
  });

  it('is reproducible with a seed and different without one', () => {
    const a = new Dense({ units: 4, inputShape: [3], seed: 11 });
    const b = new Dense({ units: 4, inputShape: [3], seed: 11 });
    const c = new Dense({ units: 4, inputShape: [3], seed: 12 });
    expect(flat(a.kernel)).toEqual(flat(b.kernel));
    expect(flat(a.kernel)).not.toEqual(flat(c.kernel));
  });

  it('accepts Keras snake_case config names as well as camelCase', () => {
    const snake = new Dense({
      units: 2,
      use_bias: false,
      kernel_initializer: 'ones',
      input_shape: [3],
      activation: 'relu',
    } as never);
    expect(snake.built).toBe(true);
    expect(snake.bias).toBeNull();
    expect(flat(snake.kernel)).toEqual([1, 1, 1, 1, 1, 1]);
    const camel = new Dense({ units: 2, useBias: false, kernelInitializer: 'ones', inputShape: [3] });
    expect(camel.bias).toBeNull();
    expect(flat(camel.kernel)).toEqual([1, 1, 1, 1, 1, 1]);
    // Initializer and activation names in either spelling.
    const mixed = new Dense({
      units: 2,
      kernelInitializer: 'glorotUniform',
      biasInitializer: 'Ones',
      activation: 'leakyRelu',
      inputShape: [2],
    });
    expect(mixed.getConfig()).toMatchObject({ kernelInitializer: 'glorotUniform', activation: 'leaky_relu' });
    expect(flat(mixed.bias as Tensor)).toEqual([1, 1]);
  });

  it('rejects bad arguments and inputs with errors naming the layer and the shapes', async () => {
    expect(() => new Dense({ units: 0 })).toThrow(ArgumentError);
    expect(() => new Dense({ units: 2, activation: 'nope' })).toThrow(/unknown activation 'nope'/);
    expect(() => new Dense({ units: 2, kernelInitializer: 'nope' })).toThrow(/unknown initializer 'nope'/);
    const d = new Dense({ units: 2, inputShape: [3], name: 'probe' });
    const e = await thrown(() => d.call(tensor([[1, 2]])));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/probe \(Dense\).*last dimension is 3.*\[1,2\]/);
  });
});

describe('Flatten, Reshape, Activation', () => {
  it('Flatten keeps the batch axis and the values in row-major order', () => {
    const f = new Flatten();
    const y = f.call(arange([2, 3, 2, 2]));
    expect(y.shape).toEqual([2, 12]);
    expect(flat(y)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(f.computeOutputShape([null, 3, 2, 2])).toEqual([null, 12]);
    expect(f.computeOutputShape([null, 3, null])).toEqual([null, null]);
  });

  it('Reshape reshapes each sample, with one −1 inferred', () => {
    const r = new Reshape({ targetShape: [3, 2] });
    const y = r.call(arange([2, 6]));
    expect(y.shape).toEqual([2, 3, 2]);
    expect(flat(y)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(r.computeOutputShape([null, 6])).toEqual([null, 3, 2]);
    const inferred = new Reshape([-1, 2]);
    expect(inferred.call(arange([2, 6])).shape).toEqual([2, 3, 2]);
    expect(inferred.computeOutputShape([null, 2, 3])).toEqual([null, 3, 2]);
    expect(new Reshape({ target_shape: [2, 3] } as never).targetShape).toEqual([2, 3]);
    expect(() => new Reshape({ targetShape: [4, 2], name: 'rs' }).computeOutputShape([null, 6])).toThrow(
      /rs \(Reshape\): cannot reshape samples of 6 values into \[4,2\]/,
    );
  });

  it('Activation applies Keras activations elementwise (softmax over the last axis)', () => {
    const xs = [-2, -0.5, 0.5, 1, 3];
    const x = tensor(xs, [1, 5]);
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    // Exact (erf) GELU, Keras' default (approximate=False): values from x·Φ(x).
    const gelu = [
      -0.04550026389635842, -0.15426876936299344, 0.34573123063700656, 0.8413447460685429, 2.99595030590511,
    ];
    const cases: [string, number[]][] = [
      ['linear', xs],
      ['relu', xs.map((v) => Math.max(v, 0))],
      ['sigmoid', xs.map(sig)],
      ['tanh', xs.map(Math.tanh)],
      ['elu', xs.map((v) => (v > 0 ? v : Math.exp(v) - 1))],
      ['softplus', xs.map((v) => Math.log1p(Math.exp(v)))],
      ['leaky_relu', xs.map((v) => (v > 0 ? v : 0.2 * v))],
      ['swish', xs.map((v) => v * sig(v))],
      ['silu', xs.map((v) => v * sig(v))],
      ['gelu', gelu],
      ['softmax', xs.map((v) => Math.exp(v) / xs.reduce((a, b) => a + Math.exp(b), 0))],
      ['log_softmax', xs.map((v) => v - Math.log(xs.reduce((a, b) => a + Math.exp(b), 0)))],
    ];
    for (const [name, expected] of cases) {
      const y = new Activation(name).call(x);
      expect(y.shape).toEqual([1, 5]);
      expectValues(y, expected, { atol: 1e-6, rtol: 1e-5 }, name);
    }
    expect(new Activation({ activation: 'logSoftmax' }).activation).toBe('log_softmax');
    expect(() => new Activation('bogus')).toThrow(ArgumentError);
  });
});

describe('Dropout', () => {
  it('drops about `rate` of the values in training and scales the rest by 1 / (1 − rate)', () => {
    const d = new Dropout({ rate: 0.25, seed: 5 });
    const x = tensor(new Array(4000).fill(2), [40, 100]);
    const y = flat(d.call(x));
    const zeros = y.filter((v) => v === 0).length;
    expect(zeros / y.length).toBeGreaterThan(0.22);
    expect(zeros / y.length).toBeLessThan(0.28);
    for (const v of y) if (v !== 0) expect(v).toBeCloseTo(2 / 0.75, 5);
    // A seeded layer repeats its sequence of masks; each call draws a new mask.
    const again = new Dropout({ rate: 0.25, seed: 5 });
    expect(flat(again.call(x))).toEqual(y);
    expect(flat(again.call(x))).not.toEqual(y);
  });

  it('is the identity in inference mode and at rate 0', () => {
    const x = seeded([3, 4], 2);
    const d = new Dropout(0.5);
    d.eval();
    expect(flat(d.call(x))).toEqual(flat(x));
    expect(flat(new Dropout(0).call(x))).toEqual(flat(x));
    expect(() => new Dropout(1)).toThrow(/rate must be in \[0, 1\)/);
  });
});

describe('Conv2D', () => {
  const image = () => arange([1, 3, 3, 1], 1, 1); // [[1,2,3],[4,5,6],[7,8,9]]

  it("'valid' padding with a known 2×2 kernel", () => {
    const c = new Conv2D({ filters: 1, kernelSize: 2, inputShape: [3, 3, 1] });
    expect(c.kernel.shape).toEqual([2, 2, 1, 1]);
    setValues(c.kernel, [1, 2, 3, 4]);
    // out[i][j] = x[i][j] + 2·x[i][j+1] + 3·x[i+1][j] + 4·x[i+1][j+1]
    const y = c.call(image());
    expect(y.shape).toEqual([1, 2, 2, 1]);
    expectValues(y, [37, 47, 67, 77]);
    expect(c.computeOutputShape([null, 3, 3, 1])).toEqual([null, 2, 2, 1]);
  });

  it("'same' padding puts the odd padding cell at the bottom and right, as TensorFlow", () => {
    const c = new Conv2D({ filters: 1, kernelSize: [2, 2], padding: 'same', inputShape: [3, 3, 1] });
    setValues(c.kernel, [1, 2, 3, 4]);
    setValues(c.bias as Tensor, [0.5]);
    const y = c.call(image());
    expect(y.shape).toEqual([1, 3, 3, 1]);
    expectValues(
      y,
      [37, 47, 21, 67, 77, 33, 23, 26, 9].map((v) => v + 0.5),
    );
  });

  it('matches a float64 reference with channels, filters, strides and dilation', () => {
    const xShape = [2, 7, 6, 3];
    const kShape = [3, 2, 3, 4];
    const x = seeded(xShape, 21);
    const cases: { strides: number; padding: 'valid' | 'same'; dil: number }[] = [
      { strides: 1, padding: 'valid', dil: 1 },
      { strides: 2, padding: 'same', dil: 1 },
      { strides: 2, padding: 'valid', dil: 1 },
      { strides: 1, padding: 'same', dil: 2 },
    ];
    for (const { strides, padding, dil } of cases) {
      const c = new Conv2D({
        filters: 4,
        kernelSize: [3, 2],
        strides,
        padding,
        dilationRate: dil,
        useBias: false,
        inputShape: [7, 6, 3],
      });
      const k = flat(seeded(kShape, 22));
      setValues(c.kernel, k);
      const ref = refConv2d(flat(x), xShape, k, kShape, strides, padding, dil);
      const y = c.call(x);
      expect(y.shape, `${padding} stride ${strides} dilation ${dil}`).toEqual(ref.shape);
      expect(c.computeOutputShape([null, 7, 6, 3])).toEqual([null, ...ref.shape.slice(1)]);
      expectValues(y, ref.out, { atol: 1e-5, rtol: 1e-4 }, `${padding} stride ${strides} dilation ${dil}`);
    }
  });

  it('has Keras defaults and accepts snake_case names', () => {
    const c = new Conv2D({ filters: 8, kernel_size: 3, input_shape: [5, 5, 4], seed: 1 } as never);
    expect(c.kernelSize).toEqual([3, 3]);
    expect(c.getConfig()).toMatchObject({
      strides: [1, 1],
      padding: 'valid',
      dilationRate: [1, 1],
      useBias: true,
      activation: 'linear',
      kernelInitializer: 'glorot_uniform',
    });
    // Glorot fans of a conv kernel: receptive field × in and × out channels.
    const limit = Math.sqrt(6 / (9 * 4 + 9 * 8));
    const w = flat(c.kernel).map(Math.abs);
    expect(Math.max(...w)).toBeLessThanOrEqual(limit);
    expect(Math.max(...w)).toBeGreaterThan(0.9 * limit);
    expect(flat(c.bias as Tensor)).toEqual(new Array(8).fill(0));
    expect(() => new Conv2D({ filters: 2, kernelSize: 3, padding: 'full' as never })).toThrow(
      /padding must be 'valid' or 'same'/,
    );
    expect(() => new Conv2D({ filters: 2, kernelSize: 3 }).call(tensor([[1, 2]]))).toThrow(
      /expects images .* of rank 4/,
    );
  });
});

describe('pooling', () => {
  it('MaxPooling2D and AveragePooling2D over 2×2 windows (stride defaults to the pool size)', () => {
    const x = arange([1, 4, 4, 1]);
    const mp = new MaxPooling2D();
    const y = mp.call(x);
    expect(y.shape).toEqual([1, 2, 2, 1]);
    expectValues(y, [5, 7, 13, 15]);
    expect(mp.strides).toEqual([2, 2]);
    expectValues(new AveragePooling2D({ poolSize: 2 }).call(x), [2.5, 4.5, 10.5, 12.5]);
    expect(mp.computeOutputShape([null, 5, 5, 3])).toEqual([null, 2, 2, 3]);
  });

  it("'same' padding: padding cells are never the max and not counted in the mean", () => {
    const x = arange([1, 3, 3, 1], 1, 1);
    const mp = new MaxPooling2D({ pool_size: 2, padding: 'same' } as never);
    expect(mp.computeOutputShape([null, 3, 3, 1])).toEqual([null, 2, 2, 1]);
    expectValues(mp.call(x), [5, 6, 8, 9]);
    // Windows [1,2,4,5], [3,6], [7,8], [9].
    expectValues(new AveragePooling2D({ poolSize: 2, padding: 'same' }).call(x), [3, 4.5, 7.5, 9]);
  });

  it('pools each channel separately, with explicit strides', () => {
    // Two channels: c0 = i, c1 = −i over a 1×4 row; windows of 2 with stride 1.
    const x = tensor([0, 0, 1, -1, 2, -2, 3, -3], [1, 1, 4, 2]);
    const y = new MaxPooling2D({ poolSize: [1, 2], strides: 1 }).call(x);
    expect(y.shape).toEqual([1, 1, 3, 2]);
    expectValues(y, [1, 0, 2, -1, 3, -2]);
  });
});

describe('BatchNormalization', () => {
  // Two features over a batch of 4: means 2.5 and 5, biased variances 1.25 and 5.
  const batch = () =>
    tensor([
      [1, 2],
      [2, 4],
      [3, 6],
      [4, 8],
    ]);

  it('normalises with the batch statistics in training and updates the moving ones with momentum 0.99', () => {
    const bn = new BatchNormalization();
    expect(bn.momentum).toBe(0.99);
    expect(bn.epsilon).toBe(1e-3);
    const y = bn.call(batch());
    expect(y.shape).toEqual([4, 2]);
    const expected = [
      [1, 2],
      [2, 4],
      [3, 6],
      [4, 8],
    ].flatMap(([a, b]) => [(a - 2.5) / Math.sqrt(1.25 + 1e-3), (b - 5) / Math.sqrt(5 + 1e-3)]);
    expectValues(y, expected);
    // moving = 0.99 · moving + 0.01 · batch, from mean 0 and variance 1.
    expectValues(bn.movingMean, [0.025, 0.05]);
    expectValues(bn.movingVariance, [0.99 + 0.0125, 0.99 + 0.05]);
  });

  it('uses the moving statistics, gamma and beta in inference', () => {
    const bn = new BatchNormalization({ inputShape: [2] });
    setValues(bn.gamma as Tensor, [2, 0.5]);
    setValues(bn.beta as Tensor, [1, -1]);
    bn.call(batch()); // one training step: moving mean [0.025, 0.05], variance [1.0025, 1.04]
    bn.eval();
    const x = tensor([
      [1, 1],
      [-1, 3],
    ]);
    const mm = [0.025, 0.05];
    const mv = [1.0025, 1.04];
    const g = [2, 0.5];
    const b = [1, -1];
    const expected = [
      [1, 1],
      [-1, 3],
    ].flatMap((row) => row.map((v, j) => ((v - mm[j]) / Math.sqrt(mv[j] + 1e-3)) * g[j] + b[j]));
    expectValues(bn.call(x), expected);
    // Inference leaves the moving statistics alone.
    expectValues(bn.movingMean, mm);
  });

  it('normalises the channel axis of images, counting weights as trainable (gamma, beta) and not (moving stats)', () => {
    const bn = new BatchNormalization({ momentum: 0.9, epsilon: 1e-5 });
    const x = seeded([3, 2, 2, 2], 4);
    const v = flat(x);
    bn.call(x);
    const ch = [0, 1].map((c) => v.filter((_, i) => i % 2 === c));
    const means = ch.map((a) => a.reduce((s, t) => s + t, 0) / a.length);
    const vars = ch.map((a, c) => a.reduce((s, t) => s + (t - means[c]) ** 2, 0) / a.length);
    expectValues(
      bn.movingMean,
      means.map((m) => 0.1 * m),
    );
    expectValues(
      bn.movingVariance,
      vars.map((s) => 0.9 + 0.1 * s),
    );
    expect(bn.namedWeights().map(([n, w]) => [n, w.requiresGrad])).toEqual([
      ['gamma', true],
      ['beta', true],
      ['moving_mean', false],
      ['moving_variance', false],
    ]);
    expect(
      new BatchNormalization({ center: false, scale: false, inputShape: [3] }).namedWeights().map(([n]) => n),
    ).toEqual(['moving_mean', 'moving_variance']);
  });
});

describe('Embedding', () => {
  it('looks up rows for int32 (or float) indices and appends outputDim to the shape', () => {
    const e = new Embedding({ inputDim: 5, outputDim: 3, inputShape: [2] });
    setValues(
      e.embeddings,
      Array.from({ length: 15 }, (_, i) => i),
    );
    const y = e.call(
      tensor(
        [
          [0, 4],
          [2, 2],
        ],
        [2, 2],
        'int32',
      ),
    );
    expect(y.shape).toEqual([2, 2, 3]);
    expect(flat(y)).toEqual([0, 1, 2, 12, 13, 14, 6, 7, 8, 6, 7, 8]);
    expect(flat(e.call(tensor([[1, 3]])))).toEqual([3, 4, 5, 9, 10, 11]);
    expect(e.computeOutputShape([null, 2])).toEqual([null, 2, 3]);
  });

  it("defaults to Keras' uniform(−0.05, 0.05) embeddings and accepts snake_case names", () => {
    const e = new Embedding({ input_dim: 50, output_dim: 20, input_shape: [4] } as never);
    expect(e.embeddings.shape).toEqual([50, 20]);
    const w = flat(e.embeddings);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(0.05);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.045);
    expect(e.getConfig()).toMatchObject({ inputDim: 50, outputDim: 20, embeddingsInitializer: 'random_uniform' });
    expect(() => new Embedding({ inputDim: 0, outputDim: 2 })).toThrow(/inputDim must be a positive integer/);
  });
});

describe('layer names', () => {
  it('are Keras-style snake_case class names, numbered when repeated', () => {
    const a = new MaxPooling2D();
    const b = new MaxPooling2D();
    expect(a.name).toMatch(/^max_pooling2d(_\d+)?$/);
    expect(b.name).not.toBe(a.name);
    expect(new BatchNormalization({ name: 'bn' }).name).toBe('bn');
  });
});
