import * as T from '@tsdl/tensor';
import type { DType, Tensor } from '@tsdl/tensor';
import { expect } from 'vitest';
import {
  type Case,
  DTYPE_LIST,
  type Layout,
  expectRef,
  expectTensor,
  fmt,
  input,
  registerCases,
  seededFor,
} from './harness';
import { R, reduce, sizeOf } from './reference';

/**
 * Reductions: every op × axes (none, one, several, negative, the empty list)
 * × keepDims × float32 / int32 / bool × layouts, size-0 blocks (the
 * identities the backend contract documents; max, min, argmax and argmin of
 * nothing throw, as PyTorch), NaN and stability.
 */

type Axes = number | number[] | undefined;

interface ReduceSpec {
  name: string;
  run: (x: Tensor, axes: Axes, keepDims: boolean) => Tensor;
  ref: (vals: number[]) => number;
  out: (t: DType) => DType;
  /** argmax / argmin take one axis (or none), not a list. */
  single?: boolean;
  /** Seeded input values, where the default range would overflow (prod). */
  values?: (dtype: DType, n: number, seed: number) => number[];
  /** Dtypes whose empty reduction has a documented value. */
  emptyDtypes?: readonly DType[];
  /** An empty reduced block has no value: the op throws (max, min, argmax, argmin), so only empty results are compared. */
  emptyBlockThrows?: boolean;
}

const SUM_TYPE = (t: DType): DType => (t === 'float32' ? 'float32' : 'int32');
const F32 = (): DType => 'float32';

const SPECS: readonly ReduceSpec[] = [
  { name: 'sum', run: T.sum, ref: R.sum, out: SUM_TYPE },
  { name: 'mean', run: T.mean, ref: R.mean, out: F32 },
  { name: 'max', run: T.max, ref: R.max, out: (t) => t, emptyBlockThrows: true },
  { name: 'min', run: T.min, ref: R.min, out: (t) => t, emptyBlockThrows: true },
  {
    name: 'prod',
    run: T.prod,
    ref: R.prod,
    out: SUM_TYPE,
    // Small magnitudes, so a product of 24 values stays exact in int32 and finite in float32.
    values: (dt, n, seed) =>
      dt === 'int32' ? seededFor('float32', n, seed, -2, 3).map(Math.floor) : seededFor(dt, n, seed, 0.5, 1.5),
  },
  {
    name: 'argmax',
    run: (x, a, k) => T.argmax(x, a as number | undefined, k),
    ref: R.argmax,
    out: () => 'int32',
    single: true,
    emptyBlockThrows: true,
  },
  {
    name: 'argmin',
    run: (x, a, k) => T.argmin(x, a as number | undefined, k),
    ref: R.argmin,
    out: () => 'int32',
    single: true,
    emptyBlockThrows: true,
  },
  { name: 'variance', run: (x, a, k) => T.variance(x, a, k), ref: (v) => R.variance(v), out: F32 },
  {
    name: 'variance(correction 1)',
    run: (x, a, k) => T.variance(x, a, k, { correction: 1 }),
    ref: (v) => R.variance(v, 1),
    out: F32,
    emptyDtypes: [],
  },
  { name: 'std', run: (x, a, k) => T.std(x, a, k), ref: (v) => Math.sqrt(R.variance(v)), out: F32 },
  {
    name: 'std(correction 1)',
    run: (x, a, k) => T.std(x, a, k, { correction: 1 }),
    ref: (v) => Math.sqrt(R.variance(v, 1)),
    out: F32,
    emptyDtypes: [],
  },
  { name: 'logSumExp', run: T.logSumExp, ref: R.logSumExp, out: F32 },
  { name: 'all', run: T.all, ref: R.all, out: () => 'bool' },
  { name: 'any', run: T.any, ref: R.any, out: () => 'bool' },
];

const SHAPE = [2, 3, 4] as const;
const AXES: readonly Axes[] = [undefined, 0, 1, 2, -1, -2, [0, 2], [-1, 0], [0, 1, 2], []];
const SINGLE_AXES: readonly Axes[] = [undefined, 0, 1, 2, -1, -3];

