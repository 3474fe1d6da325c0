import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
// The CPU backend from its sources: @tsdl/tensor cannot depend on it (it depends on @tsdl/tensor),
// and both resolve to this package's src/index.ts, so there is one engine.
import { cpu } from '../../backend-cpu/src/index';
import {
  AxisError,
  type Tensor,
  TsdlError,
  add,
  broadcastTo,
  concat,
  max,
  maximum,
  mean,
  memory,
  min,
  mul,
  prod,
  reshape,
  setBackend,
  slice,
  split,
  stack,
  sub,
  sum,
  tensor,
  tidy,
  transpose,
} from '../src/index';
import * as R from './property-reference';

/*
 * Property tests of shape semantics against the reference in
 * property-reference.ts: broadcasting, reshape, slice with steps,
 * concat / stack / split, transpose and reductions with keepDims. Inputs come
 * contiguous, permuted (non-contiguous strides) or strided (a stepped slice of
 * a bigger tensor), so views are exercised as well as fresh tensors. Invalid
 * combinations must throw a TsdlError subclass, never anything else, and free
 * what they allocated.
 */

beforeAll(() => {
  setBackend(cpu());
});

const RUNS = 300;

// ---------------------------------------------------------------------------
// Inputs

const dim = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 4 }) },
  { weight: 1, arbitrary: fc.constant(0) },
);
const shapeArb = (maxRank = 4) => fc.array(dim, { maxLength: maxRank });
const valuesFor = (shape: readonly number[]) =>
  fc.array(fc.integer({ min: -5, max: 5 }), { minLength: R.size(shape), maxLength: R.size(shape) });
const refOf = (shape: fc.Arbitrary<number[]>) =>
  shape.chain((s) => valuesFor(s).map((values): R.Ref => ({ shape: s, values })));

/** Where the values sit in memory, and in which dtype (float32 or int32: every value here is a small integer). */
type Layout = ({ kind: 'contiguous' } | { kind: 'permuted'; perm: number[] } | { kind: 'strided' }) & { int?: boolean };
const layoutFor = (rank: number): fc.Arbitrary<Layout> =>
  fc
    .tuple(
      fc.oneof(
        fc.constant<Layout>({ kind: 'contiguous' }),
        fc
          .shuffledSubarray([...Array(rank).keys()], { minLength: rank, maxLength: rank })
          .map((perm): Layout => ({ kind: 'permuted', perm })),
        fc.constant<Layout>({ kind: 'strided' }),
      ),
      fc.boolean(),
    )
    .map(([l, int]) => ({ ...l, int }));
/** A reference value and how its tensor is laid out in memory. */
const input = (shape: fc.Arbitrary<number[]> = shapeArb()) =>
  refOf(shape).chain((r) => layoutFor(r.shape.length).map((layout) => ({ r, layout })));

/** A tensor holding r, laid out as asked: the logical values are the same in every layout. */
function make(r: R.Ref, layout: Layout): Tensor {
  const store = (q: R.Ref) => tensor(layout.int ? Int32Array.from(q.values) : Float32Array.from(q.values), q.shape);
  if (layout.kind === 'contiguous') return store(r);
  if (layout.kind === 'permuted') {
    // Store the values transposed by perm, then transpose back with the inverse: strides no longer row-major.
    const stored = R.transpose(r, layout.perm);
    const inverse = layout.perm.map((_, i) => layout.perm.indexOf(i));
    return tidy(() => transpose(store(stored), inverse));
  }
  // Every value at an odd index of a tensor twice as large (plus one), taken with step 2.
  const big = R.build(
    r.shape.map((d) => 2 * d + 1),
    (idx) =>
      idx.every((v) => v % 2 === 1)
        ? R.at(
            r,
            idx.map((v) => (v - 1) / 2),
          )
        : 99,
  );
  return tidy(() =>
    slice(
      store(big),
      r.shape.map(() => 1),
      undefined,
      r.shape.map(() => 2),
    ),
  );
}

