import type { Conv2dParams, Pool2dParams } from '../backend';
import { dispatch, wrap } from '../engine';
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors';
import { E } from '../expr';
import { tidy } from '../memory';
import { broadcastShapes, normalizeAxis, shapesEqual } from '../shape';
import type { Tensor } from '../tensor';
import { rand, type RandomOptions } from './creation';
import { cast, mul } from './elementwise';
import {
  type DataFormat,
  type Padding2d,
  axisGeometry,
  check4d,
  explicitAxisPads,
  groupsArg,
  pair,
} from './conv-geometry';
import { groupedConv2d } from './conv-grouped';
import { runConv2d } from './conv-kernel';
import { checkSize, numberArg, runElementwise, tensorArg } from './internal';
import { boolOption, checkOptions } from './options';
import { type PoolAxis, averageFactor, divisorArg, tapPool, windowDivisors } from './pool-options';
import { reshape, transpose } from './shape';
import { lowerings } from '../lowerings/index';

/** Softmax along an axis (the last by default), numerically stable. */
export function softmax(x: Tensor, axis = -1): Tensor {
  return softmaxImpl('softmax', x, axis, false);
}

/** log(softmax(x)) along an axis, computed without forming softmax. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return softmaxImpl('logSoftmax', x, axis, true);
}

function softmaxImpl(op: 'softmax' | 'logSoftmax', x: Tensor, axis: number, log: boolean): Tensor {
  tensorArg(op, x, 1, 'x');
  if (x.rank === 0) throw new ShapeError(`${op}: needs a tensor of rank >= 1, got a scalar`);
  const a = normalizeAxis(op, axis, x.rank);
  if (x.dtype !== 'float32') return tidy(() => softmaxImpl(op, cast(x, 'float32'), a, log));
  if (a !== x.rank - 1) {
    // Move the axis last, run the fused kernel, move it back.
    const perm = x.shape.map((_, i) => i);
    perm[a] = x.rank - 1;
    perm[x.rank - 1] = a;
    return tidy(() => transpose(softmaxImpl(op, transpose(x, perm), -1, log), perm));
  }
  return dispatch(op, [x], undefined, (backend) =>
    backend.softmax ? wrap(backend, backend.softmax(x.view(), log), x.shape, 'float32') : lowerings.softmax(x, log),
  );
}

export type { Padding2d, DataFormat } from './conv-geometry';

export interface Conv2dOptions {
  strides?: number | readonly [number, number];
  /** 'valid' (none), 'same' (output = ceil(input / stride), as TensorFlow), or explicit cells. */
  padding?: Padding2d;
  dilations?: number | readonly [number, number];
  /**
   * 'NHWC' (default; Keras and TensorFlow.js): x [N,H,W,C], filter [kH,kW,C/groups,O].
   * 'NCHW' (PyTorch): x [N,C,H,W], filter [O,C/groups,kH,kW].
   */
  dataFormat?: DataFormat;
  /**
   * Split the channels into this many groups (default 1), each convolved with
   * its own O/groups filters (PyTorch's and Keras' `groups`); C and O must be
   * multiples of it. Runs as a composition (conv-grouped.ts).
   */
  groups?: number;
}

const CONV2D_OPTIONS = ['strides', 'padding', 'dilations', 'dataFormat', 'groups'];

