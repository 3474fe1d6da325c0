import * as T from '@tsdl/tensor';
import type { DType } from '@tsdl/tensor';
import { expect } from 'vitest';
import {
  type Case,
  type Input,
  type Layout,
  afterReadRejects,
  expectRef,
  expectTensor,
  fmt,
  input,
  registerCases,
  seededFor,
  sharesStorage,
} from './harness';
import { type Ref, gatherBy, ravel, sizeOf, unravel } from './reference';

/**
 * The copying shape ops (concat, stack, pad, tile, gather, scatterAdd,
 * oneHot, contiguous, clone) against index-arithmetic references, on every
 * input layout, with dtype promotion, size-0 parts and negative axes.
 */

// ---- references ----------------------------------------------------------------------

function refConcat(parts: readonly Ref[], axis: number): Ref {
  const shape = parts[0].shape.slice();
  shape[axis] = parts.reduce((s, p) => s + p.shape[axis], 0);
  const data = new Array<number>(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape);
    let k = 0;
    while (idx[axis] >= parts[k].shape[axis]) idx[axis] -= parts[k++].shape[axis];
    data[i] = parts[k].data[ravel(idx, parts[k].shape)];
  }
  return { shape, data };
}

function refPad(x: Ref, pads: readonly (readonly [number, number])[], value: number): Ref {
  const shape = x.shape.map((d, i) => d + pads[i][0] + pads[i][1]);
  const data = new Array<number>(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape).map((v, d) => v - pads[d][0]);
    data[i] = idx.every((v, d) => v >= 0 && v < x.shape[d]) ? x.data[ravel(idx, x.shape)] : value;
  }
  return { shape, data };
}

function refTile(x: Ref, reps: readonly number[]): Ref {
  const rank = Math.max(x.shape.length, reps.length);
  const xs = [...new Array<number>(rank - x.shape.length).fill(1), ...x.shape];
  const r = [...new Array<number>(rank - reps.length).fill(1), ...reps];
  const src = { shape: xs, data: x.data };
  return gatherBy(
    src,
    xs.map((d, i) => d * r[i]),
    (o) => o.map((v, i) => v % xs[i]),
  );
}

function refGather(x: Ref, ind: Ref, axis: number): Ref {
  const r = ind.shape.length;
  const shape = [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)];
  return gatherBy(x, shape, (o) => [
    ...o.slice(0, axis),
    ind.data[ravel(o.slice(axis, axis + r), ind.shape)],
    ...o.slice(axis + r),
  ]);
}

function refScatterAdd(u: Ref, ind: Ref, axis: number, shape: readonly number[]): Ref {
  const r = ind.shape.length;
  const data = new Array<number>(sizeOf(shape)).fill(0);
  for (let i = 0; i < u.data.length; i++) {
    const o = unravel(i, u.shape);
    const at = [...o.slice(0, axis), ind.data[ravel(o.slice(axis, axis + r), ind.shape)], ...o.slice(axis + r)];
    data[ravel(at, shape)] += u.data[i];
  }
  return { shape: shape.slice(), data };
}

/** int32 indices in [0, dim), seeded, with repeats. */
function indices(shape: readonly number[], dim: number, seed: number, layout: Layout = 'contiguous'): Input {
  const vals = seededFor('float32', sizeOf(shape), seed, 0, dim).map((v) => Math.min(dim - 1, Math.floor(v)));
  return input(shape, 'int32', seed, layout, vals);
}

// ---- concat and stack ----------------------------------------------------------------------

interface ConcatCase {
  shapes: readonly (readonly number[])[];
  axis: number;
  dtypes?: readonly DType[];
  layouts?: readonly Layout[];
}

