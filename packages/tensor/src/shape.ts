import { AxisError, ShapeError, fmtShape } from './errors';

export type Shape = readonly number[];

/** Number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/** Row-major strides, in elements. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** True when shape + strides describe a dense row-major block (size-1 dims may have any stride). */
export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (strides[i] !== s) return false;
    s *= shape[i];
  }
  return true;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy broadcasting of two shapes; throws a ShapeError naming the op. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else {
      throw new ShapeError(
        `${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together (dimension ${i} of the result: ${da} vs ${db})`,
      );
    }
  }
  return out;
}

/** How error messages show a value the caller passed where something else was expected. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v === 'bigint') return `bigint ${v}n`;
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return `an array ${short(v)}`;
  if (typeof v === 'object') return `${v.constructor?.name ?? 'an object'} ${short(v)}`;
  return `${typeof v} ${String(v)}`;
}

function short(v: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * Resolves a possibly negative axis against a rank; throws an AxisError naming the op.
 * A string, NaN or fraction is refused rather than coerced: '1' would otherwise pass the
 * range test by JavaScript coercion and reach a kernel as a string.
 */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis)) {
    throw new AxisError(`${op}: axis must be an integer, got ${describeValue(axis)}`);
  }
  if (axis < -rank || axis >= rank) {
    throw new AxisError(
      `${op}: axis ${axis} is out of range for a tensor of rank ${rank} (expected ${-rank} to ${rank - 1})`,
    );
  }
  return axis < 0 ? axis + rank : axis;
}

/** Resolves an axis list (undefined = all axes), sorted and checked for repeats. */
export function normalizeAxes(op: string, axes: number | readonly number[] | undefined | null, rank: number): number[] {
  if (axes === undefined || axes === null) return Array.from({ length: rank }, (_, i) => i);
  if (typeof axes === 'number') return [normalizeAxis(op, axes, rank)];
  if (!Array.isArray(axes)) {
    throw new AxisError(`${op}: axes must be an integer or an array of integers, got ${describeValue(axes)}`);
  }
  const out = axes.map((a) => normalizeAxis(op, a, rank)).sort((x, y) => x - y);
  // Sorted, a repeat is a neighbour (no Set: reductions run this on every call).
  for (let i = 1; i < out.length; i++) {
    if (out[i] === out[i - 1])
      throw new AxisError(`${op}: axis ${out[i]} appears more than once in ${JSON.stringify(axes)}`);
  }
  return out;
}

/** Checks that a shape is a list of non-negative integers (NaN, Infinity, fractions and strings are refused). */
export function checkShape(op: string, shape: readonly number[]): number[] {
  if (!Array.isArray(shape))
    throw new ShapeError(`${op}: shape must be an array of integers, got ${describeValue(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(
        `${op}: shape ${fmtDims(shape)} has an invalid dimension ${typeof d === 'string' ? JSON.stringify(d) : String(d)}; dimensions are integers >= 0`,
      );
    }
  }
  return shape.slice();
}

/** A shape as the caller wrote it; JSON.stringify would print NaN and Infinity as null. */
function fmtDims(shape: readonly unknown[]): string {
  return `[${shape.map((d) => (typeof d === 'string' ? JSON.stringify(d) : String(d))).join(',')}]`;
}
