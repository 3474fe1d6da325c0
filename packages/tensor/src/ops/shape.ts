import { promoteTypes } from '../dtype';
import { dispatch, view, wrap } from '../engine';
import { ArgumentError, AxisError, DTypeError, ShapeError, fmtShape } from '../errors';
import { tidy } from '../memory';
import {
  broadcastShapes,
  checkShape,
  contiguousStrides,
  describeValue,
  isContiguous,
  normalizeAxes,
  normalizeAxis,
  shapesEqual,
  sizeOf,
} from '../shape';
import type { Tensor } from '../tensor';
import { arange } from './creation';
import { cast, eq } from './elementwise';
import { type IndexCheck, checkIndexRange, noteGatheredFrom } from './index-range';
import { broadcastView, checkSize, copyContiguous, tensorArg } from './internal';

/**
 * Shape and movement ops. Reshape, transpose, broadcast and slice are views:
 * new shape/strides/offset over the same storage. Concat, pad and gather copy.
 */

/** Array.isArray without narrowing a readonly parameter's type (a runtime check of what JS callers pass). */
const isList = (v: unknown): boolean => Array.isArray(v);

function resolveShape(op: string, x: Tensor, shape: readonly number[]): number[] {
  tensorArg(op, x, 1, 'x');
  if (!isList(shape)) throw new ShapeError(`${op}: shape must be an array of integers, got ${describeValue(shape)}`);
  const out = shape.slice();
  const neg = out.indexOf(-1);
  if (neg !== out.lastIndexOf(-1)) {
    throw new ShapeError(
      `${op}: only one dimension can be -1, got ${fmtShape(shape)} for a tensor of shape ${fmtShape(x.shape)}`,
    );
  }
  if (neg >= 0) {
    const rest = sizeOf(out.filter((_, i) => i !== neg));
    if (rest === 0 || x.size % rest !== 0) {
      throw new ShapeError(
        `${op}: cannot reshape a tensor of shape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(shape)}`,
      );
    }
    out[neg] = x.size / rest;
  }
  checkShape(op, out);
  if (sizeOf(out) !== x.size) {
    throw new ShapeError(
      `${op}: cannot reshape a tensor of shape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(shape)} (${sizeOf(out)} elements)`,
    );
  }
  return out;
}

/** Same values, new shape (one dimension may be -1). A view when the tensor is contiguous, else a copy. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = resolveShape('reshape', x, shape);
  return dispatch('reshape', [x], { from: x.shape }, () => {
    if (isContiguous(x.shape, x.strides)) return view(x, s, contiguousStrides(s), x.offset);
    const c = copyContiguous(x);
    const r = view(c, s, contiguousStrides(s), 0);
    c.dispose();
    return r;
  });
}

/** Flattens axes startAxis..endAxis (inclusive) into one; by default everything into 1-D. */
export function flatten(x: Tensor, startAxis = 0, endAxis = -1): Tensor {
  tensorArg('flatten', x, 1, 'x');
  if (x.rank === 0) return reshape(x, [1]);
  const a = normalizeAxis('flatten', startAxis, x.rank);
  const b = normalizeAxis('flatten', endAxis, x.rank);
  if (a > b) throw new AxisError(`flatten: startAxis ${startAxis} comes after endAxis ${endAxis}`);
  const shape = [...x.shape.slice(0, a), sizeOf(x.shape.slice(a, b + 1)), ...x.shape.slice(b + 1)];
  return reshape(x, shape);
}

/** Removes size-1 axes (all of them, or the given ones, which must have size 1). */
export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  tensorArg('squeeze', x, 1, 'x');
  let drop: Set<number>;
  if (axes === undefined) {
    drop = new Set(x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0));
  } else {
    drop = new Set(normalizeAxes('squeeze', axes, x.rank));
    for (const a of drop) {
      if (x.shape[a] !== 1)
        throw new ShapeError(`squeeze: axis ${a} of shape ${fmtShape(x.shape)} has size ${x.shape[a]}, not 1`);
    }
  }
  return reshape(
    x,
    x.shape.filter((_, i) => !drop.has(i)),
  );
}