// ---------------------------------------------------------------------------
// Checks

const plain = (v: number) => v + 0; // -0 and 0 are the same answer here

const dtypeOf = (...ls: Layout[]) => (ls.every((l) => l.int) ? 'int32' : 'float32');

function expectRef(t: Tensor, r: R.Ref, close = false, dtype?: string): void {
  expect(t.shape).toEqual(r.shape);
  if (dtype) expect(t.dtype).toBe(dtype);
  const got = Array.from(t.dataSync(), plain);
  if (close) {
    expect(got.length).toBe(r.values.length);
    got.forEach((v, i) => (Number.isNaN(r.values[i]) ? expect(v).toBeNaN() : expect(v).toBe(Math.fround(r.values[i]))));
  } else expect(got).toEqual(r.values.map(plain));
}

/** Runs `fn` on live inputs; it must throw `kind` (a TsdlError subclass) and leave the tensor count as it was. */
function expectError(fn: () => unknown, kind: new (...a: never[]) => TsdlError = TsdlError): void {
  const before = memory().numTensors;
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (!(err instanceof TsdlError))
    throw new Error(`expected a ${kind.name}, got ${err instanceof Error ? err.stack : String(err)}`);
  expect(err).toBeInstanceOf(kind);
  expect(memory().numTensors).toBe(before);
}

/** Runs one property case with its tensors, then checks nothing leaked. */
function withTensors(refs: [R.Ref, Layout][], body: (...ts: Tensor[]) => void): void {
  const before = memory().numTensors;
  const ts = refs.map(([r, l]) => make(r, l));
  try {
    tidy(() => body(...ts));
  } finally {
    for (const t of ts) t.dispose();
  }
  expect(memory().numTensors).toBe(before);
}

const opts = { numRuns: RUNS };

// ---------------------------------------------------------------------------

describe('broadcasting (property tests)', () => {
  /** A second shape from the first: trailing dims kept, set to 1, or changed (often incompatibly); leading dims dropped or added. */
  const pairShapes = shapeArb().chain((a) =>
    fc
      .tuple(
        fc.array(fc.constantFrom('keep', 'one', 'other'), { minLength: a.length, maxLength: a.length }),
        fc.integer({ min: 0, max: a.length }),
        fc.array(dim, { maxLength: 2 }),
        fc.array(dim, { minLength: a.length, maxLength: a.length }),
        fc.boolean(),
      )
      .map(([how, drop, lead, other, swap]) => {
        const b = [...lead, ...a.map((d, i) => (how[i] === 'keep' ? d : how[i] === 'one' ? 1 : other[i])).slice(drop)];
        return swap ? [b, a] : [a, b];
      }),
  );
  const pair = pairShapes.chain(([sa, sb]) => fc.tuple(input(fc.constant(sa)), input(fc.constant(sb))));

  it('add, sub, mul and maximum broadcast as NumPy, and refuse what NumPy refuses with a ShapeError', () => {
    fc.assert(
      fc.property(pair, ([a, b]) => {
        withTensors(
          [
            [a.r, a.layout],
            [b.r, b.layout],
          ],
          (x, y) => {
            const cases: [(p: Tensor, q: Tensor) => Tensor, (u: number, v: number) => number][] = [
              [add, (u, v) => u + v],
              [sub, (u, v) => u - v],
              [mul, (u, v) => u * v],
              [maximum, (u, v) => Math.max(u, v)],
            ];
            for (const [op, f] of cases) {
              const want = R.binary(a.r, b.r, f);
              if (want) expectRef(op(x, y), want, false, dtypeOf(a.layout, b.layout));
              else expectError(() => op(x, y), TsdlError);
            }
          },
        );
      }),
      opts,
    );
  });

  it('broadcastTo gives the target shape exactly when the shapes broadcast to it', () => {
    fc.assert(
      fc.property(
        pairShapes.chain(([s, target]) => fc.tuple(input(fc.constant(s)), fc.constant(target))),
        ([a, target]) => {
          withTensors([[a.r, a.layout]], (x) => {
            const b = R.broadcastShape(a.r.shape, target);
            if (b && b.join() === target.join()) {
              const want = R.build(target, (idx) => R.atBroadcast(a.r, idx));
              expectRef(broadcastTo(x, target), want, false, dtypeOf(a.layout));
            } else expectError(() => broadcastTo(x, target));
          });
        },
      ),
      opts,
    );
  });
});