function normalize(axes: Axes, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  return (typeof axes === 'number' ? [axes] : axes).map((a) => (a < 0 ? a + rank : a));
}

function check(
  spec: ReduceSpec,
  shape: readonly number[],
  dtype: DType,
  axes: Axes,
  keepDims: boolean,
  layout: Layout,
  seed: number,
): void {
  const x = input(shape, dtype, seed, layout, spec.values?.(dtype, sizeOf(shape), seed));
  const expected = reduce(x.ref, normalize(axes, shape.length), keepDims, spec.ref);
  expectRef(
    spec.run(x.t, axes, keepDims),
    expected,
    spec.out(dtype),
    { atol: 1e-5, rtol: 1e-4 },
    `${spec.name}(${dtype} ${fmt(shape)} ${layout}, axes ${JSON.stringify(axes)}, keepDims ${keepDims})`,
  );
}

/** Shapes with a size-0 dimension, with axes that reduce it (identities) or keep it (empty results). */
const EMPTY: readonly [readonly number[], Axes][] = [
  [[0], undefined],
  [[2, 0, 3], 1],
  [
    [2, 0, 3],
    [1, 2],
  ],
  [[2, 0, 3], 0],
  [[2, 0, 3], -1],
];

function reductionCases(): Case[] {
  const cases: Case[] = [];
  SPECS.forEach((spec, k) => {
    const seed = 300 + k;
    const axesList = spec.single ? SINGLE_AXES : AXES;
    for (const dtype of DTYPE_LIST) {
      for (const axes of axesList) {
        for (const keepDims of [false, true]) {
          cases.push({
            name: `${spec.name} ${dtype} ${fmt(SHAPE)} axes ${JSON.stringify(axes) ?? 'all'}${keepDims ? ' keepDims' : ''}`,
            run: () => check(spec, SHAPE, dtype, axes, keepDims, 'contiguous', seed),
          });
        }
      }
      for (const layout of ['transposed', 'sliced', 'broadcast'] as const) {
        for (const axes of spec.single ? [0, -1] : [[0, 2], -1]) {
          cases.push({
            name: `${spec.name} ${dtype} ${fmt(SHAPE)} ${layout} axes ${JSON.stringify(axes)}`,
            run: () => check(spec, SHAPE, dtype, axes, false, layout, seed),
          });
        }
      }
      cases.push({
        name: `${spec.name} ${dtype} 0-d`,
        run: () => check(spec, [], dtype, undefined, false, 'contiguous', seed),
      });
    }
    for (const dtype of spec.emptyDtypes ?? DTYPE_LIST) {
      for (const [shape, axes] of EMPTY) {
        if (spec.single && Array.isArray(axes)) continue;
        if (spec.emptyBlockThrows && normalize(axes, shape.length).some((a) => shape[a] === 0)) continue;
        cases.push({
          name: `${spec.name} ${dtype} size-0 ${fmt(shape)} axes ${JSON.stringify(axes) ?? 'all'}`,
          run: () => check(spec, shape, dtype, axes, false, 'contiguous', seed),
        });
      }
    }
  });
  return cases;
}

