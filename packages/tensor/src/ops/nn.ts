import type { Conv2dParams, Pool2dParams } from '../backend';
import { dispatch, wrap } from '../engine';
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors';
import { E } from '../expr';
import { tidy } from '../memory';
import { broadcastShapes, normalizeAxis, shapesEqual } from '../shape';
import type { Tensor } from '../tensor';
import { rand, type RandomOptions } from './creation';
import { cast, mul } from './elementwise';
import { checkSize, numberArg, runElementwise, tensorArg } from './internal';
import { reshape, transpose } from './shape';

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
  return dispatch(op, [x], undefined, (backend) => wrap(backend, backend.softmax(x.view(), log), x.shape, 'float32'));
}

export type Padding2d = 'valid' | 'same' | number | readonly [number, number] | readonly [readonly [number, number], readonly [number, number]];
export type DataFormat = 'NHWC' | 'NCHW';

export interface Conv2dOptions {
  strides?: number | readonly [number, number];
  /** 'valid' (none), 'same' (output = ceil(input / stride), as TensorFlow), or explicit cells. */
  padding?: Padding2d;
  dilations?: number | readonly [number, number];
  /**
   * 'NHWC' (default; Keras and TensorFlow.js): x [N,H,W,C], filter [kH,kW,C,O].
   * 'NCHW' (PyTorch): x [N,C,H,W], filter [O,C,kH,kW].
   */
  dataFormat?: DataFormat;
}

function pair(op: string, name: string, v: number | readonly [number, number] | undefined, dflt: number): [number, number] {
  const p: [number, number] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((n) => Number.isInteger(n) && n >= 1)) throw new ArgumentError(`${op}: ${name} must be positive integers, got ${JSON.stringify(v)}`);
  return p;
}

/**
 * Output size and leading pad of one spatial axis. Pools pass `pool`: a pad
 * as large as the window would make a window of padding only (max of
 * nothing, mean over zero elements), so it is refused as PyTorch does.
 */
function axisGeometry(op: string, padding: Padding2d, axis: 0 | 1, size: number, k: number, stride: number, dilation: number, pool = false): [number, number] {
  const eff = (k - 1) * dilation + 1;
  if (padding === 'same') {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + eff - size, 0);
    return [out, Math.floor(total / 2)];
  }
  let before = 0;
  let after = 0;
  if (padding === 'valid') {
    before = after = 0;
  } else if (typeof padding === 'number') {
    before = after = padding;
  } else if (Array.isArray(padding) && typeof padding[0] === 'number') {
    before = after = (padding as readonly [number, number])[axis];
  } else if (Array.isArray(padding)) {
    [before, after] = (padding as readonly (readonly [number, number])[])[axis];
  } else {
    throw new ArgumentError(`${op}: padding must be 'valid', 'same', a number or pairs, got ${JSON.stringify(padding)}`);
  }
  if (!Number.isInteger(before) || !Number.isInteger(after) || before < 0 || after < 0) {
    throw new ArgumentError(`${op}: padding must be integers >= 0, got ${JSON.stringify(padding)}`);
  }
  if (pool && (before >= k || after >= k)) {
    throw new ArgumentError(`${op}: padding ${before}+${after} must be smaller than the window ${k} on axis ${axis === 0 ? 'H' : 'W'}, or some windows would hold padding only`);
  }
  const out = Math.floor((size + before + after - eff) / stride) + 1;
  if (out <= 0) {
    throw new ShapeError(`${op}: a window of ${eff} (kernel ${k}, dilation ${dilation}) does not fit an input of ${size} with padding ${before}+${after}`);
  }
  return [out, before];
}

function check4d(op: string, x: Tensor, what: string): void {
  tensorArg(op, x, what === 'filter' ? 2 : 1, what);
  if (x.rank !== 4) throw new ShapeError(`${op}: ${what} must be 4-D, got shape ${fmtShape(x.shape)}`);
  if (x.dtype !== 'float32') throw new DTypeError(`${op}: ${what} must be float32, got ${x.dtype}`);
}

/** 2-D convolution (cross-correlation, as every framework), with stride, padding and dilation. */
export function conv2d(x: Tensor, w: Tensor, options: Conv2dOptions = {}): Tensor {
  const fmt = options.dataFormat ?? 'NHWC';
  if (fmt === 'NCHW') {
    check4d('conv2d', x, 'input');
    check4d('conv2d', w, 'filter');
    // Checked here so the message shows the NCHW / OIHW shapes the caller passed.
    if (x.shape[1] !== w.shape[1]) {
      throw new ShapeError(`conv2d: NCHW input ${fmtShape(x.shape)} has ${x.shape[1]} channels but OIHW filter ${fmtShape(w.shape)} expects ${w.shape[1]}`);
    }
    return tidy(() =>
      transpose(conv2d(transpose(x, [0, 2, 3, 1]), transpose(w, [2, 3, 1, 0]), { ...options, dataFormat: 'NHWC' }), [0, 3, 1, 2]),
    );
  }
  if (fmt !== 'NHWC') throw new ArgumentError(`conv2d: dataFormat must be 'NHWC' or 'NCHW', got ${JSON.stringify(fmt)}`);
  check4d('conv2d', x, 'input');
  check4d('conv2d', w, 'filter');
  const [batch, inH, inW, inC] = x.shape;
  const [kH, kW, wC, outC] = w.shape;
  if (wC !== inC) {
    throw new ShapeError(`conv2d: input ${fmtShape(x.shape)} has ${inC} channels but filter ${fmtShape(w.shape)} expects ${wC}`);
  }
  const [strideH, strideW] = pair('conv2d', 'strides', options.strides, 1);
  const [dilationH, dilationW] = pair('conv2d', 'dilations', options.dilations, 1);
  const padding = options.padding ?? 'valid';
  const [outH, padTop] = axisGeometry('conv2d', padding, 0, inH, kH, strideH, dilationH);
  const [outW, padLeft] = axisGeometry('conv2d', padding, 1, inW, kW, strideW, dilationW);
  const params: Conv2dParams = { batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft };
  checkSize('conv2d', x.backend, [batch, outH, outW, outC], 'float32');
  return dispatch('conv2d', [x, w], { params }, (backend) =>
    wrap(backend, backend.conv2d(x.view(), w.view(), params), [batch, outH, outW, outC], 'float32'),
  );
}