/** 2-D convolution (cross-correlation, as every framework), with stride, padding, dilation and groups. */
export function conv2d(x: Tensor, w: Tensor, options: Conv2dOptions = {}): Tensor {
  checkOptions('conv2d', options, CONV2D_OPTIONS);
  const fmt = options.dataFormat ?? 'NHWC';
  if (fmt === 'NCHW') {
    check4d('conv2d', x, 'input');
    check4d('conv2d', w, 'filter');
    const groups = groupsArg('conv2d', options.groups, x.shape[1], w.shape[0], x.shape, w.shape);
    // Checked here so the message shows the NCHW / OIHW shapes the caller passed.
    if (x.shape[1] !== w.shape[1] * groups) {
      throw new ShapeError(
        `conv2d: NCHW input ${fmtShape(x.shape)} has ${x.shape[1]} channels but OIHW filter ${fmtShape(w.shape)} expects ${w.shape[1] * groups}${groups > 1 ? ` (${w.shape[1]} per group × groups ${groups})` : ''}`,
      );
    }
    return tidy(() =>
      transpose(
        conv2d(transpose(x, [0, 2, 3, 1]), transpose(w, [2, 3, 1, 0]), { ...options, dataFormat: 'NHWC' }),
        [0, 3, 1, 2],
      ),
    );
  }
  if (fmt !== 'NHWC')
    throw new ArgumentError(`conv2d: dataFormat must be 'NHWC' or 'NCHW', got ${JSON.stringify(fmt)}`);
  check4d('conv2d', x, 'input');
  check4d('conv2d', w, 'filter');
  const [batch, inH, inW, inC] = x.shape;
  const [kH, kW, wC, outC] = w.shape;
  const groups = groupsArg('conv2d', options.groups, inC, outC, x.shape, w.shape);
  if (wC * groups !== inC) {
    throw new ShapeError(
      `conv2d: input ${fmtShape(x.shape)} has ${inC} channels but filter ${fmtShape(w.shape)} expects ${wC * groups}${groups > 1 ? ` (${wC} per group × groups ${groups})` : ''}`,
    );
  }
  const [strideH, strideW] = pair('conv2d', 'strides', options.strides, 1);
  const [dilationH, dilationW] = pair('conv2d', 'dilations', options.dilations, 1);
  const padding = options.padding ?? 'valid';
  const [outH, padTop] = axisGeometry('conv2d', padding, 0, inH, kH, strideH, dilationH);
  const [outW, padLeft] = axisGeometry('conv2d', padding, 1, inW, kW, strideW, dilationW);
  const params: Conv2dParams = {
    batch,
    inH,
    inW,
    inC,
    outH,
    outW,
    outC,
    kH,
    kW,
    strideH,
    strideW,
    dilationH,
    dilationW,
    padTop,
    padLeft,
  };
  if (groups > 1) {
    checkSize('conv2d', x.backend, [batch, outH, outW, outC], 'float32');
    return groupedConv2d(x, w, groups, params);
  }
  return runConv2d(x, w, params);
}

export interface Pool2dOptions {
  kernelSize: number | readonly [number, number];
  /** Defaults to the kernel size (PyTorch and Keras). */
  strides?: number | readonly [number, number];
  padding?: Padding2d;
  dataFormat?: DataFormat;
  /**
   * Spacing between a window's cells (default 1; PyTorch's `dilation`,
   * TensorFlow's `dilation_rate`). Dilated windows run as a composition over
   * the window's kH·kW cells (pool-options.ts), not as one kernel.
   */
  dilations?: number | readonly [number, number];
  /**
   * Count windows rounding up (PyTorch's `ceil_mode`; default false): a last,
   * partial window is kept where it starts inside the input or its leading
   * padding. Needs 'valid' or explicit padding ('same' already rounds up).
   */
  ceilMode?: boolean;
}

export interface AvgPool2dOptions extends Pool2dOptions {
  /**
   * Count padding cells in the divisor (PyTorch's `count_include_pad`, whose
   * default is true). Default false, as TensorFlow and Keras: a window's
   * divisor is its cells inside the input, for 'same' and explicit padding
   * alike. A ceil-mode window's overhang past the padding never counts.
   */
  countIncludePad?: boolean;
  /** Divide every window's sum by this positive integer instead (PyTorch's `divisor_override`). */
  divisorOverride?: number;
}

const POOL_OPTIONS = ['kernelSize', 'strides', 'padding', 'dataFormat', 'dilations', 'ceilMode'];
const AVG_POOL_OPTIONS = [...POOL_OPTIONS, 'countIncludePad', 'divisorOverride'];

