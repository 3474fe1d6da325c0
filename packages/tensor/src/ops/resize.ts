import { ArgumentError, ShapeError, fmtShape } from '../errors';
import { tidy } from '../memory';
import type { Tensor } from '../tensor';
import { tensor } from './creation';
import { add, cast, mul, sub } from './elementwise';
import { checkSize, tensorArg } from './internal';
import { boolOption, checkOptions } from './options';
import { gather, reshape } from './shape';

export interface ResizeOptions {
  /**
   * Map the corner pixels of input and output onto each other (scale
   * (in − 1) / (out − 1)), as TensorFlow's align_corners. Default false.
   */
  alignCorners?: boolean;
  /**
   * Sample at pixel centres ((o + 0.5) · scale − 0.5 for bilinear), as
   * TensorFlow 2's default resize and PyTorch's align_corners=False. Default
   * false (TensorFlow 1's and TensorFlow.js' default). Not with alignCorners.
   */
  halfPixelCenters?: boolean;
}

const OPTIONS = ['alignCorners', 'halfPixelCenters'];

/**
 * Nearest-neighbour resize of NHWC images (or one HWC image) to [h, w], with
 * TensorFlow's (and TensorFlow.js') index rule: source = floor(o · scale),
 * round(o · scale) with alignCorners, floor((o + 0.5) · scale) with
 * halfPixelCenters, clamped to the input. Two gathers (rows, then columns),
 * so autograd's gather rule gives the gradient (a scatter-add) on every
 * backend. Keeps the input's dtype.
 */
export function resizeNearest(x: Tensor, size: readonly [number, number], options: ResizeOptions = {}): Tensor {
  const op = 'resizeNearest';
  const [inH, inW, outH, outW, ac, hp] = checkResize(op, x, size, options);
  return tidy(() => {
    const on = { backend: x.backend };
    const rows = tensor(nearestIndices(inH, outH, ac, hp), [outH], 'int32', on);
    const cols = tensor(nearestIndices(inW, outW, ac, hp), [outW], 'int32', on);
    const axis = x.rank - 3;
    return gather(gather(x, rows, axis), cols, axis + 1);
  });
}

/**
 * Bilinear resize of NHWC images (or one HWC image) to [h, w], TensorFlow's
 * rule: source s = o · scale (or (o + 0.5) · scale − 0.5 with
 * halfPixelCenters), neighbours max(floor(s), 0) and min(ceil(s), in − 1),
 * weight s − floor(s); columns are interpolated first, then rows, as
 * TensorFlow does. Composed of gathers and elementwise ops (the weights are
 * constants computed on the host), so it differentiates on every backend.
 * Returns float32.
 */
export function resizeBilinear(x: Tensor, size: readonly [number, number], options: ResizeOptions = {}): Tensor {
  const op = 'resizeBilinear';
  const [inH, inW, outH, outW, ac, hp] = checkResize(op, x, size, options);
  return tidy(() => {
    const axis = x.rank - 3;
    const xf = x.dtype === 'float32' ? x : cast(x, 'float32');
    const alongCols = lerpAxis(xf, axis + 1, bilinearTaps(inW, outW, ac, hp));
    return lerpAxis(alongCols, axis, bilinearTaps(inH, outH, ac, hp));
  });
}

function checkResize(
  op: string,
  x: Tensor,
  size: readonly [number, number],
  options: ResizeOptions,
): [number, number, number, number, boolean, boolean] {
  tensorArg(op, x, 1, 'x');
  checkOptions(op, options, OPTIONS);
  const ac = boolOption(op, 'alignCorners', options.alignCorners, false);
  const hp = boolOption(op, 'halfPixelCenters', options.halfPixelCenters, false);
  if (ac && hp)
    throw new ArgumentError(`${op}: alignCorners and halfPixelCenters cannot both be true (TensorFlow refuses it too)`);
  if (x.rank !== 4 && x.rank !== 3)
    throw new ShapeError(`${op}: x must be NHWC [N,H,W,C] or HWC [H,W,C], got shape ${fmtShape(x.shape)}`);
  if (!Array.isArray(size) || size.length !== 2 || !size.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ArgumentError(`${op}: size must be [height, width], two positive integers, got ${JSON.stringify(size)}`);
  }
  const inH = x.shape[x.rank - 3];
  const inW = x.shape[x.rank - 2];
  if (inH === 0 || inW === 0) throw new ShapeError(`${op}: x ${fmtShape(x.shape)} has no pixels to resize from`);
  const outShape = [...x.shape.slice(0, x.rank - 3), size[0], size[1], x.shape[x.rank - 1]];
  checkSize(op, x.backend, outShape, x.dtype);
  return [inH, inW, size[0], size[1], ac, hp];
}

/** TensorFlow's source-to-output scale for one axis. */
function scaleOf(inSize: number, outSize: number, alignCorners: boolean): number {
  return alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
}

function nearestIndices(inSize: number, outSize: number, alignCorners: boolean, halfPixel: boolean): Int32Array {
  const scale = scaleOf(inSize, outSize, alignCorners);
  const idx = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const src = halfPixel ? scale * (o + 0.5) : scale * o;
    const i = Math.min(inSize - 1, alignCorners ? Math.round(src) : Math.floor(src));
    idx[o] = halfPixel ? Math.max(0, i) : i;
  }
  return idx;
}

interface Taps {
  lo: Int32Array;
  hi: Int32Array;
  frac: Float32Array;
}

function bilinearTaps(inSize: number, outSize: number, alignCorners: boolean, halfPixel: boolean): Taps {
  const scale = scaleOf(inSize, outSize, alignCorners);
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const src = halfPixel ? scale * (o + 0.5) - 0.5 : scale * o;
    const fl = Math.floor(src);
    lo[o] = Math.max(fl, 0);
    hi[o] = Math.min(Math.ceil(src), inSize - 1);
    frac[o] = src - fl;
  }
  return { lo, hi, frac };
}

/** lo + (hi − lo) · frac along one axis; one gather where no output needs a second neighbour. */
function lerpAxis(x: Tensor, axis: number, taps: Taps): Tensor {
  const n = taps.lo.length;
  const on = { backend: x.backend };
  const lo = gather(x, tensor(taps.lo, [n], 'int32', on), axis);
  if (taps.frac.every((f, i) => f === 0 || taps.lo[i] === taps.hi[i])) return lo;
  const hi = gather(x, tensor(taps.hi, [n], 'int32', on), axis);
  const shape = x.shape.map((_, i) => (i === axis ? n : 1));
  const frac = reshape(tensor(taps.frac, [n], 'float32', on), shape);
  return add(lo, mul(sub(hi, lo), frac));
}
