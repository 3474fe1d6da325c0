import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors';
import type { Tensor } from '../tensor';
import { tensorArg } from './internal';

/**
 * The window geometry that convolutions and pools share: option pairs, padding
 * specs and the output size and leading pad of one spatial axis.
 */

export type Padding2d =
  | 'valid'
  | 'same'
  | number
  | readonly [number, number]
  | readonly [readonly [number, number], readonly [number, number]];
export type DataFormat = 'NHWC' | 'NCHW';

/** A [h, w] option given as one number or a pair; every entry a positive integer. */
export function pair(
  op: string,
  name: string,
  v: number | readonly [number, number] | undefined,
  dflt: number,
): [number, number] {
  const p: [number, number] =
    v === undefined
      ? [dflt, dflt]
      : typeof v === 'number'
        ? [v, v]
        : Array.isArray(v) && v.length === 2
          ? [v[0], v[1]]
          : [NaN, NaN];
  if (!p.every((n) => Number.isInteger(n) && n >= 1))
    throw new ArgumentError(`${op}: ${name} must be positive integers, got ${JSON.stringify(v)}`);
  return p;
}

/**
 * Output size and leading pad of one spatial axis. Pools pass `pool`: a pad
 * as large as the window would make a window of padding only (max of
 * nothing, mean over zero elements), so it is refused as PyTorch does.
 * `ceilMode` (pools, PyTorch's rule) rounds the window count up, but drops a
 * last window that would start in the trailing padding.
 */
export function axisGeometry(
  op: string,
  padding: Padding2d,
  axis: 0 | 1,
  size: number,
  k: number,
  stride: number,
  dilation: number,
  pool = false,
  ceilMode = false,
): [number, number] {
  const eff = (k - 1) * dilation + 1;
  if (padding === 'same') {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + eff - size, 0);
    return [out, Math.floor(total / 2)];
  }
  const [before, after] = explicitAxisPads(op, padding, axis);
  if (pool && (before >= k || after >= k)) {
    throw new ArgumentError(
      `${op}: padding ${before}+${after} must be smaller than the window ${k} on axis ${axis === 0 ? 'H' : 'W'}, or some windows would hold padding only`,
    );
  }
  const span = size + before + after - eff;
  if (span < 0) {
    throw new ShapeError(
      `${op}: a window of ${eff} (kernel ${k}, dilation ${dilation}) does not fit an input of ${size} with padding ${before}+${after}`,
    );
  }
  let out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  if (ceilMode && (out - 1) * stride >= size + before) out--;
  return [out, before];
}

/** The [before, after] cells of explicit padding on one axis ('valid' is none); 'same' is not explicit. */
export function explicitAxisPads(op: string, padding: Padding2d, axis: 0 | 1): [number, number] {
  let before: number;
  let after: number;
  if (padding === 'valid') {
    before = after = 0;
  } else if (typeof padding === 'number') {
    before = after = padding;
  } else if (Array.isArray(padding) && padding.length === 2 && typeof padding[0] === 'number') {
    before = after = (padding as readonly [number, number])[axis];
  } else if (
    Array.isArray(padding) &&
    padding.length === 2 &&
    padding.every((p) => Array.isArray(p) && p.length === 2)
  ) {
    [before, after] = (padding as readonly (readonly [number, number])[])[axis];
  } else {
    throw new ArgumentError(
      `${op}: padding must be 'valid', 'same', a number or pairs, got ${JSON.stringify(padding)}`,
    );
  }
  if (!Number.isInteger(before) || !Number.isInteger(after) || before < 0 || after < 0) {
    throw new ArgumentError(`${op}: padding must be integers >= 0, got ${JSON.stringify(padding)}`);
  }
  return [before, after];
}

/**
 * The cells past the input that the last window reaches on one axis: positive
 * for trailing padding (or a ceil-mode window's overhang), negative where the
 * input's last cells are read by no window.
 */
export function trailingReach(
  size: number,
  out: number,
  before: number,
  k: number,
  stride: number,
  dilation: number,
): number {
  return (out - 1) * stride + (k - 1) * dilation + 1 - size - before;
}

/** A float32 4-D tensor argument (image or filter). */
export function check4d(op: string, x: Tensor, what: string, position = what === 'filter' ? 2 : 1): void {
  tensorArg(op, x, position, what);
  if (x.rank !== 4) throw new ShapeError(`${op}: ${what} must be 4-D, got shape ${fmtShape(x.shape)}`);
  if (x.dtype !== 'float32') throw new DTypeError(`${op}: ${what} must be float32, got ${x.dtype}`);
}

/** The `groups` option: a positive integer dividing both channel counts. */
export function groupsArg(
  op: string,
  groups: unknown,
  inC: number,
  outC: number,
  xShape: readonly number[],
  wShape: readonly number[],
): number {
  if (groups === undefined) return 1;
  if (typeof groups !== 'number' || !Number.isInteger(groups) || groups < 1) {
    throw new ArgumentError(`${op}: groups must be a positive integer, got ${JSON.stringify(groups)}`);
  }
  if (inC % groups !== 0 || outC % groups !== 0) {
    throw new ShapeError(
      `${op}: groups ${groups} must divide the input channels ${inC} and the output channels ${outC} (input ${fmtShape(xShape)}, filter ${fmtShape(wShape)})`,
    );
  }
  return groups;
}
