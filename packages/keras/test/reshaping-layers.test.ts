import { gradCheck } from '@tsdl/test-utils';
import { ShapeError, memory, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Cropping1D,
  Cropping2D,
  Dense,
  GlobalAveragePooling2D,
  GlobalMaxPooling2D,
  Input,
  Permute,
  RepeatVector,
  Sequential,
  UpSampling1D,
  ZeroPadding1D,
  ZeroPadding2D,
  model,
} from '../src/index';
import { arange, expectValues, flat, seeded, thrown, useCpu } from './helpers';

useCpu();

/** A reference NHWC image as nested arrays [n][h][w][c] from a flat list. */
function nhwc(v: number[], [n, h, w, c]: number[]): number[][][][] {
  return Array.from({ length: n }, (_, b) =>
    Array.from({ length: h }, (_, i) =>
      Array.from({ length: w }, (_, j) => Array.from({ length: c }, (_, k) => v[((b * h + i) * w + j) * c + k])),
    ),
  );
}

describe('Permute', () => {
  it('reorders the axes of each sample, 1-based as Keras', () => {
    const x = arange([2, 3, 4]);
    const p = new Permute([2, 1]);
    expect(p.computeOutputShape([null, 3, 4])).toEqual([null, 4, 3]);
    const y = p.call(x);
    expect(y.shape).toEqual([2, 4, 3]);
    const v = flat(x);
    const ref: number[] = [];
    for (let b = 0; b < 2; b++)
      for (let j = 0; j < 4; j++) for (let i = 0; i < 3; i++) ref.push(v[(b * 3 + i) * 4 + j]);
    expect(flat(y)).toEqual(ref);
    expect(new Permute({ dims: [3, 1, 2] }).computeOutputShape([null, 5, 6, 7])).toEqual([null, 7, 5, 6]);
  });

  it('dims must be a permutation of 1 … n, and the input of rank n + 1', () => {
    expect(() => new Permute([0, 1])).toThrow(/dims must hold each of 1 … n once/);
    expect(() => new Permute([1, 1])).toThrow(/dims must hold each of 1 … n once/);
    expect(() => new Permute({ dims: [2, 1], inputShape: [3], name: 'pm' })).toThrow(
      /pm \(Permute\): expects input for dims \[2,1\] of rank 3 \(batch included\), got shape \(None, 3\)/,
    );
    expect(() => new Permute([2, 1]).call(arange([2, 3]))).toThrow(ShapeError);
  });
});

describe('RepeatVector and UpSampling1D', () => {
  it('RepeatVector repeats each sample n times: [batch, f] → [batch, n, f]', () => {
    const r = new RepeatVector(3);
    const y = r.call(
      tensor([
        [1, 2],
        [3, 4],
      ]),
    );
    expect(y.shape).toEqual([2, 3, 2]);
    expect(flat(y)).toEqual([1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4]);
    expect(r.computeOutputShape([null, 2])).toEqual([null, 3, 2]);
    expect(() => new RepeatVector(0)).toThrow(/n must be a positive integer, got 0/);
    expect(() => new RepeatVector({ n: 2, inputShape: [2, 2], name: 'rv' })).toThrow(
      /rv \(RepeatVector\): expects input \[batch, features\] of rank 2/,
    );
  });

  it('UpSampling1D repeats each step size times in place (numpy.repeat on the steps)', () => {
    const u = new UpSampling1D({ size: 3 });
    const y = u.call(
      tensor([
        [
          [1, 10],
          [2, 20],
        ],
      ]),
    );
    expect(y.shape).toEqual([1, 6, 2]);
    expect(flat(y)).toEqual([1, 10, 1, 10, 1, 10, 2, 20, 2, 20, 2, 20]);
    expect(new UpSampling1D().size).toBe(2);
    expect(u.computeOutputShape([null, 4, 2])).toEqual([null, 12, 2]);
    expect(u.computeOutputShape([null, null, 2])).toEqual([null, null, 2]);
    expect(() => new UpSampling1D({ size: 1.5 })).toThrow(/size must be a positive integer/);
  });

  it('gradients sum over the copies (finite differences)', async () => {
    await gradCheck((t) => new RepeatVector(3).call(t), [seeded([2, 3], 1)]);
    await gradCheck((t) => new UpSampling1D(2).call(t), [seeded([2, 3, 2], 2)]);
  });
});