/** Inserts a size-1 axis at `axis` (-1 appends). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  tensorArg('unsqueeze', x, 1, 'x');
  if (!Number.isInteger(axis)) throw new AxisError(`unsqueeze: axis must be an integer, got ${describeValue(axis)}`);
  // The new axis may go at any of rank + 1 positions; say so rather than quoting rank + 1 as the tensor's rank.
  if (!Number.isInteger(axis) || axis < -(x.rank + 1) || axis > x.rank) {
    throw new AxisError(
      `unsqueeze: axis ${axis} is out of range for inserting into a tensor of shape ${fmtShape(x.shape)} (expected ${-(x.rank + 1)} to ${x.rank})`,
    );
  }
  const a = normalizeAxis('unsqueeze', axis, x.rank + 1);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

/** Permutes axes (reverses them by default, as NumPy). A view. */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  tensorArg('transpose', x, 1, 'x');
  if (perm !== undefined && !isList(perm))
    throw new AxisError(`transpose: perm must be an array of axes, got ${describeValue(perm)}`);
  const p = perm ? perm.map((a) => normalizeAxis('transpose', a, x.rank)) : x.shape.map((_, i) => x.rank - 1 - i);
  if (p.length !== x.rank || new Set(p).size !== p.length) {
    throw new AxisError(
      `transpose: perm ${JSON.stringify(perm)} is not a permutation of the ${x.rank} axes of shape ${fmtShape(x.shape)}`,
    );
  }
  return dispatch('transpose', [x], { perm: p }, () =>
    view(
      x,
      p.map((i) => x.shape[i]),
      p.map((i) => x.strides[i]),
      x.offset,
    ),
  );
}

/** A broadcast view of x with the given shape (NumPy rules). */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  tensorArg('broadcastTo', x, 1, 'x');
  const s = checkShape('broadcastTo', shape);
  const b = broadcastShapes('broadcastTo', x.shape, s);
  if (!shapesEqual(b, s)) {
    throw new ShapeError(`broadcastTo: shape ${fmtShape(x.shape)} cannot be broadcast to ${fmtShape(s)}`);
  }
  return dispatch('broadcastTo', [x], { from: x.shape }, () => {
    const v = broadcastView(x, s);
    return view(x, s, v.strides, x.offset);
  });
}

/** A slice bound on an axis of size d: negative counts from the end, clamped to [0, d]; absent is `dflt`. */
function clampIndex(v: number | null | undefined, dflt: number, d: number, axis: number): number {
  if (v === null || v === undefined) return dflt;
  if (!Number.isInteger(v))
    throw new ArgumentError(
      `slice: index ${typeof v === 'number' ? v : describeValue(v)} on axis ${axis} is not an integer`,
    );
  const r = v < 0 ? v + d : v;
  return Math.min(Math.max(r, 0), d);
}

/**
 * A view of x[begin:end:step] per axis, with Python's rules: negative indices
 * count from the end, bounds are clamped, null means "from the start" or
 * "to the end", and axes not given are kept whole. Steps must be positive.
 */
