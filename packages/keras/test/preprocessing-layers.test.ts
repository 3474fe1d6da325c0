import { ArgumentError, DTypeError, ShapeError, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { CategoryEncoding, CenterCrop, Dense, Normalization, Rescaling, Sequential } from '../src/index';
import { arange, expectValues, flat, seeded, thrown, useCpu } from './helpers';

useCpu();

/** NumPy's mean and var (population) over every axis but the last, in float64. */
function channelStats(v: number[], channels: number): { mean: number[]; variance: number[] } {
  const n = v.length / channels;
  const mean = new Array<number>(channels).fill(0);
  const variance = new Array<number>(channels).fill(0);
  v.forEach((x, i) => (mean[i % channels] += x / n));
  v.forEach((x, i) => (variance[i % channels] += (x - mean[i % channels]) ** 2 / n));
  return { mean, variance };
}

describe('Rescaling', () => {
  it('maps image bytes to [0, 1] or [−1, 1] in float32', () => {
    const x = tensor([0, 255, 51], [1, 3], 'int32');
    const y = new Rescaling({ scale: 1 / 255 }).call(x);
    expect(y.dtype).toBe('float32');
    expectValues(y, [0, 1, 0.2]);
    expectValues(new Rescaling({ scale: 1 / 127.5, offset: -1 }).call(x), [-1, 1, 51 / 127.5 - 1]);
  });

  it('takes a scale and offset per channel, broadcast over the last axis', () => {
    const x = arange([1, 2, 2, 3], 1, 1);
    const y = new Rescaling({ scale: [1, 2, 3], offset: [0, 0, -1] }).call(x);
    expectValues(
      y,
      flat(x).map((v, i) => v * [1, 2, 3][i % 3] + [0, 0, -1][i % 3]),
    );
  });

  it('bad scales are errors naming the layer and the shapes', () => {
    expect(() => new Rescaling({ scale: 'x' as never, name: 'rs' })).toThrow(
      /rs \(Rescaling\): scale must be a finite number or a rectangular \(nested\) list of finite numbers, got 'x'/,
    );
    expect(() => new Rescaling({} as never)).toThrow(/scale must be a finite number/);
    expect(() => new Rescaling({ scale: [1, 2], name: 'rs2' }).call(arange([1, 3]))).toThrow(
      /rs2 \(Rescaling\): scale of shape \[2\] does not broadcast against the input of shape \[1,3\]/,
    );
    expect(() => new Rescaling({ scale: [[1, 2], [3]] as never })).toThrow(ArgumentError);
  });
});

describe('Normalization', () => {
  it('adapts to data as in the Keras docs: mean [1, 8, 5], variance 1', () => {
    const data = [
      [0, 7, 4],
      [2, 9, 6],
      [0, 7, 4],
      [2, 9, 6],
    ];
    const n = new Normalization({ axis: -1 });
    n.adapt(tensor(data));
    expectValues(n.adaptMean!, [1, 8, 5]);
    expectValues(n.adaptVariance!, [1, 1, 1]);
    expectValues(n.call(tensor([[0, 7, 4]])), [-1, -1, -1]);
    // Nested number lists are accepted as the data too.
    const m = new Normalization();
    m.adapt(data);
    expectValues(m.adaptMean!, [1, 8, 5]);
  });

  it("axis null: one mean and variance for everything (the docs' [1 … 5] example), adapted or given", () => {
    const want = [-Math.SQRT2, -Math.SQRT1_2, 0, Math.SQRT1_2, Math.SQRT2];
    const n = new Normalization({ axis: null });
    n.adapt(tensor([1, 2, 3, 4, 5]));
    expectValues(n.call(tensor([1, 2, 3, 4, 5])), want);
    expectValues(new Normalization({ mean: 3, variance: 2 }).call(tensor([[1], [2], [3], [4], [5]])), want);
    // invert maps normalised values back.
    expectValues(
      new Normalization({ mean: 3, variance: 2, invert: true }).call(tensor([[want[0]], [want[4]]])),
      [1, 5],
    );
  });

  it("adapt matches NumPy's mean and var per channel, and a list of batches gives the same", () => {
    const x = seeded([50, 4, 3], 6, -3, 5);
    const ref = channelStats(flat(x), 3);
    const n = new Normalization();
    n.adapt(x);
    expectValues(n.adaptMean!, ref.mean, { atol: 1e-5, rtol: 1e-5 });
    expectValues(n.adaptVariance!, ref.variance, { atol: 1e-5, rtol: 1e-5 });
    const y = flat(n.call(x));
    expectValues(
      y,
      flat(x).map((v, i) => (v - ref.mean[i % 3]) / Math.sqrt(ref.variance[i % 3])),
      { atol: 1e-4, rtol: 1e-4 },
    );
    const batched = new Normalization();
    batched.adapt([x.slice([0], [7]), x.slice([7], [30]), x.slice([30], [50])]);
    expectValues(batched.adaptMean!, ref.mean, { atol: 1e-5, rtol: 1e-5 });
    expectValues(batched.adaptVariance!, ref.variance, { atol: 1e-5, rtol: 1e-4 });
  });

  it('keeps several axes: a mean per (step, channel), given means aligned from the right', () => {
    const x = seeded([20, 2, 3], 7);
    const n = new Normalization({ axis: [1, 2] });
    n.adapt(x);
    expect(n.adaptMean!.shape).toEqual([2, 3]);
    const ref = channelStats(flat(x), 6);
    expectValues(n.adaptMean!, ref.mean, { atol: 1e-5, rtol: 1e-5 });
    // A mean of shape [3] for axes [1, 2] is aligned with axis 2 (channels), as Keras does.
    const g = new Normalization({ axis: [1, 2], mean: [1, 2, 3], variance: [4, 4, 4] });
    expectValues(
      g.call(
        tensor([
          [
            [1, 2, 3],
            [3, 4, 5],
          ],
        ]),
      ),
      [0, 0, 0, 1, 1, 1],
    );
  });

  it('a zero variance divides by 1e-7, not 0: a constant feature gives 0, never NaN', () => {
    const n = new Normalization();
    n.adapt(
      tensor([
        [1, 5],
        [3, 5],
      ]),
    );
    expectValues(n.call(tensor([[2, 5]])), [0, 0]);
  });

  it('is a first layer of a model: adapt, then fit-free predictions normalise', () => {
    const norm = new Normalization({ inputShape: [2] });
    norm.adapt(
      tensor([
        [0, 10],
        [2, 30],
      ]),
    );
    const m = new Sequential([norm, new Dense({ units: 1, kernelInitializer: 'ones', useBias: false })]);
    // (1 − 1)/1 + (20 − 20)/10 = 0; (2 − 1)/1 + (30 − 20)/10 = 2.
    expectValues(
      m.predict(
        tensor([
          [1, 20],
          [2, 30],
        ]),
      ),
      [0, 2],
    );
    expect(norm.namedWeights().map(([k]) => k)).toEqual(['mean', 'variance']);
    expect(norm.parameters()).toEqual([]);
  });

  it('bad options, shapes and data are errors naming the layer, and adapt frees what it made', async () => {
    expect(() => new Normalization({ mean: 1 })).toThrow(/give both mean and variance, or neither/);
    expect(() => new Normalization({ mean: [1, 2], variance: [1] })).toThrow(
      /mean and variance must have the same shape, got \[2\] and \[1\]/,
    );
    expect(() => new Normalization({ mean: [1], variance: [-1] })).toThrow(/variance must be >= 0/);
    expect(() => new Normalization({ mean: [[1, 2]], variance: [[1, 1]] })).toThrow(
      /has more axes than axis -1 keeps \(1\)/,
    );
    expect(() => new Normalization({ axis: 'x' as never })).toThrow(
      /axis must be an integer, a list of distinct integers or null/,
    );
    const one = new Normalization({ name: 'norm1d' });
    const e = await thrown(() => one.adapt(tensor([1, 2, 3])));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/norm1d \(Normalization\): axis -1 keeps the batch axis of input shape \(None,\)/);
    expect(() => new Normalization({ mean: [1, 2, 3], variance: [1, 1, 1], inputShape: [2] })).toThrow(
      /mean and variance of shape \[3\] do not fit the kept axes \[1\] of input shape \(None, 2\)/,
    );
    expect(() => new Normalization({ mean: 0, variance: 1 }).adapt(tensor([[1]]))).toThrow(
      /mean and variance were given, so there is nothing to adapt/,
    );
    const n = new Normalization({ name: 'nrm' });
    n.adapt(tensor([[1, 2, 3]]));
    const [narrow, empty, good] = [
      tensor([[1, 2]]),
      tensor([], [0, 3]),
      tensor([
        [1, 2, 3],
        [3, 4, 5],
      ]),
    ];
    const before = memory().numTensors;
    expect(() => n.adapt(narrow)).toThrow(
      /nrm \(Normalization\): built for input shape \(None, 3\) \(axis -1\), got adapt data of shape \[1,2\]/,
    );
    expect(() => n.call(narrow)).toThrow(/got input of shape \[1,2\]/);
    expect(() => n.adapt(empty)).toThrow(/adapt data of shape \[0,3\] holds no values/);
    expect(() => n.adapt('abc' as never)).toThrow(
      /adapt takes a Tensor, nested number lists or a list of Tensors, got 'abc'/,
    );
    expect(() => n.adapt([[1, 2]])).toThrow(/got adapt data of shape \[1,2\]/);
    n.adapt(good);
    expect(memory().numTensors).toBe(before);
    expectValues(n.adaptMean!, [2, 3, 4]);
  });
});