describe('ZeroPadding1D and ZeroPadding2D', () => {
  it('ZeroPadding1D adds zero steps before and after', () => {
    const x = tensor([
      [
        [1, 2],
        [3, 4],
      ],
    ]);
    expect(flat(new ZeroPadding1D().call(x))).toEqual([0, 0, 1, 2, 3, 4, 0, 0]);
    const asym = new ZeroPadding1D({ padding: [2, 0] });
    expect(flat(asym.call(x))).toEqual([0, 0, 0, 0, 1, 2, 3, 4]);
    expect(asym.computeOutputShape([null, 2, 2])).toEqual([null, 4, 2]);
    const first = new ZeroPadding1D({ padding: 1, dataFormat: 'channels_first' });
    expect(flat(first.call(x))).toEqual([0, 1, 2, 0, 0, 3, 4, 0]);
    expect(first.computeOutputShape([null, 2, 2])).toEqual([null, 2, 4]);
  });

  it('ZeroPadding2D takes n, [h, w] or [[top, bottom], [left, right]], as Keras', () => {
    const x = arange([1, 2, 2, 1], 1, 1);
    const y = new ZeroPadding2D({
      padding: [
        [1, 0],
        [0, 2],
      ],
    }).call(x);
    expect(y.shape).toEqual([1, 3, 4, 1]);
    expect(flat(y)).toEqual([0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0]);
    expect(new ZeroPadding2D().getConfig().padding).toEqual([
      [1, 1],
      [1, 1],
    ]);
    expect(new ZeroPadding2D([2, 3]).computeOutputShape([null, 5, 5, 3])).toEqual([null, 9, 11, 3]);
    const first = new ZeroPadding2D({ padding: 1, dataFormat: 'channels_first' });
    expect(first.computeOutputShape([null, 3, 5, 5])).toEqual([null, 3, 7, 7]);
    const yf = first.call(arange([1, 1, 1, 1], 1, 5));
    expect(flat(yf)).toEqual([0, 0, 0, 0, 5, 0, 0, 0, 0]);
  });

  it('bad padding and ranks are errors naming the layer', () => {
    expect(() => new ZeroPadding2D({ padding: [1, 2, 3] as never, name: 'zp' })).toThrow(
      /zp \(ZeroPadding2D\): padding must be an integer, a list of two integers/,
    );
    expect(() => new ZeroPadding2D({ padding: -1 })).toThrow(/padding must be an integer >= 0/);
    expect(() => new ZeroPadding1D({ padding: [1] as never })).toThrow(
      /padding must be an integer >= 0 or a list of two integers >= 0/,
    );
    expect(() => new ZeroPadding2D().call(arange([2, 3, 3]))).toThrow(
      /expects images \[batch, height, width, channels\] of rank 4/,
    );
  });
});

describe('Cropping1D and Cropping2D', () => {
  it('Cropping1D cuts steps off both ends (default 1 each)', () => {
    const x = arange([1, 5, 1]);
    expect(flat(new Cropping1D().call(x))).toEqual([1, 2, 3]);
    expect(flat(new Cropping1D([2, 0]).call(x))).toEqual([2, 3, 4]);
    expect(new Cropping1D(2).computeOutputShape([null, 5, 3])).toEqual([null, 1, 3]);
  });

  it('Cropping2D cuts rows and columns, channels last or first', () => {
    const x = arange([1, 4, 5, 2]);
    const c = new Cropping2D({
      cropping: [
        [1, 2],
        [0, 3],
      ],
    });
    const y = c.call(x);
    expect(y.shape).toEqual([1, 1, 2, 2]);
    const ref = nhwc(flat(x), [1, 4, 5, 2])[0]
      .slice(1, 2)
      .map((row) => row.slice(0, 2));
    expect(flat(y)).toEqual(ref.flat(2));
    const xf = arange([1, 2, 4, 4]);
    const yf = new Cropping2D({ cropping: 1, dataFormat: 'channels_first' }).call(xf);
    expect(yf.shape).toEqual([1, 2, 2, 2]);
    expect(flat(yf)).toEqual([5, 6, 9, 10, 21, 22, 25, 26]);
    expect(new Cropping2D().getConfig().cropping).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it('cropping as large as the input is a ShapeError naming the layer and shapes, with nothing leaked', async () => {
    const x = arange([1, 4, 1]);
    const before = memory().numTensors;
    const e = await thrown(() => new Cropping1D({ cropping: [2, 2], name: 'crop' }).call(x));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(
      /crop \(Cropping1D\): cropping \[2, 2\] leaves nothing of an axis of size 4 \(input shape \(None, 4, 1\)\)/,
    );
    expect(memory().numTensors).toBe(before);
    expect(
      () =>
        new Cropping2D({
          cropping: [
            [3, 3],
            [0, 0],
          ],
          inputShape: [6, 6, 1],
        }),
    ).toThrow(/cropping \[3, 3\] leaves nothing of an axis of size 6/);
  });
});

describe('GlobalAveragePooling2D and GlobalMaxPooling2D', () => {
  it('pool each channel over the pixels, with keepdims and channels_first', () => {
    const x = tensor([1, 10, 2, 20, 3, 30, 4, 40], [1, 2, 2, 2]);
    expectValues(new GlobalAveragePooling2D().call(x), [2.5, 25]);
    expectValues(new GlobalMaxPooling2D().call(x), [4, 40]);
    const keep = new GlobalAveragePooling2D({ keepdims: true });
    expect(keep.call(x).shape).toEqual([1, 1, 1, 2]);
    expect(keep.computeOutputShape([null, 7, 7, 2])).toEqual([null, 1, 1, 2]);
    const first = new GlobalMaxPooling2D({ data_format: 'channels_first' } as never);
    expectValues(first.call(x), [20, 40]);
    expect(first.computeOutputShape([null, 2, 2, 2])).toEqual([null, 2]);
  });

  it('end a small CNN-style functional model: shapes and values', () => {
    const inp = Input({ shape: [4, 4, 3] });
    const out = new Dense({ units: 2, seed: 1 }).apply(new GlobalAveragePooling2D().apply(inp));
    const m = model({ inputs: inp, outputs: out });
    expect(m.outputShape).toEqual([null, 2]);
    const x = seeded([2, 4, 4, 3], 3);
    expect(m.predict(x).shape).toEqual([2, 2]);
  });

  it('wrong ranks and empty images are ShapeErrors naming the layer', () => {
    expect(() => new Sequential([new GlobalMaxPooling2D({ name: 'gmp', inputShape: [4, 3] })])).toThrow(
      /gmp \(GlobalMaxPooling2D\): expects images \[batch, height, width, channels\] of rank 4/,
    );
    expect(() => new GlobalAveragePooling2D({ name: 'gap' }).call(tensor([], [1, 0, 2, 3]))).toThrow(
      /gap \(GlobalAveragePooling2D\): input of shape \[1,0,2,3\] has no pixels to pool/,
    );
    expect(() => new GlobalAveragePooling2D({ keepdims: 1 as never })).toThrow(/keepdims must be a boolean/);
  });
});
