import { ArgumentError, ShapeError, memory, tensor, zeros } from '@tsdl/tensor';
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
  Input,
  InputLayer,
  MaxPooling2D,
  Reshape,
  Sequential,
  model,
} from '../src/index';
import { useCpu } from './helpers';

useCpu();

/** Runs `fn`, which must throw an error of class `cls`; checks no tensor was left allocated; returns the message. */
function rejects(cls: typeof ArgumentError | typeof ShapeError, fn: () => unknown): string {
  const before = memory().numTensors;
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a throw').toBeInstanceOf(cls);
  expect(memory().numTensors, 'tensors left allocated by the failed call').toBe(before);
  return (err as Error).message;
}

describe('windows larger than their input are ShapeErrors at build', () => {
  it('Conv2D({ kernelSize: 5, inputShape: [3, 3, 1] }) names the layer, input shape, kernel, strides, padding and dilation', () => {
    const msg = rejects(ShapeError, () => new Conv2D({ name: 'c5', filters: 2, kernelSize: 5, inputShape: [3, 3, 1] }));
    expect(msg).toBe(
      "c5 (Conv2D): input shape (None, 3, 3, 1) is too small for kernelSize [5, 5] with strides [1, 1], padding 'valid' " +
        'and dilationRate [1, 1]: the output would be (None, -1, -1, 2)',
    );
  });

  it('dilation widens the kernel: 3 at rate 2 spans 5 > 4; stride counts too; one axis too small is enough', () => {
    expect(
      rejects(ShapeError, () => new Conv2D({ filters: 1, kernelSize: 3, dilationRate: 2, inputShape: [4, 9, 1] })),
    ).toMatch(
      /input shape \(None, 4, 9, 1\) is too small .* dilationRate \[2, 2\]: the output would be \(None, 0, 5, 1\)/,
    );
    // Exactly fitting windows are fine: 5 = (3 − 1) · 2 + 1.
    expect(
      new Conv2D({ filters: 1, kernelSize: 3, dilationRate: 2, inputShape: [5, 5, 1] }).computeOutputShape([
        null,
        5,
        5,
        1,
      ]),
    ).toEqual([null, 1, 1, 1]);
    expect(
      new Conv2D({ filters: 1, kernelSize: [1, 4], strides: [1, 2], inputShape: [2, 4, 1] }).computeOutputShape([
        null,
        2,
        4,
        1,
      ]),
    ).toEqual([null, 2, 1, 1]);
    expect(rejects(ShapeError, () => new Conv2D({ filters: 1, kernelSize: [1, 5], inputShape: [7, 4, 1] }))).toMatch(
      /kernelSize \[1, 5\]/,
    );
  });

  it("'same' padding never shrinks below one output: a 5×5 kernel on a 3×3 image gives 3×3", () => {
    const c = new Conv2D({ filters: 2, kernelSize: 5, padding: 'same', inputShape: [3, 3, 1] });
    expect(c.computeOutputShape([null, 3, 3, 1])).toEqual([null, 3, 3, 2]);
    expect(c.kernel.shape).toEqual([5, 5, 1, 2]);
  });

  it('a layer built from the first input (no inputShape) checks it before making weights', () => {
    const c = new Conv2D({ name: 'lazy', filters: 1, kernelSize: 3 });
    const x = zeros([1, 2, 2, 1]);
    expect(rejects(ShapeError, () => c.call(x))).toMatch(
      /^lazy \(Conv2D\): input shape \(None, 2, 2, 1\) is too small/,
    );
    expect(c.built).toBe(false);
    expect(c.parameters()).toEqual([]);
    // The channel count must be known and positive.
    expect(rejects(ShapeError, () => new Conv2D({ filters: 1, kernelSize: 1 }).build([null, 2, 2, null]))).toMatch(
      /channel dimension must be known and positive/,
    );
  });

  it('pooling: in a Sequential stack, a functional model and on a real tensor', () => {
    const conv = new Conv2D({ filters: 1, kernelSize: 3, inputShape: [8, 8, 1] });
    const pool = new MaxPooling2D({ name: 'p4', poolSize: 4 });
    const late = new Conv2D({ name: 'late', filters: 1, kernelSize: 3 });
    // 8 → 6 (conv) → 1 (pool) → a 3×3 kernel no longer fits.
    expect(rejects(ShapeError, () => new Sequential([conv, pool, late]))).toMatch(
      /^late \(Conv2D\): input shape \(None, 1, 1, 1\) is too small for kernelSize \[3, 3\]/,
    );
    expect(
      rejects(ShapeError, () => new AveragePooling2D({ name: 'ap', poolSize: 3 }).apply(Input({ shape: [2, 2, 3] }))),
    ).toBe(
      "ap (AveragePooling2D): input shape (None, 2, 2, 3) is too small for poolSize [3, 3] with strides [3, 3], padding 'valid': the output would be (None, 0, 0, 3)",
    );
    const narrow = zeros([2, 4, 2, 1]);
    expect(rejects(ShapeError, () => new MaxPooling2D({ name: 'mp', poolSize: [1, 3] }).call(narrow))).toMatch(
      /^mp \(MaxPooling2D\): input shape \(None, 4, 2, 1\) .* poolSize \[1, 3\] .* \(None, 4, 0, 1\)/,
    );
    // Stride past the input is fine when one window fits: floor((3 − 2) / 5) + 1 = 1.
    const ok = new MaxPooling2D({ poolSize: 2, strides: 5 });
    const y = ok.call(tensor([1, 5, 3, 2, 9, 4, 0, 7, 8], [1, 3, 3, 1]));
    expect(y.shape).toEqual([1, 1, 1, 1]);
    expect(y.dataSync()[0]).toBe(9); // max of the top-left 2×2 window 1, 5, 2, 9
  });

  it('Reshape and Flatten reject samples that do not fit', () => {
    expect(
      rejects(ShapeError, () => new Reshape({ name: 'r', targetShape: [4, -1] }).computeOutputShape([null, 6])),
    ).toBe('r (Reshape): cannot reshape samples of 6 values into [4,-1]');
    expect(new Reshape([-1, 3]).computeOutputShape([null, 2, 3])).toEqual([null, 2, 3]);
    expect(rejects(ShapeError, () => new Flatten({ name: 'f' }).computeOutputShape([null, 0, 3]))).toMatch(
      /^f \(Flatten\): input shape \(None, 0, 3\) has no values/,
    );
    expect(rejects(ShapeError, () => new Dense({ name: 'd', units: 2 }).build([null, 0]))).toMatch(
      /^d \(Dense\): needs a known, positive last dimension, got input shape \(None, 0\)/,
    );
  });
});