const CONCAT: readonly ConcatCase[] = [
  {
    shapes: [
      [2, 3],
      [1, 3],
    ],
    axis: 0,
  },
  {
    shapes: [
      [2, 3],
      [2, 1],
      [2, 2],
    ],
    axis: 1,
  },
  {
    shapes: [
      [2, 3, 2],
      [2, 1, 2],
    ],
    axis: -2,
  },
  {
    shapes: [
      [2, 2, 1],
      [2, 2, 3],
    ],
    axis: -1,
  },
  { shapes: [[4]], axis: 0 },
  {
    shapes: [
      [2, 3],
      [0, 3],
      [1, 3],
    ],
    axis: 0,
  },
  {
    shapes: [
      [0, 3],
      [0, 2],
    ],
    axis: 1,
  },
  {
    shapes: [
      [2, 3],
      [2, 3],
    ],
    axis: 1,
    layouts: ['transposed', 'sliced'],
  },
  {
    shapes: [
      [3, 2, 2],
      [3, 2, 2],
    ],
    axis: 0,
    layouts: ['broadcast', 'transposed'],
  },
  {
    shapes: [
      [2, 2],
      [1, 2],
    ],
    axis: 0,
    dtypes: ['int32', 'float32'],
  },
  {
    shapes: [
      [2, 2],
      [2, 1],
    ],
    axis: 1,
    dtypes: ['bool', 'int32'],
  },
  { shapes: [[2], [3]], axis: 0, dtypes: ['bool', 'bool'] },
  { shapes: [[2], [1], [2]], axis: 0, dtypes: ['bool', 'int32', 'float32'] },
];

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2 };
const widest = (ds: readonly DType[]): DType => ds.reduce((a, b) => (RANK[b] > RANK[a] ? b : a));

function concatCases(): Case[] {
  const cases: Case[] = CONCAT.map((c, k) => {
    const dtypes = c.shapes.map((_, i) => c.dtypes?.[i] ?? 'float32');
    return {
      name: `concat ${c.shapes.map((s, i) => `${dtypes[i]} ${fmt(s)}${c.layouts?.[i] ? ` ${c.layouts[i]}` : ''}`).join(', ')} axis ${c.axis}`,
      run: () => {
        const parts = c.shapes.map((s, i) => input(s, dtypes[i], 900 + 10 * k + i, c.layouts?.[i]));
        const rank = c.shapes[0].length;
        const axis = c.axis < 0 ? c.axis + rank : c.axis;
        expectRef(
          T.concat(
            parts.map((p) => p.t),
            c.axis,
          ),
          refConcat(
            parts.map((p) => p.ref),
            axis,
          ),
          widest(dtypes),
        );
      },
    };
  });
  for (const axis of [0, 1, 2, -1]) {
    cases.push({
      name: `stack three [2,3] tensors (one transposed, one sliced) on axis ${axis}`,
      run: () => {
        const parts = (['contiguous', 'transposed', 'sliced'] as const).map((l, i) =>
          input([2, 3], 'float32', 950 + i, l),
        );
        const a = axis < 0 ? axis + 3 : axis;
        const expanded = parts.map((p) => ({
          shape: [...p.ref.shape.slice(0, a), 1, ...p.ref.shape.slice(a)],
          data: p.ref.data,
        }));
        expectRef(
          T.stack(
            parts.map((p) => p.t),
            axis,
          ),
          refConcat(expanded, a),
          'float32',
        );
      },
    });
  }
  cases.push(
    {
      name: 'stack 0-d tensors gives a 1-D tensor',
      run: () => expectTensor(T.stack([T.scalar(1), T.scalar(2), T.scalar(3)]), [3], 'float32', [1, 2, 3]),
    },
    {
      name: 'concat and stack errors: 0-d, mismatched shapes, no tensors',
      run: () => {
        expect(() => T.concat([T.scalar(1), T.scalar(2)])).toThrow(T.ShapeError);
        expect(() => T.concat([T.zeros([2, 3]), T.zeros([2, 2])], 0)).toThrow(/concat.*\[2,3\].*\[2,2\]/);
        expect(() => T.concat([])).toThrow(T.ArgumentError);
        expect(() => T.stack([T.zeros([2]), T.zeros([3])])).toThrow(T.ShapeError);
        expect(() => T.concat([T.zeros([2])], 1)).toThrow(T.AxisError);
      },
    },
  );
  return cases;
}

// ---- pad and tile ----------------------------------------------------------------------