function pool(kind: 'max' | 'avg', x: Tensor, options: AvgPool2dOptions): Tensor {
  const op = kind === 'max' ? 'maxPool2d' : 'avgPool2d';
  if (options === null || typeof options !== 'object')
    throw new ArgumentError(`${op}: options must be an object with kernelSize, got ${String(options)}`);
  checkOptions(op, options, kind === 'max' ? POOL_OPTIONS : AVG_POOL_OPTIONS);
  const fmt = options.dataFormat ?? 'NHWC';
  check4d(op, x, 'input');
  if (fmt === 'NCHW') {
    return tidy(() =>
      transpose(pool(kind, transpose(x, [0, 2, 3, 1]), { ...options, dataFormat: 'NHWC' }), [0, 3, 1, 2]),
    );
  }
  if (fmt !== 'NHWC') throw new ArgumentError(`${op}: dataFormat must be 'NHWC' or 'NCHW', got ${JSON.stringify(fmt)}`);
  const [batch, inH, inW, channels] = x.shape;
  const [kH, kW] = pair(op, 'kernelSize', options.kernelSize, 1);
  const [strideH, strideW] = pair(op, 'strides', options.strides ?? options.kernelSize, 1);
  const [dilationH, dilationW] = pair(op, 'dilations', options.dilations, 1);
  const ceilMode = boolOption(op, 'ceilMode', options.ceilMode, false);
  const countIncludePad = boolOption(op, 'countIncludePad', options.countIncludePad, false);
  const divisorOverride = divisorArg(op, options.divisorOverride);
  const padding = options.padding ?? 'valid';
  if (ceilMode && padding === 'same') {
    throw new ArgumentError(
      `${op}: ceilMode needs 'valid' or explicit padding; 'same' already gives ceil(input / stride) windows`,
    );
  }
  const [outH, padTop] = axisGeometry(op, padding, 0, inH, kH, strideH, dilationH, true, ceilMode);
  const [outW, padLeft] = axisGeometry(op, padding, 1, inW, kW, strideW, dilationW, true, ceilMode);
  checkSize(op, x.backend, [batch, outH, outW, channels], 'float32');
  const dilated = (kH > 1 && dilationH > 1) || (kW > 1 && dilationW > 1);
  const custom = kind === 'avg' && (countIncludePad || divisorOverride !== undefined);
  if (dilated || custom) {
    const axis = (
      a: 0 | 1,
      size: number,
      out: number,
      k: number,
      stride: number,
      dilation: number,
      before: number,
    ): PoolAxis => {
      const after =
        padding === 'same'
          ? Math.max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0) - before
          : explicitAxisPads(op, padding, a)[1];
      return { size, out, k, stride, dilation, before, after };
    };
    const h = axis(0, inH, outH, kH, strideH, dilationH, padTop);
    const w = axis(1, inW, outW, kW, strideW, dilationW, padLeft);
    const divisors = windowDivisors(h, w, countIncludePad, divisorOverride);
    if (dilated) {
      const g = { outH, outW, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft };
      return tapPool(kind, x, g, divisors);
    }
    return tidy(() => {
      const y = poolKernel(op, x, {
        kind,
        batch,
        inH,
        inW,
        channels,
        outH,
        outW,
        kH,
        kW,
        strideH,
        strideW,
        padTop,
        padLeft,
      });
      const factor = averageFactor(h, w, divisors, x);
      return factor ? mul(y, factor) : y;
    });
  }
  return poolKernel(op, x, { kind, batch, inH, inW, channels, outH, outW, kH, kW, strideH, strideW, padTop, padLeft });
}

/** The recorded pool primitive: the backend's kernel or its lowering (padding never wins a max nor counts in an average). */
function poolKernel(op: 'maxPool2d' | 'avgPool2d', x: Tensor, params: Pool2dParams): Tensor {
  const { batch, outH, outW, channels } = params;
  return dispatch(op, [x], { params }, (backend) =>
    backend.pool2d
      ? wrap(backend, backend.pool2d(x.view(), params), [batch, outH, outW, channels], 'float32')
      : lowerings.pool2d(x, params),
  );
}

/** Max pooling over windows; padded cells never win. */
export function maxPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  return pool('max', x, options);
}

/**
 * Average pooling. By default padded cells are not counted in the divisor
 * (TensorFlow, Keras); `countIncludePad` and `divisorOverride` give PyTorch's.
 */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  return pool('avg', x, options);
}

export interface DropoutOptions extends RandomOptions {
  /** When false, dropout is the identity (inference). Default true. */
  training?: boolean;
}

