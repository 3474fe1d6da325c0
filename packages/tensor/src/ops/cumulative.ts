import type { DType } from '../dtype';
import { dispatch } from '../engine';
import { tidy } from '../memory';
import { normalizeAxis } from '../shape';
import type { Tensor } from '../tensor';
import { add, cast, mul } from './elementwise';
import { boolOption, checkOptions } from './options';
import { pad, reshape, slice } from './shape';
import { unrecorded } from './unrecorded';

/**
 * Cumulative sums and products along an axis, composed from pad, slice and one
 * elementwise op, so every backend has them without a kernel of its own. A
 * log-step (Hillis–Steele) scan: step s adds (multiplies) each element with the
 * partial result s places before it, for s = 1, 2, 4 …, so an axis of n costs
 * ceil(log2 n) steps of one pad and one add over the whole tensor
 * (O(size·log n) work; each element's result is a tree of its prefix, so float32
 * rounding grows with log n, not n).
 */

export interface CumulativeOptions {
  /** Leave each element out of its own result: [a, b, c] → [0, a, a+b] (1, a, a·b for cumprod). As TensorFlow. */
  exclusive?: boolean;
  /** Accumulate from the end of the axis: [a, b, c] → [a+b+c, b+c, c]. As TensorFlow. */
  reverse?: boolean;
}

interface Scan {
  axis: number;
  exclusive: boolean;
  reverse: boolean;
  /** The rank-0 input, whose only axis is a temporary one (PyTorch accepts axis 0 or -1 there). */
  scalar: boolean;
}

/** Checks the arguments; a 0-d tensor is scanned as one element (axis 0 or -1). */
function scanArgs(op: string, x: Tensor, axis: number, options: CumulativeOptions): Scan {
  checkOptions(op, options, ['exclusive', 'reverse']);
  const exclusive = boolOption(op, 'exclusive', options.exclusive, false);
  const reverse = boolOption(op, 'reverse', options.reverse, false);
  const scalar = x.rank === 0;
  const a = normalizeAxis(op, axis, Math.max(x.rank, 1));
  return { axis: a, exclusive, reverse, scalar };
}

/** bool and int32 accumulate in int32, float32 in float32 (PyTorch's rule, with int32 for its int64). */
const scanType = (t: DType): DType => (t === 'float32' ? 'float32' : 'int32');

/**
 * `x` shifted by `s` places along `axis` (towards the end, or the start when
 * `reverse`), with `fill` in the places left empty: a slice and one pad.
 */
function shifted(x: Tensor, axis: number, s: number, reverse: boolean, fill: number): Tensor {
  const n = x.shape[axis];
  const begin = x.shape.map(() => 0 as number | null);
  const end = x.shape.map(() => null as number | null);
  if (reverse) begin[axis] = s;
  else end[axis] = n - s;
  const pads = x.shape.map((): [number, number] => [0, 0]);
  pads[axis] = reverse ? [0, s] : [s, 0];
  return pad(slice(x, begin, end), pads, fill);
}

/** The scan itself, from recorded ops (so cumprod differentiates through it). */
function scan(x: Tensor, sc: Scan, kind: 'sum' | 'prod'): Tensor {
  const combine = kind === 'sum' ? add : mul;
  const identity = kind === 'sum' ? 0 : 1;
  const v = sc.scalar ? reshape(x, [1]) : x;
  const n = v.shape[sc.axis];
  let y = v.dtype === scanType(v.dtype) ? v : cast(v, scanType(v.dtype));
  if (sc.exclusive && n > 0) y = shifted(y, sc.axis, 1, sc.reverse, identity);
  for (let s = 1; s < n; s *= 2) y = combine(y, shifted(y, sc.axis, s, sc.reverse, identity));
  // A fresh tensor even where no step ran (n <= 1), so the result never aliases x's handle.
  return sc.scalar ? reshape(y, []) : y === x ? reshape(y, y.shape) : y;
}

/**
 * Cumulative sum along `axis` (PyTorch's torch.cumsum, with TensorFlow's
 * `exclusive` and `reverse`). bool and int32 give int32, float32 float32.
 * Recorded as one op: its gradient is the cumulative sum of the cotangent in
 * the other direction.
 */
export function cumsum(x: Tensor, axis: number, options: CumulativeOptions = {}): Tensor {
  const sc = scanArgs('cumsum', x, axis, options);
  const attrs = { axis: sc.scalar ? 0 : sc.axis, exclusive: sc.exclusive, reverse: sc.reverse };
  return dispatch('cumsum', [x], attrs, () => unrecorded(() => scan(x, sc, 'sum')));
}

/**
 * Cumulative product along `axis` (torch.cumprod, with TensorFlow's `exclusive`
 * and `reverse`). bool and int32 give int32, float32 float32. Composed from
 * recorded multiplies, so its gradient is exact with zeros in the input (no
 * division by x); the backward pass keeps the log2(n) partial products.
 */
export function cumprod(x: Tensor, axis: number, options: CumulativeOptions = {}): Tensor {
  const sc = scanArgs('cumprod', x, axis, options);
  return tidy(() => scan(x, sc, 'prod'));
}