const PAD: readonly {
  shape: readonly number[];
  pads: readonly (readonly [number, number])[];
  value?: number;
  dtype?: DType;
  layout?: Layout;
}[] = [
  {
    shape: [2, 3],
    pads: [
      [1, 0],
      [2, 1],
    ],
  },
  {
    shape: [2, 3],
    pads: [
      [0, 0],
      [0, 0],
    ],
  },
  {
    shape: [2, 3],
    pads: [
      [1, 1],
      [1, 1],
    ],
    value: -1.5,
  },
  { shape: [3], pads: [[0, 4]], value: 7, dtype: 'int32' },
  {
    shape: [2, 2, 2],
    pads: [
      [1, 0],
      [0, 1],
      [1, 1],
    ],
    layout: 'transposed',
  },
  {
    shape: [2, 3],
    pads: [
      [2, 0],
      [0, 2],
    ],
    layout: 'sliced',
    value: 3,
  },
  {
    shape: [2, 3],
    pads: [
      [0, 1],
      [1, 0],
    ],
    layout: 'broadcast',
    dtype: 'int32',
  },
  {
    shape: [0, 2],
    pads: [
      [1, 1],
      [0, 0],
    ],
    value: 5,
  },
  { shape: [], pads: [] },
];

const TILE: readonly { shape: readonly number[]; reps: readonly number[]; layout?: Layout; dtype?: DType }[] = [
  { shape: [2, 3], reps: [2, 1] },
  { shape: [2, 3], reps: [1, 3] },
  { shape: [2, 3], reps: [2, 2], layout: 'transposed' },
  { shape: [2, 3], reps: [2, 1, 2], dtype: 'int32' },
  { shape: [2, 3], reps: [3] },
  { shape: [2, 3], reps: [0, 2] },
  { shape: [], reps: [3] },
  { shape: [3, 2], reps: [2, 2], layout: 'sliced', dtype: 'bool' },
];

function padTileCases(): Case[] {
  const cases: Case[] = PAD.map((c, k) => ({
    name: `pad ${c.dtype ?? 'float32'} ${fmt(c.shape)} ${c.layout ?? ''} by ${JSON.stringify(c.pads)} with ${c.value ?? 0}`,
    run: () => {
      const x = input(c.shape, c.dtype ?? 'float32', 1000 + k, c.layout);
      expectRef(T.pad(x.t, c.pads, c.value), refPad(x.ref, c.pads, c.value ?? 0), c.dtype ?? 'float32');
    },
  }));
  TILE.forEach((c, k) =>
    cases.push({
      name: `tile ${c.dtype ?? 'float32'} ${fmt(c.shape)} ${c.layout ?? ''} by ${fmt(c.reps)}`,
      run: () => {
        const x = input(c.shape, c.dtype ?? 'float32', 1100 + k, c.layout);
        expectRef(T.tile(x.t, c.reps), refTile(x.ref, c.reps), c.dtype ?? 'float32');
      },
    }),
  );
  cases.push({
    name: 'pad and tile errors: wrong number of pairs, negative pads, negative reps',
    run: () => {
      const x = T.zeros([2, 2]);
      expect(() => T.pad(x, [[1, 1]])).toThrow(T.ShapeError);
      expect(() =>
        T.pad(x, [
          [1, 1],
          [-1, 0],
        ]),
      ).toThrow(T.ArgumentError);
      expect(() => T.tile(x, [-1, 1])).toThrow(T.ArgumentError);
    },
  });
  return cases;
}

// ---- gather, scatterAdd, oneHot ----------------------------------------------------------------

const GATHER: readonly {
  x: readonly number[];
  ind: readonly number[];
  axis: number;
  lx?: Layout;
  li?: Layout;
  dtype?: DType;
}[] = [
  { x: [5, 3], ind: [4], axis: 0 },
  { x: [5, 3], ind: [2, 3], axis: 1 },
  { x: [2, 4, 3], ind: [6], axis: -2 },
  { x: [2, 4, 3], ind: [], axis: -1 },
  { x: [2, 4, 3], ind: [0], axis: 1 },
  { x: [4, 3], ind: [2, 2], axis: 0, lx: 'transposed', li: 'sliced' },
  { x: [3, 4], ind: [5], axis: 1, lx: 'sliced', dtype: 'int32' },
  { x: [3, 4], ind: [3], axis: -1, lx: 'broadcast', li: 'transposed', dtype: 'bool' },
];

