/**
 * A small reference implementation of tensor shape semantics for the property
 * tests: flat row-major arrays plus a shape, written from the NumPy rules and
 * sharing no code with tsdl (no shape helpers, no strides from the library).
 */

export interface Ref {
  shape: number[];
  values: number[];
}

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Row-major strides. */
export function stridesOf(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i];
  }
  return out;
}

/** Every multi-index of a shape, in row-major order. */
export function* indices(shape: readonly number[]): Generator<number[]> {
  if (shape.some((d) => d === 0)) return;
  const idx = new Array<number>(shape.length).fill(0);
  for (;;) {
    yield idx.slice();
    let k = shape.length - 1;
    while (k >= 0 && ++idx[k] === shape[k]) idx[k--] = 0;
    if (k < 0) return;
  }
}

export function at(r: Ref, idx: readonly number[]): number {
  const st = stridesOf(r.shape);
  return r.values[idx.reduce((o, v, i) => o + v * st[i], 0)];
}

export function build(shape: number[], f: (idx: number[]) => number): Ref {
  const values: number[] = [];
  for (const idx of indices(shape)) values.push(f(idx));
  return { shape, values };
}

/** The broadcast shape of a and b, or null where NumPy refuses. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Reads r at an index of a broadcast result shape. */
export function atBroadcast(r: Ref, idx: readonly number[]): number {
  const off = idx.length - r.shape.length;
  return at(
    r,
    r.shape.map((d, i) => (d === 1 ? 0 : idx[off + i])),
  );
}

export function binary(a: Ref, b: Ref, f: (x: number, y: number) => number): Ref | null {
  const shape = broadcastShape(a.shape, b.shape);
  return shape && build(shape, (idx) => f(atBroadcast(a, idx), atBroadcast(b, idx)));
}

/** Python's slice bounds: negative from the end, clamped, null for the default. */
function bound(v: number | null | undefined, dflt: number, d: number): number {
  if (v === null || v === undefined) return dflt;
  return Math.min(Math.max(v < 0 ? v + d : v, 0), d);
}

export function slice(r: Ref, begin: (number | null)[], end: (number | null)[], step: number[]): Ref {
  const starts = r.shape.map((d, i) => bound(begin[i], 0, d));
  const stops = r.shape.map((d, i) => bound(end[i], d, d));
  const steps = r.shape.map((_, i) => step[i] ?? 1);
  // The elements taken on each axis: start, start+step, ... below stop.
  const taken = r.shape.map((_, i) => {
    const out: number[] = [];
    for (let k = starts[i]; k < stops[i]; k += steps[i]) out.push(k);
    return out;
  });
  return build(
    taken.map((t) => t.length),
    (idx) =>
      at(
        r,
        idx.map((k, i) => taken[i][k]),
      ),
  );
}

export function transpose(r: Ref, perm: readonly number[]): Ref {
  return build(
    perm.map((p) => r.shape[p]),
    (idx) => {
      const src = new Array<number>(r.shape.length);
      perm.forEach((p, i) => (src[p] = idx[i]));
      return at(r, src);
    },
  );
}

export function concat(rs: readonly Ref[], axis: number): Ref {
  const shape = rs[0].shape.slice();
  shape[axis] = rs.reduce((s, r) => s + r.shape[axis], 0);
  return build(shape, (idx) => {
    let k = idx[axis];
    for (const r of rs) {
      if (k < r.shape[axis])
        return at(
          r,
          idx.map((v, i) => (i === axis ? k : v)),
        );
      k -= r.shape[axis];
    }
    throw new Error('unreachable');
  });
}

export function stack(rs: readonly Ref[], axis: number): Ref {
  const shape = [...rs[0].shape.slice(0, axis), rs.length, ...rs[0].shape.slice(axis)];
  return build(shape, (idx) =>
    at(
      rs[idx[axis]],
      idx.filter((_, i) => i !== axis),
    ),
  );
}

export function split(r: Ref, sizes: readonly number[], axis: number): Ref[] {
  let start = 0;
  return sizes.map((n) => {
    const s = start;
    start += n;
    const shape = r.shape.slice();
    shape[axis] = n;
    return build(shape, (idx) =>
      at(
        r,
        idx.map((v, i) => (i === axis ? v + s : v)),
      ),
    );
  });
}

export type Reducer = 'sum' | 'prod' | 'max' | 'min' | 'mean';

export function reduce(r: Ref, op: Reducer, axes: readonly number[], keepDims: boolean): Ref {
  const reduced = new Set(axes);
  const outFull = r.shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const groups = new Map<string, number[]>();
  for (const idx of indices(r.shape)) {
    const key = idx.map((v, i) => (reduced.has(i) ? 0 : v)).join(',');
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(at(r, idx));
  }
  const out = build(outFull, (idx) => {
    const vs = groups.get(idx.join(',')) ?? [];
    if (op === 'sum') return vs.reduce((a, b) => a + b, 0);
    if (op === 'prod') return vs.reduce((a, b) => a * b, 1);
    if (op === 'max') return Math.max(...vs);
    if (op === 'min') return Math.min(...vs);
    return vs.reduce((a, b) => a + b, 0) / vs.length;
  });
  return keepDims ? out : { shape: r.shape.filter((_, i) => !reduced.has(i)), values: out.values };
}