describe('reshape (property tests)', () => {
  /** A target with the same size (dims regrouped, 1s added, maybe one -1) or a random one. */
  const target = (shape: number[]) =>
    fc.oneof(
      fc
        .tuple(
          fc.shuffledSubarray(shape, { minLength: shape.length, maxLength: shape.length }),
          fc.array(fc.nat(), { maxLength: 3 }),
          fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
          fc.option(fc.nat(), { nil: undefined }),
        )
        .map(([dims, merges, ones, hole]) => {
          const out = dims.slice();
          for (const m of merges) {
            if (out.length < 2) break;
            const i = m % (out.length - 1);
            out.splice(i, 2, out[i] * out[i + 1]);
          }
          for (const o of ones) out.splice(Math.min(o, out.length), 0, 1);
          if (hole !== undefined && out.length) out[hole % out.length] = -1;
          return out;
        }),
      fc.array(fc.integer({ min: -2, max: 5 }), { maxLength: 4 }),
    );

  it('keeps the values in row-major order, resolves -1, and refuses a wrong size with a ShapeError', () => {
    fc.assert(
      fc.property(
        input().chain((a) => fc.tuple(fc.constant(a), target(a.r.shape))),
        ([a, to]) => {
          withTensors([[a.r, a.layout]], (x) => {
            const n = R.size(a.r.shape);
            const holes = to.filter((d) => d === -1).length;
            const known = R.size(to.filter((d) => d !== -1));
            const valid =
              to.every((d) => Number.isInteger(d) && d >= -1) &&
              (holes === 0 ? known === n : holes === 1 && known > 0 && n % known === 0);
            if (valid) {
              const shape = to.map((d) => (d === -1 ? n / known : d));
              expectRef(reshape(x, to), { shape, values: a.r.values }, false, dtypeOf(a.layout));
              // A reshape of the result back gives the input again.
              expectRef(reshape(reshape(x, to), a.r.shape), a.r);
            } else expectError(() => reshape(x, to), TsdlError);
          });
        },
      ),
      opts,
    );
  });
});

describe('slice with steps (property tests)', () => {
  const index = fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: -6, max: 6 }) },
    fc.constant(null),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
  );
  const spec = (rank: number) =>
    fc.record({
      begin: fc.array(index, { maxLength: rank }),
      end: fc.option(fc.array(index, { maxLength: rank }), { nil: undefined }),
      step: fc.option(fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: rank }), { nil: undefined }),
    });

  it('takes begin:end:step per axis with Python bounds, also on views and slices of slices', () => {
    fc.assert(
      fc.property(
        input().chain((a) => fc.tuple(fc.constant(a), spec(a.r.shape.length), spec(a.r.shape.length))),
        ([a, s1, s2]) => {
          withTensors([[a.r, a.layout]], (x) => {
            const once = R.slice(a.r, s1.begin, s1.end ?? [], s1.step ?? []);
            const y = slice(x, s1.begin, s1.end, s1.step);
            expectRef(y, once, false, dtypeOf(a.layout));
            expectRef(slice(y, s2.begin, s2.end, s2.step), R.slice(once, s2.begin, s2.end ?? [], s2.step ?? []));
            // Views feed other ops: a sum over the sliced view equals the reference sum.
            expectRef(sum(y), { shape: [], values: [once.values.reduce((p, q) => p + q, 0)] });
          });
        },
      ),
      opts,
    );
  });

  it('refuses a step below 1, a fractional index and more axes than the rank with a TsdlError', () => {
    fc.assert(
      fc.property(
        input(shapeArb(3)),
        fc.oneof(
          fc.record({ kind: fc.constant('step' as const), v: fc.integer({ min: -3, max: 0 }) }),
          fc.record({
            kind: fc.constant('fraction' as const),
            v: fc.constantFrom(0.5, 1.5, -0.5, Number.NaN, Infinity),
          }),
          fc.record({ kind: fc.constant('rank' as const), v: fc.integer({ min: 1, max: 3 }) }),
        ),
        (a, bad) => {
          withTensors([[a.r, a.layout]], (x) => {
            const rank = a.r.shape.length;
            if (bad.kind === 'rank') {
              expectError(() => slice(x, new Array(rank + bad.v).fill(0)), AxisError);
              return;
            }
            if (rank === 0) return;
            if (bad.kind === 'step') expectError(() => slice(x, [0], [null], [bad.v]));
            else expectError(() => slice(x, [bad.v]));
          });
        },
      ),
      opts,
    );
  });
});