const SCATTER: readonly { shape: readonly number[]; ind: readonly number[]; axis: number; lu?: Layout }[] = [
  { shape: [4, 3], ind: [6], axis: 0 },
  { shape: [2, 5], ind: [3, 2], axis: -1 },
  { shape: [2, 3, 2], ind: [4], axis: 1, lu: 'transposed' },
  { shape: [3, 2], ind: [0], axis: 0 },
];

function indexCases(sync: boolean): Case[] {
  const cases: Case[] = GATHER.map((c, k) => ({
    name: `gather ${c.dtype ?? 'float32'} ${fmt(c.x)} ${c.lx ?? ''} by int32 ${fmt(c.ind)} ${c.li ?? ''} on axis ${c.axis}`,
    run: () => {
      const axis = c.axis < 0 ? c.axis + c.x.length : c.axis;
      const x = input(c.x, c.dtype ?? 'float32', 1200 + k, c.lx);
      const ind = indices(c.ind, c.x[axis], 1250 + k, c.li);
      expectRef(T.gather(x.t, ind.t, c.axis), refGather(x.ref, ind.ref, axis), c.dtype ?? 'float32');
    },
  }));
  SCATTER.forEach((c, k) =>
    cases.push({
      name: `scatterAdd into ${fmt(c.shape)} by ${fmt(c.ind)} on axis ${c.axis}${c.lu ? ` (${c.lu} updates)` : ''}`,
      run: () => {
        const axis = c.axis < 0 ? c.axis + c.shape.length : c.axis;
        const ind = indices(c.ind, c.shape[axis], 1300 + k);
        const uShape = [...c.shape.slice(0, axis), ...c.ind, ...c.shape.slice(axis + 1)];
        const u = input(uShape, 'float32', 1350 + k, c.lu);
        expectRef(T.scatterAdd(u.t, ind.t, c.axis, c.shape), refScatterAdd(u.ref, ind.ref, axis, c.shape), 'float32');
      },
    }),
  );
  cases.push(
    {
      name: 'gather and scatterAdd on known values: repeated indices are read twice and summed twice',
      run: () => {
        const x = T.tensor([
          [1, 2],
          [3, 4],
          [5, 6],
        ]);
        const ind = T.tensor(new Int32Array([2, 0, 2]));
        expectTensor(T.gather(x, ind), [3, 2], 'float32', [5, 6, 1, 2, 5, 6]);
        expectTensor(T.gather(x, T.tensor(new Int32Array([1, 1])), -1), [3, 2], 'float32', [2, 2, 4, 4, 6, 6]);
        expectTensor(
          T.scatterAdd(
            T.tensor([
              [1, 1],
              [2, 2],
              [4, 4],
            ]),
            ind,
            0,
            [3, 2],
          ),
          [3, 2],
          'float32',
          [2, 2, 0, 0, 5, 5],
        );
        // Indices sliced from a tensor whose other values are out of range are checked on their own values only.
        const wide = T.tensor(new Int32Array([9, 1, 2, -4]));
        expectTensor(T.gather(x, T.slice(wide, [1], [3])), [2, 2], 'float32', [3, 4, 5, 6]);
        expectTensor(
          T.scatterAdd(
            T.tensor([
              [1, 1],
              [2, 2],
            ]),
            T.slice(wide, [1], [3]),
            0,
            [3, 2],
          ),
          [3, 2],
          'float32',
          [0, 0, 1, 1, 2, 2],
        );
      },
    },
    {
      name: 'oneHot of int32 indices is float32 with shape indices.shape + [depth]',
      run: () => {
        expectTensor(T.oneHot(T.tensor(new Int32Array([0, 2, 1])), 3), [3, 3], 'float32', [1, 0, 0, 0, 0, 1, 0, 1, 0]);
        const ind = indices([2, 2], 4, 1400, 'transposed');
        const expected = ind.ref.data.flatMap((v) => [0, 1, 2, 3].map((j) => (j === v ? 1 : 0)));
        expectTensor(T.oneHot(ind.t, 4), [2, 2, 4], 'float32', expected);
        expectTensor(T.oneHot(T.tensor(new Int32Array([])), 2), [0, 2], 'float32', []);
      },
    },
    {
      name: 'index errors: non-int32 indices (DTypeError), bad axis, depth or update shape',
      run: () => {
        const x = T.zeros([3, 2]);
        expect(() => T.gather(x, T.tensor([0, 1]))).toThrow(T.DTypeError);
        expect(() => T.gather(x, T.tensor(new Int32Array([0])), 2)).toThrow(T.AxisError);
        expect(() => T.scatterAdd(T.zeros([2, 2]), T.tensor([0, 1]), 0, [3, 2])).toThrow(T.DTypeError);
        expect(() => T.scatterAdd(T.zeros([2, 3]), T.tensor(new Int32Array([0, 1])), 0, [3, 2])).toThrow(T.ShapeError);
        expect(() => T.oneHot(T.tensor([0, 1]), 3)).toThrow(T.DTypeError);
        expect(() => T.oneHot(T.tensor(new Int32Array([0])), 0)).toThrow(T.ArgumentError);
      },
    },
  );
  // The frontend checks index ranges on the host, from the values the indices were written
  // from (no device read), so on every backend.
  cases.push({
    name: 'out-of-range indices throw ArgumentError naming the op and the index',
    run: () => {
      const x = T.zeros([3, 2]);
      expect(() => T.gather(x, T.tensor(new Int32Array([3])))).toThrow(/gather.*3.*out of range/);
      expect(() => T.gather(x, T.tensor(new Int32Array([-1])))).toThrow(T.ArgumentError);
      expect(() => T.scatterAdd(T.zeros([1, 2]), T.tensor(new Int32Array([5])), 0, [3, 2])).toThrow(T.ArgumentError);
      expect(() => T.oneHot(T.tensor(new Int32Array([0, 3])), 3)).toThrow(
        /^oneHot: index 3 at position 1 is out of range for depth 3 \(expected 0 to 2\)/,
      );
      expect(() => T.oneHot(T.tensor(new Int32Array([-1])), 3)).toThrow(T.ArgumentError);
    },
  });
  if (!sync) {
    // oneHot is an elementwise eq, which would give a zero row for a bad index: indices
    // computed on the device, whose range the host does not know, are checked there
    // (Backend.checkIndices) and reported by the next read (the contract in backend.ts).
    cases.push({
      name: 'oneHot, an index computed on the device out of range: the read rejects with an ArgumentError naming the op; the row is zero',
      run: () => {
        const computed = T.add(T.tensor(new Int32Array([0, 1])), T.tensor(new Int32Array([0, 2])));
        const rows = T.oneHot(computed, 3);
        afterReadRejects(rows, (e) => {
          expect(e).toBeInstanceOf(T.ArgumentError);
          expect((e as Error).message).toMatch(/^oneHot: .*\[0, 3\).*: 3\b/);
        });
        expectTensor(rows, [2, 3], 'float32', [1, 0, 0, 0, 0, 0]);
      },
    });
  }
  return cases;
}

// ---- contiguous and clone ----------------------------------------------------------------------

function copyCases(): Case[] {
  const cases: Case[] = [];
  for (const layout of ['contiguous', 'transposed', 'sliced', 'broadcast'] as const) {
    for (const [name, f] of [
      ['contiguous', T.contiguous],
      ['clone', T.clone],
    ] as const) {
      cases.push({
        name: `${name} of a ${layout} int32 [3,4,2] is a dense row-major copy with its own storage`,
        run: () => {
          const x = input([3, 4, 2], 'int32', 1500, layout);
          const y = f(x.t);
          expectRef(y, x.ref, 'int32');
          expect(y.strides).toEqual([8, 2, 1]);
          expect(y.offset).toBe(0);
          expect(sharesStorage(y, x.t)).toBe(false);
        },
      });
    }
  }
  return cases;
}

export function registerMovement(sync: boolean): void {
  registerCases('concat and stack', concatCases());
  registerCases('pad and tile', padTileCases());
  registerCases('gather, scatterAdd, oneHot', indexCases(sync));
  registerCases('contiguous and clone', copyCases());
}