export function slice(
  x: Tensor,
  begin: readonly (number | null)[],
  end?: readonly (number | null)[],
  step?: readonly number[],
): Tensor {
  tensorArg('slice', x, 1, 'x');
  if (!isList(begin)) throw new ArgumentError(`slice: begin must be an array of indices, got ${describeValue(begin)}`);
  if (end !== undefined && !isList(end))
    throw new ArgumentError(`slice: end must be an array of indices, got ${describeValue(end)}`);
  if (step !== undefined && !isList(step))
    throw new ArgumentError(`slice: step must be an array of integers, got ${describeValue(step)}`);
  if (begin.length > x.rank || (end && end.length > x.rank) || (step && step.length > x.rank)) {
    throw new AxisError(
      `slice: got ${Math.max(begin.length, end?.length ?? 0, step?.length ?? 0)} axes for a tensor of rank ${x.rank}`,
    );
  }
  const starts: number[] = [];
  const shape: number[] = [];
  const strides: number[] = [];
  let offset = x.offset;
  for (let i = 0; i < x.rank; i++) {
    const d = x.shape[i];
    const st = step?.[i] ?? 1;
    if (!Number.isInteger(st) || st <= 0)
      throw new ArgumentError(`slice: step ${st} on axis ${i} must be a positive integer`);
    const b = clampIndex(begin[i], 0, d, i);
    const e = clampIndex(end?.[i], d, d, i);
    const n = e > b ? Math.ceil((e - b) / st) : 0;
    starts.push(b);
    shape.push(n);
    strides.push(x.strides[i] * st);
    if (n > 0) offset += b * x.strides[i];
  }
  return dispatch('slice', [x], { begin: starts, step: step ?? [], from: x.shape }, () =>
    view(x, shape, strides, offset),
  );
}

/** Joins tensors along an existing axis (dtypes promoted to the widest). */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (!isList(xs)) throw new ArgumentError(`concat: xs must be an array of tensors, got ${describeValue(xs)}`);
  if (xs.length === 0) throw new ArgumentError('concat: needs at least one tensor');
  xs.forEach((t, i) => tensorArg('concat', t, 1, `xs[${i}]`));
  const rank = xs[0].rank;
  if (rank === 0) throw new ShapeError('concat: cannot concatenate 0-d tensors; use stack');
  const a = normalizeAxis('concat', axis, rank);
  let dtype = xs[0].dtype;
  let total = 0;
  for (const t of xs) {
    if (t.rank !== rank || t.shape.some((d, i) => i !== a && d !== xs[0].shape[i])) {
      throw new ShapeError(
        `concat: shapes ${xs.map((u) => fmtShape(u.shape)).join(', ')} do not match except on axis ${a}`,
      );
    }
    dtype = promoteTypes(dtype, t.dtype);
    total += t.shape[a];
  }
  if (xs.some((t) => t.dtype !== dtype)) {
    return tidy(() =>
      concat(
        xs.map((t) => cast(t, dtype)),
        a,
      ),
    );
  }
  const outShape = xs[0].shape.slice();
  outShape[a] = total;
  return dispatch('concat', xs, { axis: a, sizes: xs.map((t) => t.shape[a]) }, (backend) => {
    checkSize('concat', backend, outShape, dtype);
    return wrap(
      backend,
      backend.concat(
        xs.map((t) => t.view()),
        a,
        outShape,
      ),
      outShape,
      dtype,
    );
  });
}

/** Joins tensors of one shape along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (!isList(xs)) throw new ArgumentError(`stack: xs must be an array of tensors, got ${describeValue(xs)}`);
  if (xs.length === 0) throw new ArgumentError('stack: needs at least one tensor');
  xs.forEach((t, i) => tensorArg('stack', t, 1, `xs[${i}]`));
  for (const t of xs) {
    if (!shapesEqual(t.shape, xs[0].shape)) {
      throw new ShapeError(`stack: all shapes must be equal, got ${xs.map((u) => fmtShape(u.shape)).join(', ')}`);
    }
  }
  const a = normalizeAxis('stack', axis, xs[0].rank + 1);
  return tidy(() =>
    concat(
      xs.map((t) => unsqueeze(t, a)),
      a,
    ),
  );
}

/** Splits into `count` equal parts, or parts of the given sizes, along an axis. Views. */
export function split(x: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] {
  tensorArg('split', x, 1, 'x');
  const a = normalizeAxis('split', axis, x.rank);
  const d = x.shape[a];
  let parts: number[];
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes <= 0 || d % sizes !== 0) {
      throw new ShapeError(
        `split: axis ${a} of shape ${fmtShape(x.shape)} (size ${d}) cannot be split into ${sizes} equal parts`,
      );
    }
    parts = new Array<number>(sizes).fill(d / sizes);
  } else {
    if (!isList(sizes))
      throw new ArgumentError(`split: sizes must be a number or an array of integers, got ${describeValue(sizes)}`);
    parts = sizes.slice();
    if (!parts.every((p) => Number.isInteger(p) && p >= 0)) {
      throw new ArgumentError(`split: sizes must be integers >= 0, got ${JSON.stringify(sizes)}`);
    }
    if (parts.reduce((s, v) => s + v, 0) !== d) {
      throw new ShapeError(`split: sizes ${JSON.stringify(sizes)} do not add up to ${d}, the size of axis ${a}`);
    }
  }
  const out: Tensor[] = [];
  let start = 0;
  for (const p of parts) {
    const begin = x.shape.map(() => 0 as number | null);
    const end = x.shape.map(() => null as number | null);
    begin[a] = start;
    end[a] = start + p;
    out.push(slice(x, begin, end));
    start += p;
  }
  return out;
}

