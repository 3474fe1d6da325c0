import { ArgumentError } from '../errors';
import { tidy } from '../memory';
import type { Tensor } from '../tensor';
import { tensor } from './creation';
import { add, div, maximum } from './elementwise';
import { type WindowGeometry, windowTaps } from './window-taps';

/**
 * The pooling options the backends' pool kernels do not take (dilated
 * windows, a divisor that counts padding or is given), lowered onto what
 * they do take: a per-window factor on the kernel's average, or a reference
 * lowering over window taps. ceilMode needs neither: it only lengthens the
 * output, and the kernels already clip windows at the input's edge.
 */

/** One spatial axis of a pool: the window positions and how much padding surrounds the input. */
export interface PoolAxis {
  size: number;
  out: number;
  k: number;
  stride: number;
  dilation: number;
  /** Padding cells before and after the input (the latter excludes a ceil-mode window's overhang). */
  before: number;
  after: number;
}

/** The `divisorOverride` option of avgPool2d: a positive integer (PyTorch takes an int ≠ 0). */
export function divisorArg(op: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new ArgumentError(`${op}: divisorOverride must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

/** How many taps of each window land in [lo, hi) (input coordinates). */
function tapsWithin(a: PoolAxis, lo: number, hi: number): number[] {
  const counts: number[] = [];
  for (let o = 0; o < a.out; o++) {
    let n = 0;
    for (let j = 0; j < a.k; j++) {
      const p = o * a.stride - a.before + j * a.dilation;
      if (p >= lo && p < hi) n++;
    }
    counts.push(n);
  }
  return counts;
}

/**
 * The divisor of each window [outH·outW]: `override`, or its taps inside the
 * padded input (countIncludePad, PyTorch's rule: padding counts, a ceil-mode
 * overhang does not), or inside the input itself (the kernels' default).
 */
export function windowDivisors(
  h: PoolAxis,
  w: PoolAxis,
  countIncludePad: boolean,
  override: number | undefined,
): Float32Array {
  const d = new Float32Array(h.out * w.out);
  if (override !== undefined) return d.fill(override);
  const ch = countIncludePad ? tapsWithin(h, -h.before, h.size + h.after) : tapsWithin(h, 0, h.size);
  const cw = countIncludePad ? tapsWithin(w, -w.before, w.size + w.after) : tapsWithin(w, 0, w.size);
  for (let i = 0; i < h.out; i++) for (let j = 0; j < w.out; j++) d[i * w.out + j] = ch[i] * cw[j];
  return d;
}

/**
 * The factor [1,outH,outW,1] that turns the kernel's average (over the
 * window's cells inside the input) into the sum over `divisors`, or null where
 * they agree everywhere. A product with a constant, so the kernel's gradient
 * stays in use.
 */
export function averageFactor(h: PoolAxis, w: PoolAxis, divisors: Float32Array, x: Tensor): Tensor | null {
  const valid = windowDivisors(h, w, false, undefined);
  const f = new Float32Array(valid.length);
  let same = true;
  for (let i = 0; i < f.length; i++) {
    f[i] = valid[i] / divisors[i];
    if (f[i] !== 1) same = false;
  }
  return same ? null : tensor(f, [1, h.out, w.out, 1], 'float32', { backend: x.backend });
}

/**
 * A pool over dilated windows of x [N,H,W,C] as taps (window-taps.ts): max
 * over views of x padded with −∞ (ties go to the earlier tap, as the kernels
 * take the first maximum), or the sum over zero-padded views divided by
 * `divisors`. kH·kW elementwise passes over the output.
 */
export function tapPool(kind: 'max' | 'avg', x: Tensor, g: WindowGeometry, divisors: Float32Array): Tensor {
  return tidy(() => {
    const taps = windowTaps(x, g, kind === 'max' ? -Infinity : 0);
    let acc = taps[0];
    for (let t = 1; t < taps.length; t++) acc = kind === 'max' ? maximum(acc, taps[t]) : add(acc, taps[t]);
    if (kind === 'max') return acc;
    return div(acc, tensor(divisors, [1, g.outH, g.outW, 1], 'float32', { backend: x.backend }));
  });
}