describe('CategoryEncoding', () => {
  it("encodes as the Keras docs' examples: one_hot, multi_hot, count", () => {
    const one = new CategoryEncoding({ numTokens: 4, outputMode: 'one_hot' });
    expect(flat(one.call(tensor([3, 2, 0, 1], [4], 'int32')))).toEqual([
      0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0,
    ]);
    const pairs = tensor(
      [
        [0, 1],
        [0, 0],
        [1, 2],
        [3, 1],
      ],
      undefined,
      'int32',
    );
    expect(flat(new CategoryEncoding({ numTokens: 4 }).call(pairs))).toEqual([
      1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1,
    ]);
    expect(flat(new CategoryEncoding({ num_tokens: 4, output_mode: 'count' } as never).call(pairs))).toEqual([
      1, 1, 0, 0, 2, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1,
    ]);
  });

  it('shapes: one_hot drops a last axis of 1, multi_hot reduces the last axis; rank 1 is one value per sample', () => {
    const one = new CategoryEncoding({ numTokens: 3, outputMode: 'one_hot' });
    expect(one.computeOutputShape([null, 1])).toEqual([null, 3]);
    expect(one.computeOutputShape([null, 2])).toEqual([null, 2, 3]);
    expect(one.call(tensor([[1], [2]], undefined, 'int32')).shape).toEqual([2, 3]);
    const y = one.call(tensor([[1, 2]], undefined, 'int32'));
    expect(y.shape).toEqual([1, 2, 3]);
    expect(flat(y)).toEqual([0, 1, 0, 0, 0, 1]);
    const multi = new CategoryEncoding({ numTokens: 3, outputMode: 'binary' });
    expect(multi.outputMode).toBe('multi_hot');
    expect(multi.computeOutputShape([null])).toEqual([null, 3]);
    expect(flat(multi.call(tensor([2, 0], [2], 'int32')))).toEqual([0, 0, 1, 1, 0, 0]);
    expect(
      flat(
        multi.call(
          tensor(
            [
              [
                [0, 0],
                [1, 2],
              ],
            ],
            undefined,
            'int32',
          ),
        ),
      ),
    ).toEqual([1, 0, 0, 0, 1, 1]);
    // Float inputs holding integers are taken as categories.
    expect(flat(multi.call(tensor([[1, 1]])))).toEqual([0, 1, 0]);
  });

  it('values outside [0, numTokens) and bad options are errors naming the layer', async () => {
    const c = new CategoryEncoding({ numTokens: 3, name: 'ce' });
    const before = memory().numTensors;
    const x = tensor([[0, 3]], undefined, 'int32');
    const e = await thrown(() => c.call(x));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(/ce \(CategoryEncoding\): input value 3 at position 1 is outside \[0, 3\)/);
    expect(() => c.call(tensor([[-1]], undefined, 'int32'))).toThrow(/input value -1 at position 0 is outside/);
    expect(memory().numTensors).toBe(before + 2);
    expect(() => c.call(tensor([[true]]))).toThrow(DTypeError);
    expect(() => new CategoryEncoding({} as never)).toThrow(/numTokens is required/);
    expect(() => new CategoryEncoding({ numTokens: 3, outputMode: 'tf_idf' as never })).toThrow(
      /outputMode must be 'one_hot', 'multi_hot' or 'count', got 'tf_idf'/,
    );
    expect(() => new CategoryEncoding({ numTokens: 3, sparse: true })).toThrow(/sparse outputs are not supported/);
  });
});