describe('transpose (property tests)', () => {
  it('permutes axes as NumPy and refuses anything but a permutation with an AxisError', () => {
    const perms = (rank: number) =>
      fc.oneof(
        fc.shuffledSubarray([...Array(rank).keys()], { minLength: rank, maxLength: rank }),
        fc
          .shuffledSubarray([...Array(rank).keys()], { minLength: rank, maxLength: rank })
          .map((p) => p.map((v, i) => (i % 2 ? v - rank : v))),
        fc.array(fc.integer({ min: -rank - 1, max: rank }), { maxLength: rank + 1 }),
      );
    fc.assert(
      fc.property(
        input().chain((a) => fc.tuple(fc.constant(a), perms(a.r.shape.length))),
        ([a, perm]) => {
          withTensors([[a.r, a.layout]], (x) => {
            const rank = a.r.shape.length;
            const norm = perm.map((p) => (p < 0 ? p + rank : p));
            const valid = perm.length === rank && norm.every((p) => p >= 0 && p < rank) && new Set(norm).size === rank;
            if (valid) {
              const y = transpose(x, perm);
              expectRef(y, R.transpose(a.r, norm), false, dtypeOf(a.layout));
              // A view of a view, materialised by an op.
              expectRef(add(transpose(y), 0), R.transpose(R.transpose(a.r, norm), [...Array(rank).keys()].reverse()));
            } else expectError(() => transpose(x, perm), AxisError);
          });
        },
      ),
      opts,
    );
  });
});