const KNOWN: readonly Case[] = [
  {
    name: 'empty reductions give the identities: sum 0, prod 1, any false, all true; mean NaN; max, min, argmax, argmin throw (as PyTorch)',
    run: () => {
      const e = T.zeros([0]);
      expectTensor(T.sum(e), [], 'float32', [0]);
      expectTensor(T.prod(e), [], 'float32', [1]);
      expectTensor(T.any(e), [], 'bool', [0]);
      expectTensor(T.all(e), [], 'bool', [1]);
      for (const f of [T.max, T.min, T.argmax, T.argmin]) {
        expect(() => f(e)).toThrow(T.ShapeError);
        expect(() => f(T.zeros([3, 0]), 1)).toThrow(/cannot reduce over axis 1 of shape \[3,0\], which has size 0/);
      }
      expectTensor(T.mean(e), [], 'float32', [NaN]);
      expectTensor(T.logSumExp(e), [], 'float32', [-Infinity]);
      expectTensor(T.sum(T.zeros([0], 'int32')), [], 'int32', [0]);
    },
  },
  {
    name: 'max and min propagate NaN, on rows and on columns',
    run: () => {
      const x = T.tensor([
        [1, 2],
        [NaN, 3],
        [0, 1],
      ]);
      expectTensor(T.max(x, 0), [2], 'float32', [NaN, 3]);
      expectTensor(T.min(x, 0), [2], 'float32', [NaN, 1]);
      expectTensor(T.max(x, 1), [3], 'float32', [2, NaN, 1]);
      expectTensor(T.min(x, -1), [3], 'float32', [1, NaN, 0]);
      expectTensor(T.sum(x, 0), [2], 'float32', [NaN, 6]);
    },
  },
  {
    name: 'argmax and argmin return the first occurrence of a tie',
    run: () => {
      expectTensor(T.argmax(T.tensor([1, 3, 3, 2])), [], 'int32', [1]);
      expectTensor(
        T.argmin(
          T.tensor([
            [2, 1, 1],
            [0, 0, 5],
          ]),
          1,
        ),
        [2],
        'int32',
        [1, 0],
      );
      expectTensor(
        T.argmax(
          T.tensor([
            [2, 1],
            [7, 7],
          ]),
        ),
        [],
        'int32',
        [2],
      );
    },
  },
  {
    name: 'logSumExp is stable for large inputs and exact at ±Infinity',
    run: () => {
      expectTensor(T.logSumExp(T.tensor([1000, 1000])), [], 'float32', [1000 + Math.LN2]);
      expectTensor(T.logSumExp(T.tensor([-1000, -1000, -1000])), [], 'float32', [-1000 + Math.log(3)]);
      expectTensor(
        T.logSumExp(
          T.tensor([
            [-Infinity, -Infinity],
            [Infinity, 1],
            [0, -Infinity],
          ]),
          1,
        ),
        [3],
        'float32',
        [-Infinity, Infinity, 0],
      );
      expectTensor(
        T.logSumExp(
          T.tensor([
            [1, 2],
            [3, 4],
          ]),
          0,
          true,
        ),
        [1, 2],
        'float32',
        [3 + Math.log1p(Math.exp(-2)), 4 + Math.log1p(Math.exp(-2))],
      );
    },
  },
  {
    name: 'mean and variance of int32 are float32; correction 1 is the unbiased estimate',
    run: () => {
      const x = T.tensor(new Int32Array([1, 2, 4, 5]));
      expectTensor(T.mean(x), [], 'float32', [3]);
      expectTensor(T.variance(x), [], 'float32', [2.5]);
      expectTensor(T.variance(x, undefined, false, { correction: 1 }), [], 'float32', [10 / 3]);
      expectTensor(T.std(x, 0, true), [1], 'float32', [Math.sqrt(2.5)]);
    },
  },
  {
    name: 'sum of bool counts trues (int32); all and any treat NaN as true',
    run: () => {
      expectTensor(T.sum(T.tensor([true, true, false])), [], 'int32', [2]);
      expectTensor(T.all(T.tensor([NaN, 1, -1])), [], 'bool', [1]);
      expectTensor(T.any(T.tensor([0, -0, NaN])), [], 'bool', [1]);
      expectTensor(T.any(T.tensor([0, -0])), [], 'bool', [0]);
    },
  },
  {
    name: 'bad axes throw AxisError naming the op',
    run: () => {
      const x = T.zeros([2, 3]);
      expect(() => T.sum(x, 2)).toThrow(T.AxisError);
      expect(() => T.mean(x, -3)).toThrow(/mean/);
      expect(() => T.max(x, [0, -2])).toThrow(/more than once/);
      expect(() => T.argmax(x, 2)).toThrow(/argmax/);
    },
  },
];

export function registerReductions(): void {
  registerCases('reductions', reductionCases());
  registerCases('reductions on known values', KNOWN);
}