describe('invalid option values are ArgumentErrors naming the layer and the option', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['Dense units 0', () => new Dense({ units: 0 }), /\(Dense\): units must be a positive integer, got 0/],
    ['Dense units 2.5', () => new Dense(2.5), /\(Dense\): units must be a positive integer, got 2\.5/],
    ['Dense units "4"', () => new Dense({ units: '4' as never }), /units must be a positive integer, got '4'/],
    ['Dense units NaN', () => new Dense({ units: NaN }), /units must be a positive integer, got null/],
    ['Dense units 2^53', () => new Dense({ units: 2 ** 53 }), /units must be a positive integer, got 9007199254740992/],
    [
      'Dense useBias "no"',
      () => new Dense({ units: 1, useBias: 'no' as never }),
      /\(Dense\): useBias must be a boolean, got 'no'/,
    ],
    ['Dense seed 1.5', () => new Dense({ units: 1, seed: 1.5 }), /\(Dense\): seed must be an integer, got 1\.5/],
    [
      'Dense inputShape [0]',
      () => new Dense({ units: 1, inputShape: [0] }),
      /Dense: inputShape must be a list of positive integers/,
    ],
    [
      'Dense inputShape 3',
      () => new Dense({ units: 1, inputShape: 3 as never }),
      /Dense: inputShape must be a list of positive integers .*got 3/,
    ],
    ['Dense name ""', () => new Dense({ units: 1, name: '' }), /Dense: name must be a non-empty string/],
    [
      'Dense trainable 1',
      () => new Dense({ units: 1, trainable: 1 as never }),
      /Dense: trainable must be a boolean, got 1/,
    ],
    [
      'Conv2D filters -1',
      () => new Conv2D({ filters: -1, kernelSize: 3 }),
      /\(Conv2D\): filters must be a positive integer, got -1/,
    ],
    [
      'Conv2D kernelSize 0',
      () => new Conv2D({ filters: 1, kernelSize: 0 }),
      /\(Conv2D\): kernelSize must be a positive integer or a pair of them, got 0/,
    ],
    [
      'Conv2D kernelSize [3]',
      () => new Conv2D({ filters: 1, kernelSize: [3] as never }),
      /kernelSize must be a positive integer or a pair of them, got \[3\]/,
    ],
    ['Conv2D kernelSize missing', () => new Conv2D({ filters: 1 } as never), /\(Conv2D\): kernelSize is required/],
    [
      'Conv2D strides [1, 0]',
      () => new Conv2D({ filters: 1, kernelSize: 1, strides: [1, 0] }),
      /strides must be .*got \[1,0\]/,
    ],
    [
      'Conv2D dilationRate 1.5',
      () => new Conv2D({ filters: 1, kernelSize: 1, dilationRate: 1.5 }),
      /dilationRate must be .*got 1\.5/,
    ],
    [
      'Conv2D padding causal',
      () => new Conv2D({ filters: 1, kernelSize: 1, padding: 'causal' as never }),
      /\(Conv2D\): padding must be 'valid' or 'same', got 'causal'/,
    ],
    ['MaxPooling2D poolSize 0', () => new MaxPooling2D({ poolSize: 0 }), /\(MaxPooling2D\): poolSize must be .*got 0/],
    [
      'AveragePooling2D strides -2',
      () => new AveragePooling2D({ strides: -2 }),
      /\(AveragePooling2D\): strides must be .*got -2/,
    ],
    ['Dropout rate 1', () => new Dropout(1), /\(Dropout\): rate must be in \[0, 1\), got 1/],
    ['Dropout rate -0.1', () => new Dropout({ rate: -0.1 }), /rate must be in \[0, 1\), got -0\.1/],
    ['Dropout rate missing', () => new Dropout({} as never), /rate must be in \[0, 1\), got undefined/],
    [
      'Embedding outputDim 0',
      () => new Embedding({ inputDim: 2, outputDim: 0 }),
      /\(Embedding\): outputDim must be a positive integer, got 0/,
    ],
    [
      'BatchNormalization momentum 2',
      () => new BatchNormalization({ momentum: 2 }),
      /\(BatchNormalization\): momentum must be in \[0, 1\], got 2/,
    ],
    [
      'BatchNormalization epsilon -1',
      () => new BatchNormalization({ epsilon: -1 }),
      /epsilon must be a finite number >= 0, got -1/,
    ],
    ['BatchNormalization axis 1.5', () => new BatchNormalization({ axis: 1.5 }), /axis must be an integer, got 1\.5/],
    [
      'Reshape targetShape [2, 0]',
      () => new Reshape([2, 0]),
      /\(Reshape\): targetShape must be a list of positive integers with at most one -1/,
    ],
    ['Reshape two -1', () => new Reshape({ targetShape: [-1, -1] }), /targetShape must be .*got \[-1,-1\]/],
    ['Activation missing', () => new Activation({} as never), /\(Activation\): activation is required/],
    [
      'InputLayer shape [2, -1]',
      () => new InputLayer({ shape: [2, -1] }),
      /InputLayer: shape must be a list of positive integers/,
    ],
    ['Dense options a string', () => new Dense('8' as never), /Dense: expected units or an options object/],
  ];
  it.each(cases)('%s', (_what, fn, message) => {
    expect(rejects(ArgumentError, fn)).toMatch(message);
  });
});