describe('CenterCrop', () => {
  it('takes the central window; an odd extra row or column is cut from the end, as Keras', () => {
    const x = arange([1, 5, 5, 1]);
    expect(flat(new CenterCrop({ height: 3, width: 3 }).call(x))).toEqual([6, 7, 8, 11, 12, 13, 16, 17, 18]);
    const odd = new CenterCrop({ height: 3, width: 3 }).call(arange([1, 4, 6, 1]));
    // Rows 0 … 2 (4 − 3 = 1: start 0), columns 1 … 3 (6 − 3 = 3: start 1).
    expect(flat(odd)).toEqual([1, 2, 3, 7, 8, 9, 13, 14, 15]);
  });

  it('one image, channels_first, integer input to float32, output shapes', () => {
    const img = new CenterCrop({ height: 1, width: 2 }).call(
      tensor(
        Array.from({ length: 18 }, (_, i) => i),
        [3, 3, 2],
        'int32',
      ),
    );
    expect(img.dtype).toBe('float32');
    expect(img.shape).toEqual([1, 2, 2]);
    expect(flat(img)).toEqual([6, 7, 8, 9]);
    const first = new CenterCrop({ height: 2, width: 2, dataFormat: 'channels_first' });
    expect(first.computeOutputShape([null, 3, 8, 8])).toEqual([null, 3, 2, 2]);
    expect(first.call(arange([2, 3, 4, 4])).shape).toEqual([2, 3, 2, 2]);
    expect(new CenterCrop({ height: 2, width: 5 }).computeOutputShape([null, 9, 9, 3])).toEqual([null, 2, 5, 3]);
  });

  it("resizes an input smaller than the crop as Keras' smart_resize: central window of the aspect ratio, bilinear, half-pixel", () => {
    // 3 × 5 to 4 × 4: the window is 3 × 3 (columns 1 … 3), resized to 4 × 4.
    const x = arange([1, 3, 5, 2], 0.5, -1);
    const y = new CenterCrop({ height: 4, width: 4 }).call(x);
    expect(y.shape).toEqual([1, 4, 4, 2]);
    const v = flat(x);
    const at = (i: number, j: number, c: number) => v[(i * 5 + j + 1) * 2 + c];
    // TensorFlow's half-pixel bilinear rule from a 3-pixel axis to 4, in float64.
    const taps = (o: number): [number, number, number] => {
      const src = ((o + 0.5) * 3) / 4 - 0.5;
      const f = Math.floor(src);
      return [Math.max(f, 0), Math.min(Math.ceil(src), 2), src - f];
    };
    const ref: number[] = [];
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++)
        for (let c = 0; c < 2; c++) {
          const [t, b, dy] = taps(i);
          const [l, r, dx] = taps(j);
          const top = at(t, l, c) + (at(t, r, c) - at(t, l, c)) * dx;
          const bottom = at(b, l, c) + (at(b, r, c) - at(b, l, c)) * dx;
          ref.push(top + (bottom - top) * dy);
        }
    expectValues(y, ref);
    // channels_first gives the same pixels.
    const yf = new CenterCrop({ height: 4, width: 4, dataFormat: 'channels_first' }).call(x.transpose([0, 3, 1, 2]));
    expectValues(yf.transpose([0, 2, 3, 1]), ref);
  });

  it('bad sizes and ranks are errors naming the layer', () => {
    expect(() => new CenterCrop({ height: 0, width: 4 })).toThrow(/height must be a positive integer/);
    expect(() => new CenterCrop({ height: 2, width: 2, name: 'cc' }).call(arange([4, 4]))).toThrow(
      /cc \(CenterCrop\): expects images \[batch, height, width, channels\] or \[height, width, channels\], got shape \(None, 4\)/,
    );
    expect(() => new CenterCrop({ height: 2, width: 2, depth: 1 } as never)).toThrow(
      /CenterCrop: unknown option 'depth'/,
    );
  });
});