/** Pads each axis with [before, after] cells of a constant value. */
export function pad(x: Tensor, pads: readonly (readonly [number, number])[], value = 0): Tensor {
  tensorArg('pad', x, 1, 'x');
  if (!isList(pads))
    throw new ArgumentError(`pad: pads must be an array of [before, after] pairs, got ${describeValue(pads)}`);
  if (typeof value !== 'number') throw new ArgumentError(`pad: value must be a number, got ${describeValue(value)}`);
  if (pads.length !== x.rank) {
    throw new ShapeError(
      `pad: got ${pads.length} [before, after] pairs for a tensor of shape ${fmtShape(x.shape)} (expected ${x.rank})`,
    );
  }
  for (const p of pads) {
    if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => Number.isInteger(v) && v >= 0)) {
      throw new ArgumentError(`pad: each pad must be a pair of integers >= 0, got ${JSON.stringify(p)}`);
    }
  }
  const outShape = x.shape.map((d, i) => d + pads[i][0] + pads[i][1]);
  return dispatch('pad', [x], { pads }, (backend) => {
    checkSize('pad', backend, outShape, x.dtype);
    return wrap(backend, backend.pad(x.view(), pads, value), outShape, x.dtype);
  });
}

/** Repeats x reps[i] times along axis i (NumPy's tile). */
export function tile(x: Tensor, reps: readonly number[]): Tensor {
  tensorArg('tile', x, 1, 'x');
  if (!isList(reps)) throw new ArgumentError(`tile: reps must be an array of integers, got ${describeValue(reps)}`);
  for (const r of reps)
    if (!Number.isInteger(r) || r < 0)
      throw new ArgumentError(`tile: reps must be integers >= 0, got ${JSON.stringify(reps)}`);
  const rank = Math.max(x.rank, reps.length);
  const shape = [...new Array<number>(rank - x.rank).fill(1), ...x.shape];
  const r = [...new Array<number>(rank - reps.length).fill(1), ...reps];
  checkSize(
    'tile',
    x.backend,
    shape.map((d, i) => d * r[i]),
    x.dtype,
  );
  return tidy(() => {
    const interleaved = reshape(
      x,
      shape.flatMap((d) => [1, d]),
    );
    const b = broadcastTo(
      interleaved,
      shape.flatMap((d, i) => [r[i], d]),
    );
    return reshape(
      b,
      shape.map((d, i) => d * r[i]),
    );
  });
}

