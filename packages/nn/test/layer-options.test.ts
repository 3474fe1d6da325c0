import { ArgumentError, AxisError, ShapeError, type Tensor, memory, tensor, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  AvgPool1d,
  AvgPool2d,
  Conv1d,
  Conv2d,
  ConvTranspose2d,
  KLDivLoss,
  Linear,
  MaxPool1d,
  MaxPool2d,
  Module,
  Unflatten,
  Upsample,
  init,
  klDiv,
} from '../src/index';
import { detTensor, useCpu } from './helpers';

useCpu();

/** Asserts that fn throws `type` matching `re` and leaves the live-tensor count unchanged. */
function expectThrowsClean(fn: () => unknown, type: new (...a: never[]) => Error, re: RegExp): void {
  const before = memory().numTensors;
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(type);
  expect((err as Error).message).toMatch(re);
  expect(memory().numTensors).toBe(before);
}

describe('Conv1d', () => {
  it('stores weight [O, C/groups, k] with PyTorch-bounded default init', () => {
    const m = new Conv1d(4, 6, 3, { groups: 2, seed: 3 });
    expect(m.weight.shape).toEqual([6, 2, 3]);
    expect((m.bias as Tensor).shape).toEqual([6]);
    const bound = 1 / Math.sqrt(2 * 3); // fanIn = C/groups · k
    const w = Array.from(m.weight.dataSync());
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(bound * 0.7);
    expect(Math.max(...Array.from((m.bias as Tensor).dataSync()).map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(m.toString()).toBe(
      'Conv1d(4, 6, kernelSize=[3], stride=[1], padding="valid", dilation=[1], groups=2, bias=true)',
    );
    m.dispose();
  });

  it('rejects bad arguments, naming Conv1d and the argument', () => {
    expectThrowsClean(
      () => new Conv1d(3, 4, 3, { padding_mode: 'reflect' } as never),
      ArgumentError,
      /Conv1d: unknown option 'padding_mode'.*known: stride/,
    );
    expectThrowsClean(
      () => new Conv1d(3, 4, 3, { groups: 2 }),
      ArgumentError,
      /Conv1d: inChannels \(3\) must be divisible by groups \(2\)/,
    );
    expectThrowsClean(
      () => new Conv1d(4, 3, 3, { groups: 2 }),
      ArgumentError,
      /Conv1d: outChannels \(3\) must be divisible by groups \(2\)/,
    );
    expectThrowsClean(
      () => new Conv1d(4, 4, 3, { groups: 0 }),
      ArgumentError,
      /Conv1d: groups must be a positive integer/,
    );
    expectThrowsClean(
      () => new Conv1d(3, 4, 3, { paddingMode: 'mirror' as never }),
      ArgumentError,
      /Conv1d: paddingMode must be one of 'zeros', 'reflect'/,
    );
    expectThrowsClean(
      () => new Conv1d(3, 4, [3, 3] as never),
      ArgumentError,
      /Conv1d: kernelSize must be an integer >= 1/,
    );
    expectThrowsClean(() => new Conv1d(3, 4, 3, { stride: 0 }), ArgumentError, /Conv1d: stride/);
    expectThrowsClean(
      () => new Conv1d(3, 4, 3, { padding: -1 }),
      ArgumentError,
      /Conv1d: padding must be an integer >= 0/,
    );
    expectThrowsClean(() => new Conv1d(0, 4, 3), ArgumentError, /Conv1d: inChannels must be a positive integer/);
    expectThrowsClean(() => new Conv1d(3, 4, 3, { bias: 1 as never }), ArgumentError, /Conv1d: bias must be a boolean/);
  });

  it('rejects bad inputs with ShapeErrors naming Conv1d and the shapes, freeing what it made', () => {
    const m = new Conv1d(2, 3, 3, { padding: 2, paddingMode: 'reflect' });
    const wrongC = detTensor([1, 3, 5]);
    expectThrowsClean(
      () => m.call(wrongC),
      ShapeError,
      /Conv1d: expected input \[N, C, L\] or \[C, L\] with C = 2, got shape \[1,3,5\]/,
    );
    const short = detTensor([1, 2, 2]);
    expectThrowsClean(() => m.call(short), ShapeError, /Conv1d: reflect padding of 2\+2 on an axis of size 2/);
    const tiny = new Conv1d(2, 3, 5, { dilation: 2 });
    expectThrowsClean(
      () => tiny.call(short),
      ShapeError,
      /Conv1d: a window of 9 \(kernel 5, dilation 2\) does not fit an input of length 2/,
    );
    for (const t of [wrongC, short]) t.dispose();
    m.dispose();
    tiny.dispose();
  });

  it('a training step under tidy leaves memory unchanged', () => {
    const m = new Conv1d(2, 4, 3, { padding: 'same', paddingMode: 'circular', groups: 2, seed: 1 });
    const x = detTensor([2, 2, 6]);
    const before = memory().numTensors;
    tidy(() => m.call(x).square().sum().backward());
    m.zeroGrad();
    expect(memory().numTensors).toBe(before);
    x.dispose();
    m.dispose();
  });
});

describe('Conv2d groups and paddingMode', () => {
  it('stores weight [O, C/groups, kH, kW] (NCHW) or [kH, kW, C/groups, O] (NHWC)', () => {
    const a = new Conv2d(6, 4, [3, 2], { groups: 2 });
    expect(a.weight.shape).toEqual([4, 3, 3, 2]);
    const b = new Conv2d(6, 4, 3, { groups: 2, dataFormat: 'NHWC' });
    expect(b.weight.shape).toEqual([3, 3, 3, 4]);
    expect(a.toString()).toContain('groups=2');
    a.dispose();
    b.dispose();
  });

  it('NHWC with groups and a padding mode agrees with NCHW', () => {
    const a = new Conv2d(4, 6, 3, { groups: 2, padding: 1, paddingMode: 'replicate', seed: 2 });
    const b = new Conv2d(4, 6, 3, { groups: 2, padding: 1, paddingMode: 'replicate', dataFormat: 'NHWC' });
    tidy(() => {
      b.loadStateDict({ weight: a.weight.transpose([2, 3, 1, 0]).contiguous(), bias: a.bias as Tensor });
    });
    const x = detTensor([2, 4, 4, 5], 3);
    tidy(() => {
      const ya = a.call(x).transpose([0, 2, 3, 1]);
      const yb = b.call(x.transpose([0, 2, 3, 1]).contiguous());
      expect(yb.shape).toEqual([2, 4, 5, 6]);
      const d = Math.max(...Array.from(ya.sub(yb).abs().dataSync()));
      expect(d).toBeLessThan(1e-5);
    });
    x.dispose();
    a.dispose();
    b.dispose();
  });

  it('rejects bad arguments, naming Conv2d and the argument', () => {
    expectThrowsClean(
      () => new Conv2d(3, 4, 3, { group: 3 } as never),
      ArgumentError,
      /Conv2d: unknown option 'group'/,
    );
    expectThrowsClean(
      () => new Conv2d(3, 4, 3, { groups: 3 }),
      ArgumentError,
      /Conv2d: outChannels \(4\) must be divisible by groups \(3\)/,
    );
    expectThrowsClean(
      () => new Conv2d(3, 3, 3, { paddingMode: 'zero' as never }),
      ArgumentError,
      /Conv2d: paddingMode must be one of/,
    );
    expectThrowsClean(
      () => new Conv2d(3, 3, 3, { padding: 'full' as never }),
      ArgumentError,
      /Conv2d: padding must be 'valid', 'same'/,
    );
    const m = new Conv2d(1, 1, 3, { padding: 3, paddingMode: 'reflect' });
    const x = detTensor([1, 1, 3, 3]);
    expectThrowsClean(
      () => m.call(x),
      ShapeError,
      /Conv2d: reflect padding of 3\+3 on an axis of size 3 \(input shape \[1,1,3,3\]\)/,
    );
    const c = new Conv2d(1, 1, 3, { padding: 4, paddingMode: 'circular' });
    expectThrowsClean(() => c.call(x), ShapeError, /Conv2d: circular padding of 4\+4 on an axis of size 3/);
    x.dispose();
    m.dispose();
    c.dispose();
  });
});

describe('Unflatten', () => {
  it('expands one axis, inferring -1', () => {
    const x = detTensor([2, 12]);
    const y = new Unflatten(1, [3, -1]).call(x);
    expect(y.shape).toEqual([2, 3, 4]);
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    x.dispose();
    y.dispose();
  });

  it('rejects bad sizes and axes', () => {
    expectThrowsClean(() => new Unflatten(1, [2, -1, -1]), ArgumentError, /Unflatten: only one size may be -1/);
    expectThrowsClean(
      () => new Unflatten(1, []),
      ArgumentError,
      /Unflatten: unflattenedSize must be a non-empty array/,
    );
    expectThrowsClean(() => new Unflatten(1.5, [2]), ArgumentError, /Unflatten: dim must be an integer/);
    const x = detTensor([2, 6]);
    expectThrowsClean(
      () => new Unflatten(1, [4, 2]).call(x),
      ShapeError,
      /Unflatten: unflattenedSize \[4,2\] does not fit axis 1 of size 6 \(input shape \[2,6\]\)/,
    );
    expectThrowsClean(
      () => new Unflatten(1, [4, -1]).call(x),
      ShapeError,
      /Unflatten: unflattenedSize \[4,-1\] does not fit axis 1 of size 6/,
    );
    expectThrowsClean(
      () => new Unflatten(2, [2, 3]).call(x),
      AxisError,
      /Unflatten: dim 2 is out of range for input of shape \[2,6\]/,
    );
    x.dispose();
  });
});

describe('KLDivLoss', () => {
  it('is 0 for equal distributions and non-negative otherwise', () => {
    const p = tensor([[0.2, 0.3, 0.5]]);
    const q = tensor([[0.1, 0.6, 0.3]]);
    tidy(() => {
      expect(klDiv(p.log(), p, { reduction: 'sum' }).item()).toBeCloseTo(0, 6);
      const want = 0.2 * Math.log(0.2 / 0.1) + 0.3 * Math.log(0.3 / 0.6) + 0.5 * Math.log(0.5 / 0.3);
      expect(new KLDivLoss({ reduction: 'batchmean' }).call(q.log(), p).item()).toBeCloseTo(want, 6);
      expect(klDiv(q.log(), p.log(), { reduction: 'batchmean', logTarget: true }).item()).toBeCloseTo(want, 6);
    });
    p.dispose();
    q.dispose();
  });

  it('rejects bad options and shapes, naming the loss', () => {
    expectThrowsClean(
      () => new KLDivLoss({ log_target: true } as never),
      ArgumentError,
      /KLDivLoss: unknown option 'log_target' in options \(known: reduction, logTarget\)/,
    );
    expectThrowsClean(
      () => new KLDivLoss({ reduction: 'avg' as never }),
      ArgumentError,
      /KLDivLoss: reduction must be 'mean', 'batchmean', 'sum' or 'none', got "avg"/,
    );
    expectThrowsClean(
      () => new KLDivLoss({ logTarget: 'yes' as never }),
      ArgumentError,
      /KLDivLoss: logTarget must be a boolean/,
    );
    const a = detTensor([2, 3]);
    const b = detTensor([3, 2]);
    expectThrowsClean(
      () => new KLDivLoss().call(a, b),
      ShapeError,
      /klDiv: target of shape \[3,2\] does not match input of shape \[2,3\]/,
    );
    a.dispose();
    b.dispose();
  });
});

describe('init.eye / init.dirac', () => {
  it('a Conv1d with dirac weights and no bias is the identity (as a weightInit)', () => {
    const m = new Conv1d(3, 3, 3, { padding: 1, bias: false, weightInit: init.dirac });
    const x = detTensor([2, 3, 5]);
    const y = m.call(x);
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    const l = new Linear(4, 4, { bias: false });
    init.eye_(l.weight);
    const v = detTensor([2, 4]);
    const w = l.call(v);
    expect(Array.from(w.dataSync())).toEqual(Array.from(v.dataSync()));
    for (const t of [x, y, v, w]) t.dispose();
    m.dispose();
    l.dispose();
  });

  it('NHWC (inOut) dirac puts the tap at [k…, c, o]', () => {
    const t = init.dirac([3, 3, 2, 2], { layout: 'inOut' });
    const d = t.dataSync();
    // [kH, kW, C, O]: centre (1, 1), c = o.
    expect(d[((1 * 3 + 1) * 2 + 0) * 2 + 0]).toBe(1);
    expect(d[((1 * 3 + 1) * 2 + 1) * 2 + 1]).toBe(1);
    expect(Array.from(d).reduce((a, b) => a + b, 0)).toBe(2);
    t.dispose();
  });

  it('rejects unsupported shapes and groups', () => {
    expectThrowsClean(() => init.eye([2, 2, 2]), ArgumentError, /init.eye: only 2-D shapes/);
    expectThrowsClean(() => init.dirac([2, 2]), ArgumentError, /init.dirac: only 3-, 4- and 5-D shapes/);
    expectThrowsClean(
      () => init.dirac([3, 2, 3], { groups: 2 }),
      ArgumentError,
      /init.dirac: groups must be a positive integer dividing the 3 output channels/,
    );
    const i = tensor([1, 2], [2], 'int32');
    expectThrowsClean(() => init.eye_(i), ArgumentError, /init.eye_: the tensor must be float32/);
    i.dispose();
  });
});

describe('stateDict of shared modules', () => {
  it('lists a module used twice under both names; a module containing itself is an error', () => {
    class Loop extends Module {
      override forward(x: Tensor): Tensor {
        return x;
      }
    }
    const m = new Loop();
    m.registerParameter('p', tensor([1]));
    m.registerModule('self', m);
    expectThrowsClean(() => m.stateDict(), ArgumentError, /stateDict: Loop contains itself \(again at 'self'\)/);
    m.dispose();
  });
});

describe('Upsample', () => {
  it('nearest 2x repeats each pixel; bilinear with alignCorners keeps the corners', () => {
    const x = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
    tidy(() => {
      const y = new Upsample({ scaleFactor: 2 }).call(x);
      expect(Array.from(y.dataSync())).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
      const b = new Upsample({ size: [3, 3], mode: 'bilinear', alignCorners: true }).call(x);
      expect(Array.from(b.dataSync())).toEqual([1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
    });
    x.dispose();
  });

  it('rejects bad options and inputs, naming Upsample', () => {
    expectThrowsClean(
      () => new Upsample({ scale_factor: 2 } as never),
      ArgumentError,
      /Upsample: unknown option 'scale_factor'/,
    );
    expectThrowsClean(
      () => new Upsample({}),
      ArgumentError,
      /Upsample: give exactly one of size and scaleFactor, got neither/,
    );
    expectThrowsClean(() => new Upsample({ size: 4, scaleFactor: 2 }), ArgumentError, /got both/);
    expectThrowsClean(
      () => new Upsample({ scaleFactor: 0 }),
      ArgumentError,
      /Upsample: scaleFactor must be a positive number/,
    );
    expectThrowsClean(
      () => new Upsample({ size: [2, 2.5] }),
      ArgumentError,
      /Upsample: size must be a positive integer/,
    );
    expectThrowsClean(
      () => new Upsample({ scaleFactor: 2, mode: 'bicubic' as never }),
      ArgumentError,
      /Upsample: mode must be 'nearest', 'linear' or 'bilinear'/,
    );
    expectThrowsClean(
      () => new Upsample({ scaleFactor: 2, alignCorners: true }),
      ArgumentError,
      /Upsample: alignCorners can only be set with the interpolating modes/,
    );
    const x4 = detTensor([1, 1, 2, 2]);
    const x3 = detTensor([1, 1, 2]);
    expectThrowsClean(
      () => new Upsample({ scaleFactor: 2, mode: 'linear' }).call(x4),
      ShapeError,
      /Upsample: mode 'linear' needs input \[N, C, L\], got shape \[1,1,2,2\]/,
    );
    expectThrowsClean(
      () => new Upsample({ scaleFactor: 2, mode: 'bilinear' }).call(x3),
      ShapeError,
      /Upsample: mode 'bilinear' needs input \[N, C, H, W\]/,
    );
    expectThrowsClean(
      () => new Upsample({ size: [2, 3] }).call(x3),
      ShapeError,
      /Upsample: size \[2,3\] has 2 values but input \[1,1,2\] has 1 spatial axes/,
    );
    expectThrowsClean(
      () => new Upsample({ scaleFactor: 0.1 }).call(x3),
      ShapeError,
      /Upsample: scaleFactor 0.1 gives an empty axis/,
    );
    x4.dispose();
    x3.dispose();
  });
});

describe('ConvTranspose2d', () => {
  it('stores weight [C, O/groups, kH, kW] with PyTorch-bounded init; outputSize picks the output padding', () => {
    const m = new ConvTranspose2d(4, 6, 3, { stride: 2, padding: 1, groups: 2, seed: 4 });
    expect(m.weight.shape).toEqual([4, 3, 3, 3]);
    const bound = 1 / Math.sqrt(3 * 9); // fanIn = O/groups · kH · kW, as PyTorch
    const w = Array.from(m.weight.dataSync()).map(Math.abs);
    expect(Math.max(...w)).toBeLessThanOrEqual(bound);
    expect(Math.max(...w)).toBeGreaterThan(0.7 * bound);
    const x = detTensor([1, 4, 3, 3]);
    tidy(() => {
      expect(m.call(x).shape).toEqual([1, 6, 5, 5]);
      const big = m.call(x, [6, 5]);
      expect(big.shape).toEqual([1, 6, 6, 5]);
      const m2 = new ConvTranspose2d(4, 6, 3, { stride: 2, padding: 1, groups: 2, outputPadding: [1, 0] });
      m2.loadStateDict(m.stateDict());
      const want = m2.call(x);
      expect(Array.from(big.dataSync())).toEqual(Array.from(want.dataSync()));
      m2.dispose();
    });
    expectThrowsClean(
      () => m.call(x, [7, 5]),
      ShapeError,
      /ConvTranspose2d: outputSize \[7,5\] is not reachable from input \[1,4,3,3\]: axis H must be in \[5, 6\]/,
    );
    x.dispose();
    m.dispose();
  });

  it('rejects bad arguments, naming ConvTranspose2d and the argument', () => {
    expectThrowsClean(
      () => new ConvTranspose2d(2, 2, 3, { output_padding: 1 } as never),
      ArgumentError,
      /ConvTranspose2d: unknown option 'output_padding'/,
    );
    expectThrowsClean(
      () => new ConvTranspose2d(2, 2, 3, { stride: 2, outputPadding: 2 }),
      ArgumentError,
      /ConvTranspose2d: outputPadding must be smaller than the stride or the dilation on each axis, got outputPadding \[2,2\] with stride \[2,2\] and dilation \[1,1\]/,
    );
    expectThrowsClean(
      () => new ConvTranspose2d(2, 2, 3, { paddingMode: 'reflect' as never }),
      ArgumentError,
      /ConvTranspose2d: only paddingMode 'zeros'/,
    );
    expectThrowsClean(
      () => new ConvTranspose2d(3, 2, 3, { groups: 2 }),
      ArgumentError,
      /ConvTranspose2d: inChannels \(3\) must be divisible by groups \(2\)/,
    );
    expectThrowsClean(
      () => new ConvTranspose2d(2, 2, 3, { padding: 'same' as never }),
      ArgumentError,
      /ConvTranspose2d: padding must be an integer or 2 integers >= 0/,
    );
    const m = new ConvTranspose2d(2, 2, 3, { padding: 2 });
    const x = detTensor([1, 3, 2, 2]);
    expectThrowsClean(
      () => m.call(x),
      ShapeError,
      /ConvTranspose2d: expected input \[N, C, H, W\] or \[C, H, W\] with C = 2, got shape \[1,3,2,2\]/,
    );
    const small = detTensor([1, 2, 1, 1]);
    expectThrowsClean(
      () => m.call(small),
      ShapeError,
      /ConvTranspose2d: input of shape \[1,2,1,1\] gives an empty output/,
    );
    for (const t of [x, small]) t.dispose();
    m.dispose();
  });
});

describe('pooling options', () => {
  it('rejects bad options, naming the module and the option', () => {
    expectThrowsClean(
      () => new MaxPool2d(2, { ceil_mode: true } as never),
      ArgumentError,
      /MaxPool2d: unknown option 'ceil_mode' in options \(known: stride, padding, dilation, ceilMode, dataFormat\)/,
    );
    expectThrowsClean(
      () => new MaxPool2d(2, { returnIndices: true } as never),
      ArgumentError,
      /MaxPool2d: unknown option 'returnIndices'/,
    );
    expectThrowsClean(
      () => new AvgPool2d(2, { dilation: 2 } as never),
      ArgumentError,
      /AvgPool2d: unknown option 'dilation'/,
    );
    expectThrowsClean(
      () => new AvgPool2d(2, { divisorOverride: 0 }),
      ArgumentError,
      /AvgPool2d: divisorOverride must be a positive integer, got 0/,
    );
    expectThrowsClean(
      () => new AvgPool2d(2, { ceilMode: 1 as never }),
      ArgumentError,
      /AvgPool2d: ceilMode must be a boolean/,
    );
    expectThrowsClean(
      () => new MaxPool2d(3, { padding: 2 }),
      ArgumentError,
      /MaxPool2d: padding 2 must be at most half the kernel size \[3,3\]/,
    );
    expectThrowsClean(
      () => new MaxPool2d(2, { dilation: 0 }),
      ArgumentError,
      /MaxPool2d: dilation must be an integer or 2 integers >= 1/,
    );
    expectThrowsClean(
      () => new MaxPool1d(2, { padding: 2 }),
      ArgumentError,
      /MaxPool1d: padding 2 must be at most half the kernel size 2/,
    );
    expectThrowsClean(
      () => new AvgPool1d(2, { divisorOverride: 2 } as never),
      ArgumentError,
      /AvgPool1d: unknown option 'divisorOverride'/,
    );
    const x = detTensor([1, 1, 1, 4]);
    expectThrowsClean(
      () => new MaxPool1d(2).call(x),
      ShapeError,
      /MaxPool1d: expected input \[N, C, L\] or \[C, L\], got shape \[1,1,1,4\]/,
    );
    x.dispose();
  });

  it('ceilMode lengthens the output by the window that hangs over the end', () => {
    const x = tensor([1, 5, 2, 0, 3], [1, 1, 5]);
    tidy(() => {
      expect(Array.from(new MaxPool1d(2).call(x).dataSync())).toEqual([5, 2]);
      expect(Array.from(new MaxPool1d(2, { ceilMode: true }).call(x).dataSync())).toEqual([5, 2, 3]);
      expect(Array.from(new AvgPool1d(2, { ceilMode: true }).call(x).dataSync())).toEqual([3, 1, 3]);
    });
    x.dispose();
  });
});