/** Zeroes each element with probability `rate` and scales the rest by 1/(1 − rate) (inverted dropout). */
export function dropout(x: Tensor, rate: number, options: DropoutOptions = {}): Tensor {
  tensorArg('dropout', x, 1, 'x');
  numberArg('dropout', rate, 'rate');
  if (!(rate >= 0 && rate <= 1)) throw new ArgumentError(`dropout: rate must be in [0, 1], got ${rate}`);
  if (options.training === false || rate === 0) return reshape(x, x.shape);
  if (rate === 1) return mul(x, 0);
  return tidy(() => applyDropout(x, rand(x.shape, { seed: options.seed, backend: x.backend }), rate));
}

// x · (u ≥ rate ? 1/(1 − rate) : 0): a product with the mask, as x · mask was, so NaN and
// ±Infinity in dropped elements still give NaN; the mask is never stored.
const APPLY_DROPOUT = [E.mul(E.in(0), E.where(E.b('ge', E.in(1), E.s(0)), E.s(1), E.c(0)))];

/**
 * Inverted dropout with given uniform noise in [0, 1): x · 1/(1 − rate) where noise ≥ rate,
 * else x · 0 (float32; noise broadcasts against x). One kernel forward, and one backward:
 * its gradient is applyDropout(dy, noise, rate), so dropout never materialises its mask.
 */
export function applyDropout(x: Tensor, noise: Tensor, rate: number): Tensor {
  tensorArg('applyDropout', x, 1, 'x');
  tensorArg('applyDropout', noise, 2, 'noise');
  numberArg('applyDropout', rate, 'rate');
  if (!(rate >= 0 && rate < 1)) throw new ArgumentError(`applyDropout: rate must be in [0, 1), got ${rate}`);
  if (noise.dtype !== 'float32') throw new DTypeError(`applyDropout: noise must be float32, got ${noise.dtype}`);
  const shape = shapesEqual(x.shape, noise.shape) ? x.shape : broadcastShapes('applyDropout', x.shape, noise.shape);
  checkSize('applyDropout', x.backend, shape, 'float32');
  return dispatch(
    'applyDropout',
    [x, noise],
    { rate },
    (backend) =>
      runElementwise(backend, APPLY_DROPOUT, [x, noise], [rate, 1 / (1 - rate)], shape, ['float32'], 'applyDropout')[0],
  );
}

/** d(conv2d)/dx for the geometry `params` (used by autograd; NHWC). */
export function conv2dGradInput(dy: Tensor, w: Tensor, params: Conv2dParams): Tensor {
  tensorArg('conv2dGradInput', dy, 1, 'dy');
  tensorArg('conv2dGradInput', w, 2, 'w');
  const { batch, inH, inW, inC } = params;
  return dispatch('conv2dGradInput', [dy, w], { params }, (backend) =>
    backend.conv2dGradInput
      ? wrap(backend, backend.conv2dGradInput(dy.view(), w.view(), params), [batch, inH, inW, inC], 'float32')
      : lowerings.conv2dGradInput(dy, w, params),
  );
}

/** d(conv2d)/dw for the geometry `params` (used by autograd; HWIO). */
export function conv2dGradFilter(x: Tensor, dy: Tensor, params: Conv2dParams): Tensor {
  tensorArg('conv2dGradFilter', x, 1, 'x');
  tensorArg('conv2dGradFilter', dy, 2, 'dy');
  const { kH, kW, inC, outC } = params;
  return dispatch('conv2dGradFilter', [x, dy], { params }, (backend) =>
    backend.conv2dGradFilter
      ? wrap(backend, backend.conv2dGradFilter(x.view(), dy.view(), params), [kH, kW, inC, outC], 'float32')
      : lowerings.conv2dGradFilter(x, dy, params),
  );
}

/** The gradient of max or average pooling with respect to its input (used by autograd). */
export function pool2dGrad(x: Tensor, dy: Tensor, params: Pool2dParams): Tensor {
  tensorArg('pool2dGrad', x, 1, 'x');
  tensorArg('pool2dGrad', dy, 2, 'dy');
  return dispatch('pool2dGrad', [x, dy], { params }, (backend) =>
    backend.pool2dGrad
      ? wrap(backend, backend.pool2dGrad(x.view(), dy.view(), params), x.shape, 'float32')
      : lowerings.pool2dGrad(x, dy, params),
  );
}