export interface Pool2dOptions {
  kernelSize: number | readonly [number, number];
  /** Defaults to the kernel size (PyTorch and Keras). */
  strides?: number | readonly [number, number];
  padding?: Padding2d;
  dataFormat?: DataFormat;
}

function pool(kind: 'max' | 'avg', x: Tensor, options: Pool2dOptions): Tensor {
  const op = kind === 'max' ? 'maxPool2d' : 'avgPool2d';
  if (options === null || typeof options !== 'object') throw new ArgumentError(`${op}: options must be an object with kernelSize, got ${String(options)}`);
  const fmt = options.dataFormat ?? 'NHWC';
  check4d(op, x, 'input');
  if (fmt === 'NCHW') {
    return tidy(() => transpose(pool(kind, transpose(x, [0, 2, 3, 1]), { ...options, dataFormat: 'NHWC' }), [0, 3, 1, 2]));
  }
  if (fmt !== 'NHWC') throw new ArgumentError(`${op}: dataFormat must be 'NHWC' or 'NCHW', got ${JSON.stringify(fmt)}`);
  const [batch, inH, inW, channels] = x.shape;
  const [kH, kW] = pair(op, 'kernelSize', options.kernelSize, 1);
  const [strideH, strideW] = pair(op, 'strides', options.strides ?? options.kernelSize, 1);
  const padding = options.padding ?? 'valid';
  const [outH, padTop] = axisGeometry(op, padding, 0, inH, kH, strideH, 1, true);
  const [outW, padLeft] = axisGeometry(op, padding, 1, inW, kW, strideW, 1, true);
  const params: Pool2dParams = { kind, batch, inH, inW, channels, outH, outW, kH, kW, strideH, strideW, padTop, padLeft };
  checkSize(op, x.backend, [batch, outH, outW, channels], 'float32');
  return dispatch(op, [x], { params }, (backend) =>
    wrap(backend, backend.pool2d(x.view(), params), [batch, outH, outW, channels], 'float32'),
  );
}

/** Max pooling over windows; padded cells never win. */
export function maxPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  return pool('max', x, options);
}

/** Average pooling; padded cells are not counted in the divisor. */
export function avgPool2d(x: Tensor, options: Pool2dOptions): Tensor {
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
  return dispatch('applyDropout', [x, noise], { rate }, (backend) =>
    runElementwise(backend, APPLY_DROPOUT, [x, noise], [rate, 1 / (1 - rate)], shape, ['float32'], 'applyDropout')[0],
  );
}

/** d(conv2d)/dx for the geometry `params` (used by autograd; NHWC). */
export function conv2dGradInput(dy: Tensor, w: Tensor, params: Conv2dParams): Tensor {
  tensorArg('conv2dGradInput', dy, 1, 'dy');
  tensorArg('conv2dGradInput', w, 2, 'w');
  const { batch, inH, inW, inC } = params;
  return dispatch('conv2dGradInput', [dy, w], { params }, (backend) =>
    wrap(backend, backend.conv2dGradInput(dy.view(), w.view(), params), [batch, inH, inW, inC], 'float32'),
  );
}

/** d(conv2d)/dw for the geometry `params` (used by autograd; HWIO). */
export function conv2dGradFilter(x: Tensor, dy: Tensor, params: Conv2dParams): Tensor {
  tensorArg('conv2dGradFilter', x, 1, 'x');
  tensorArg('conv2dGradFilter', dy, 2, 'dy');
  const { kH, kW, inC, outC } = params;
  return dispatch('conv2dGradFilter', [x, dy], { params }, (backend) =>
    wrap(backend, backend.conv2dGradFilter(x.view(), dy.view(), params), [kH, kW, inC, outC], 'float32'),
  );
}

/** The gradient of max or average pooling with respect to its input (used by autograd). */
export function pool2dGrad(x: Tensor, dy: Tensor, params: Pool2dParams): Tensor {
  tensorArg('pool2dGrad', x, 1, 'x');
  tensorArg('pool2dGrad', dy, 2, 'dy');
  return dispatch('pool2dGrad', [x, dy], { params }, (backend) =>
    wrap(backend, backend.pool2dGrad(x.view(), dy.view(), params), x.shape, 'float32'),
  );
}