describe('concat / stack / split (property tests)', () => {
  /** 1..3 tensors of one shape except on `axis`, where each has its own size; sometimes one off in another dim too. */
  const joinable = shapeArb(3)
    .filter((s) => s.length > 0)
    .chain((s) =>
      fc
        .tuple(
          fc.integer({ min: -s.length, max: s.length - 1 }),
          fc.array(dim, { minLength: 1, maxLength: 3 }),
          fc.option(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 2 })), { nil: undefined, freq: 4 }),
        )
        .chain(([axis, sizes, spoil]) => {
          const a = axis < 0 ? axis + s.length : axis;
          const shapes = sizes.map((n) => s.map((d, i) => (i === a ? n : d)));
          if (spoil) {
            const k = spoil[0] % shapes.length;
            const i = spoil[1] % s.length;
            if (i !== a) shapes[k][i] += spoil[2];
          }
          return fc.tuple(fc.constant(axis), fc.tuple(...shapes.map((sh) => input(fc.constant(sh)))));
        }),
    );

  it('concat joins along an axis, and refuses shapes that differ elsewhere with a ShapeError', () => {
    fc.assert(
      fc.property(joinable, ([axis, parts]) => {
        withTensors(
          parts.map((p) => [p.r, p.layout] as [R.Ref, Layout]),
          (...xs) => {
            const rank = parts[0].r.shape.length;
            const a = axis < 0 ? axis + rank : axis;
            const same = parts.every((p) => p.r.shape.every((d, i) => i === a || d === parts[0].r.shape[i]));
            if (same)
              expectRef(
                concat(xs, axis),
                R.concat(
                  parts.map((p) => p.r),
                  a,
                ),
                false,
                dtypeOf(...parts.map((p) => p.layout)),
              );
            else expectError(() => concat(xs, axis), TsdlError);
          },
        );
      }),
      opts,
    );
  });

  it('concat refuses an axis out of range with an AxisError and 0-d tensors with a ShapeError', () => {
    fc.assert(
      fc.property(
        input(shapeArb(3)),
        fc.oneof(fc.integer({ min: -9, max: -1 }), fc.integer({ min: 0, max: 9 })),
        (a, axis) => {
          withTensors(
            [
              [a.r, a.layout],
              [a.r, a.layout],
            ],
            (x, y) => {
              const rank = a.r.shape.length;
              if (rank === 0) expectError(() => concat([x, y], axis), TsdlError);
              else if (axis < -rank || axis >= rank) expectError(() => concat([x, y], axis), AxisError);
              else expectRef(concat([x, y], axis), R.concat([a.r, a.r], axis < 0 ? axis + rank : axis));
            },
          );
        },
      ),
      opts,
    );
  });

  it('stack adds an axis at any of rank + 1 places, and refuses unequal shapes or an axis out of range', () => {
    fc.assert(
      fc.property(
        shapeArb(3).chain((s) =>
          fc.tuple(
            fc.array(input(fc.constant(s)), { minLength: 1, maxLength: 3 }),
            fc.integer({ min: -s.length - 2, max: s.length + 1 }),
            fc.option(input(), { nil: undefined, freq: 4 }),
          ),
        ),
        ([parts, axis, odd]) => {
          const all = odd ? [...parts, odd] : parts;
          withTensors(
            all.map((p) => [p.r, p.layout] as [R.Ref, Layout]),
            (...xs) => {
              const rank = parts[0].r.shape.length;
              const sameShapes = all.every((p) => p.r.shape.join() === parts[0].r.shape.join());
              const inRange = axis >= -(rank + 1) && axis <= rank;
              if (sameShapes && inRange)
                expectRef(
                  stack(xs, axis),
                  R.stack(
                    all.map((p) => p.r),
                    axis < 0 ? axis + rank + 1 : axis,
                  ),
                  false,
                  dtypeOf(...all.map((p) => p.layout)),
                );
              else expectError(() => stack(xs, axis), TsdlError);
            },
          );
        },
      ),
      opts,
    );
  });

  it('split cuts into the given sizes or equal parts (concat undoes it), and refuses sizes that do not fit', () => {
    fc.assert(
      fc.property(
        input(shapeArb(3).filter((s) => s.length > 0)).chain((a) => {
          const rank = a.r.shape.length;
          return fc.tuple(
            fc.constant(a),
            fc.integer({ min: -rank, max: rank - 1 }),
            fc.oneof(
              fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }),
              fc.integer({ min: -1, max: 5 }),
            ),
          );
        }),
        ([a, axis, sizes]) => {
          withTensors([[a.r, a.layout]], (x) => {
            const ax = axis < 0 ? axis + a.r.shape.length : axis;
            const d = a.r.shape[ax];
            let parts: number[] | null;
            if (typeof sizes === 'number')
              parts = sizes > 0 && d % sizes === 0 ? new Array(sizes).fill(d / sizes) : null;
            else parts = sizes.reduce((p, q) => p + q, 0) === d ? sizes : null;
            if (!parts) {
              expectError(() => split(x, sizes, axis), TsdlError);
              return;
            }
            const got = split(x, sizes, axis);
            const want = R.split(a.r, parts, ax);
            expect(got.length).toBe(want.length);
            got.forEach((g, i) => expectRef(g, want[i], false, dtypeOf(a.layout)));
            expectRef(concat(got, axis), a.r);
          });
        },
      ),
      opts,
    );
  });
});