/** Picks slices along an axis by int32 indices of any shape: out.shape = x.shape[:axis] + indices.shape + x.shape[axis+1:]. */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  tensorArg('gather', x, 1, 'x');
  tensorArg('gather', indices, 2, 'indices');
  const a = normalizeAxis('gather', axis, x.rank);
  if (indices.dtype !== 'int32') {
    throw new DTypeError(`gather: indices must be int32, got ${indices.dtype}`);
  }
  const checked = checkIndices('gather', indices, x.shape[a]);
  const outShape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
  return dispatch('gather', [x, indices], { axis: a, from: x.shape }, (backend) => {
    checkSize('gather', backend, outShape, x.dtype);
    const out = wrap(backend, backend.gather(x.view(), indices.view(), a), outShape, x.dtype);
    // Values gathered at checked indices lie in their source's range (index-range.ts); at
    // unchecked ones the kernel may write its filler, 0, so no range is noted.
    if (x.dtype === 'int32' && checked === 'valid') noteGatheredFrom(out, x);
    return out;
  });
}

/** Checks indices by index-range.ts' rule; the gather and scatterAdd kernels check those the host cannot. */
function checkIndices(op: string, indices: Tensor, dim: number): IndexCheck {
  return checkIndexRange(
    indices,
    dim,
    (v) => new ArgumentError(`${op}: index ${v} is out of range for an axis of size ${dim} (expected 0 to ${dim - 1})`),
    {
      deviceCheck: null,
    },
  );
}

/** The adjoint of gather: zeros of `shape` with `updates` added at `indices` along `axis`. */
export function scatterAdd(updates: Tensor, indices: Tensor, axis: number, shape: readonly number[]): Tensor {
  tensorArg('scatterAdd', updates, 1, 'updates');
  tensorArg('scatterAdd', indices, 2, 'indices');
  checkShape('scatterAdd', shape);
  const a = normalizeAxis('scatterAdd', axis, shape.length);
  if (indices.dtype !== 'int32') throw new DTypeError(`scatterAdd: indices must be int32, got ${indices.dtype}`);
  const expected = [...shape.slice(0, a), ...indices.shape, ...shape.slice(a + 1)];
  if (!shapesEqual(expected, updates.shape)) {
    throw new ShapeError(`scatterAdd: updates of shape ${fmtShape(updates.shape)} do not match ${fmtShape(expected)}`);
  }
  checkIndices('scatterAdd', indices, shape[a]);
  return dispatch('scatterAdd', [updates, indices], { axis: a }, (backend) => {
    checkSize('scatterAdd', backend, shape, updates.dtype);
    return wrap(backend, backend.scatterAdd(updates.view(), indices.view(), a, shape), shape, updates.dtype);
  });
}

/**
 * One-hot float32 encoding of int32 class indices: shape indices.shape + [depth]. An index
 * outside [0, depth) is an ArgumentError naming it (index-range.ts: at the call, or, computed
 * on a device that cannot read synchronously, at the next read), where the `eq` alone would
 * silently give it a zero row.
 */
export function oneHot(indices: Tensor, depth: number): Tensor {
  tensorArg('oneHot', indices, 1, 'indices');
  if (indices.dtype !== 'int32') throw new DTypeError(`oneHot: indices must be int32, got ${indices.dtype}`);
  if (!Number.isInteger(depth) || depth <= 0)
    throw new ArgumentError(
      `oneHot: depth must be a positive integer, got ${typeof depth === 'number' ? depth : describeValue(depth)}`,
    );
  checkSize('oneHot', indices.backend, [...indices.shape, depth], 'float32');
  checkIndexRange(
    indices,
    depth,
    (v, i) =>
      new ArgumentError(
        `oneHot: index ${v} at position ${i} is out of range for depth ${depth} (expected 0 to ${depth - 1})`,
      ),
    {
      deviceCheck: 'oneHot',
    },
  );
  return oneHotUnchecked(indices, depth);
}

/** oneHot without the range check, for callers that checked the indices themselves (a bad one gives a zero row). */
export function oneHotUnchecked(indices: Tensor, depth: number): Tensor {
  return tidy(() =>
    cast(eq(unsqueeze(indices, -1), arange(0, depth, 1, 'int32', { backend: indices.backend })), 'float32'),
  );
}