describe('sizes whose parameter count cannot be represented', () => {
  it('a kernel of more than 2^53 − 1 elements is rejected at build, before allocating', () => {
    const msg = rejects(ArgumentError, () => new Dense({ name: 'huge', units: 1e8, inputShape: [1e8] }));
    expect(msg).toBe(
      "huge (Dense): weight 'kernel' of shape [100000000,100000000] would have 1.000e+16 elements, more than 2^53 − 1; use smaller sizes",
    );
    expect(
      rejects(
        ArgumentError,
        () => new Conv2D({ filters: 2 ** 30, kernelSize: 2 ** 12, padding: 'same', inputShape: [1, 1, 2 ** 10] }),
      ),
    ).toMatch(/\(Conv2D\): weight 'kernel' of shape \[4096,4096,1024,1073741824\]/);
    expect(
      rejects(ArgumentError, () => new Embedding({ inputDim: 2 ** 40, outputDim: 2 ** 20, inputShape: [1] })),
    ).toMatch(/weight 'embeddings'/);
  });

  it('a weight the backend cannot hold is a ShapeError naming the layer and the weight', () => {
    // 7.84e11 elements: countable, but more than one CPU tensor holds (the allocator's own check).
    expect(rejects(ShapeError, () => new Dense({ name: 'wide', units: 1e9, inputShape: [784] }))).toMatch(
      /^wide \(Dense\): cannot make weight 'kernel' of shape \[784,1000000000\]: /,
    );
  });

  it('a functional model built on a layer that failed leaves nothing allocated', () => {
    const x = Input({ shape: [3, 3, 1] });
    expect(
      rejects(ShapeError, () => model({ inputs: x, outputs: new Conv2D({ filters: 4, kernelSize: 4 }).apply(x) })),
    ).toMatch(/kernelSize \[4, 4\]/);
  });
});