describe('reductions with keepDims (property tests)', () => {
  const REDUCERS: Record<R.Reducer, (x: Tensor, axes?: number | number[], keepDims?: boolean) => Tensor> = {
    sum,
    prod,
    max,
    min,
    mean,
  };

  it('reduce the given axes (any order, negative or not), keeping size-1 axes when asked', () => {
    const axesFor = (rank: number) =>
      fc.oneof(
        fc.constant(undefined),
        rank > 0 ? fc.integer({ min: -rank, max: rank - 1 }) : fc.constant(undefined),
        fc
          .subarray([...Array(rank).keys()])
          .chain((ax) =>
            fc
              .tuple(
                fc.shuffledSubarray(ax, { minLength: ax.length, maxLength: ax.length }),
                fc.array(fc.boolean(), { minLength: ax.length, maxLength: ax.length }),
              )
              .map(([sh, neg]) => sh.map((v, i) => (neg[i] ? v - rank : v))),
          ),
      );
    fc.assert(
      fc.property(
        input(shapeArb(4).filter((s) => R.size(s) <= 48)).chain((a) =>
          fc.tuple(
            fc.constant(a),
            axesFor(a.r.shape.length),
            fc.boolean(),
            fc.constantFrom<R.Reducer>('sum', 'prod', 'max', 'min', 'mean'),
          ),
        ),
        ([a, axes, keepDims, op]) => {
          withTensors([[a.r, a.layout]], (x) => {
            const rank = a.r.shape.length;
            const list =
              axes === undefined
                ? [...Array(rank).keys()]
                : (typeof axes === 'number' ? [axes] : axes).map((v) => (v < 0 ? v + rank : v));
            const f = REDUCERS[op];
            if ((op === 'max' || op === 'min') && list.some((i) => a.r.shape[i] === 0)) {
              expectError(() => f(x, axes, keepDims), TsdlError);
              return;
            }
            const ref = R.reduce(a.r, op, list, keepDims);
            if (op === 'prod' && !a.layout.int) {
              // A float32 product past 2^24 rounds where the float64 reference does not.
              const got = f(x, axes, keepDims);
              expect(got.shape).toEqual(ref.shape);
              Array.from(got.dataSync()).forEach((v, i) =>
                expect(Math.abs(v - ref.values[i])).toBeLessThanOrEqual(1e-6 * Math.abs(ref.values[i])),
              );
              return;
            }
            expectRef(f(x, axes, keepDims), ref, op === 'mean', op === 'mean' ? 'float32' : dtypeOf(a.layout));
          });
        },
      ),
      opts,
    );
  });

  it('refuse a repeated or out-of-range axis with an AxisError', () => {
    fc.assert(
      fc.property(
        input(shapeArb(3)).chain((a) => {
          const rank = a.r.shape.length;
          const out = fc.oneof(
            fc.integer({ min: rank, max: rank + 3 }),
            fc.integer({ min: -rank - 3, max: -rank - 1 }),
          );
          const repeated =
            rank > 0 ? fc.integer({ min: 0, max: rank - 1 }).map((v) => [v, v - rank]) : out.map((v) => [v]);
          return fc.tuple(
            fc.constant(a),
            fc.oneof(
              out,
              out.map((v) => [0, v].slice(rank > 0 ? 0 : 1)),
              repeated,
            ),
            fc.boolean(),
            fc.constantFrom('sum', 'prod', 'max', 'min', 'mean') as fc.Arbitrary<R.Reducer>,
          );
        }),
        ([a, axes, keepDims, op]) => {
          withTensors([[a.r, a.layout]], (x) => expectError(() => REDUCERS[op](x, axes, keepDims), AxisError));
        },
      ),
      opts,
    );
  });
});
