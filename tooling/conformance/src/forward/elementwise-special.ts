import * as T from '@tsdl/tensor';
import type { DType, TensorLike } from '@tsdl/tensor';
import { expect } from 'vitest';
import { BROADCAST_SHAPES } from './elementwise';
import {
  type Case,
  DTYPE_LIST,
  type Input,
  type Layout,
  afterRead,
  expectTensor,
  fmt,
  input,
  registerCases,
  sharesStorage,
} from './harness';
import { mapBroadcast, toDtype } from './reference';

/**
 * where and cast across dtypes, shapes and layouts, and the elementwise
 * semantics the library states in words (true division, half-to-even
 * rounding, truncating casts, NaN-propagating maximum, signed zeros), checked
 * on hand-computed values.
 */

// ---- where ----------------------------------------------------------------------

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2 };
/** where returns the promoted type of its two branches (no bool → int32 lift). */
const promote = (a: DType, b: DType): DType => (RANK[a] >= RANK[b] ? a : b);

function checkWhere(c: Input, a: Input | number, b: Input | number, dtype: DType, what: string): void {
  const leaf = (v: Input | number) => (typeof v === 'number' ? { shape: [], data: [v] } : v.ref);
  const expected = mapBroadcast([c.ref, leaf(a), leaf(b)], (cv, av, bv) => (cv !== 0 ? av : bv));
  const arg = (v: Input | number): TensorLike => (typeof v === 'number' ? v : v.t);
  expectTensor(T.where(c.t, arg(a), arg(b)), expected.shape, dtype, expected.data, undefined, what);
}

/** A condition with true, false and NaN (NaN is non-zero, so true). */
function condition(shape: readonly number[], dtype: DType, seed: number, layout: Layout = 'contiguous'): Input {
  return input(shape, dtype, seed, layout);
}

/** Branches that are JS numbers or tensors of a dtype: [a, b, expected result dtype]. */
const WHERE_NUMBERS: readonly [number | DType, number | DType, DType][] = [
  [1, 0, 'int32'],
  [1.5, 0, 'float32'],
  ['int32', 2, 'int32'],
  ['int32', 0.5, 'float32'],
  ['float32', 1, 'float32'],
  ['bool', 1, 'int32'],
  [1, 'bool', 'int32'],
  [0.5, 'bool', 'float32'],
  ['bool', 'bool', 'bool'],
];

function whereCases(): Case[] {
  const cases: Case[] = [];
  for (const sc of BROADCAST_SHAPES) {
    for (const sa of BROADCAST_SHAPES) {
      cases.push({
        name: `where broadcast cond ${fmt(sc)}, a ${fmt(sa)}, b [1,3]`,
        run: () =>
          checkWhere(
            condition(sc, 'bool', 5),
            input(sa, 'float32', 6),
            input([1, 3], 'float32', 7),
            'float32',
            'where',
          ),
      });
    }
  }
  for (const dc of DTYPE_LIST) {
    for (const da of DTYPE_LIST) {
      for (const db of DTYPE_LIST) {
        cases.push({
          name: `where cond ${dc}, a ${da}, b ${db}`,
          run: () =>
            checkWhere(
              condition([2, 3], dc, 8),
              input([2, 3], da, 9),
              input([2, 3], db, 10),
              promote(da, db),
              'where dtypes',
            ),
        });
      }
    }
  }
  for (const [a, b, dtype] of WHERE_NUMBERS) {
    const leaf = (v: number | DType, seed: number): Input | number =>
      typeof v === 'string' ? input([2, 3], v, seed) : v;
    cases.push({
      name: `where(cond, ${String(a)}, ${String(b)}) is ${dtype}`,
      run: () => checkWhere(condition([2, 3], 'bool', 11), leaf(a, 12), leaf(b, 13), dtype, 'where numbers'),
    });
  }
  cases.push(
    {
      name: 'where non-contiguous cond, a and b',
      run: () =>
        checkWhere(
          condition([3, 4, 2], 'float32', 14, 'sliced'),
          input([3, 4, 2], 'float32', 15, 'transposed'),
          input([3, 4, 2], 'int32', 16, 'broadcast'),
          'float32',
          'where views',
        ),
    },
    {
      name: 'where size-0 cond [0,3] with a [3] and b []',
      run: () =>
        checkWhere(
          condition([0, 3], 'bool', 17),
          input([3], 'float32', 18),
          input([], 'float32', 19),
          'float32',
          'where size-0',
        ),
    },
    {
      name: 'where treats NaN and any non-zero condition as true',
      run: () => {
        const c = T.tensor([NaN, 0, -0, 2, -Infinity]);
        expectTensor(T.where(c, 1, 0), [5], 'int32', [1, 0, 0, 1, 1]);
      },
    },
  );
  return cases;
}

// ---- cast ----------------------------------------------------------------------

function castCases(): Case[] {
  const cases: Case[] = [];
  for (const from of DTYPE_LIST) {
    for (const to of DTYPE_LIST) {
      for (const [shape, layout] of [
        [[3, 4, 2], 'contiguous'],
        [[3, 4, 2], 'transposed'],
        [[3, 4, 2], 'sliced'],
        [[], 'contiguous'],
        [[0, 2], 'contiguous'],
      ] as const) {
        cases.push({
          name: `cast ${from} → ${to} ${fmt(shape)} ${layout}`,
          run: () => {
            const x = input(shape, from, 21, layout);
            expectTensor(
              T.cast(x.t, to),
              shape,
              to,
              x.ref.data.map((v) => toDtype(v, to)),
              undefined,
              `cast ${from}→${to}`,
            );
          },
        });
      }
    }
  }
  cases.push({
    name: 'cast to the same dtype is a view of the same storage',
    run: () => {
      const x = T.tensor([1.5, -2], [2]);
      const y = T.cast(x, 'float32');
      expect(sharesStorage(y, x)).toBe(true);
      expectTensor(y, [2], 'float32', [1.5, -2]);
    },
  });
  return cases;
}

// ---- stated semantics on hand-computed values -------------------------------------------

const KNOWN: readonly Case[] = [
  {
    name: 'int32 / int32 is true division in float32 (x / 0 is ±Infinity, 0 / 0 NaN)',
    run: () => {
      const a = T.tensor(new Int32Array([7, -7, 7, -7, 0, 1, -1]));
      const b = T.tensor(new Int32Array([2, 2, -2, -2, 0, 0, 0]));
      expectTensor(T.div(a, b), [7], 'float32', [3.5, -3.5, -3.5, 3.5, NaN, Infinity, -Infinity], { atol: 0, rtol: 0 });
      expectTensor(T.div(a, 2), [7], 'float32', [3.5, -3.5, 3.5, -3.5, 0, 0.5, -0.5], { atol: 0, rtol: 0 });
    },
  },
  {
    name: 'int32 pow truncates a fractional result toward zero',
    run: () => {
      const a = T.tensor(new Int32Array([2, 2, 3, -2, 5]));
      const b = T.tensor(new Int32Array([10, -1, 0, 3, -2]));
      expectTensor(T.pow(a, b), [5], 'int32', [1024, 0, 1, -8, 0]);
    },
  },
  {
    name: 'bool arithmetic is lifted to int32 (true + true = 2)',
    run: () => {
      const a = T.tensor([true, true, false]);
      const b = T.tensor([true, false, false]);
      expectTensor(T.add(a, b), [3], 'int32', [2, 1, 0]);
      expectTensor(T.sub(b, a), [3], 'int32', [0, -1, 0]);
      expectTensor(T.neg(a), [3], 'int32', [-1, -1, 0]);
    },
  },
  {
    name: 'round is half to even',
    run: () => {
      const x = T.tensor([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 0.49999997, 2.4999998, -3.7]);
      expectTensor(T.round(x), [10], 'float32', [0, 2, 2, 4, -0, -2, -2, 0, 2, -4], { atol: 0, rtol: 0 });
    },
  },
  {
    name: 'sign keeps NaN, -0 and 0',
    run: () => {
      afterRead([T.sign(T.tensor([NaN, -0, 0, -3.5, 2]))], ([out]) => {
        expect(out[0]).toBeNaN();
        expect(Object.is(out[1], -0)).toBe(true);
        expect(Object.is(out[2], 0)).toBe(true);
        expect(out.slice(3)).toEqual([-1, 1]);
      });
    },
  },
  {
    name: 'log(0) = -Infinity, log(-1) = sqrt(-1) = NaN, exp(-Infinity) = 0, 1/0 = Infinity, 1/-0 = -Infinity',
    run: () => {
      expectTensor(T.log(T.tensor([0, -1, 1, Infinity])), [4], 'float32', [-Infinity, NaN, 0, Infinity]);
      expectTensor(T.log1p(T.tensor([-1, -2])), [2], 'float32', [-Infinity, NaN]);
      expectTensor(T.sqrt(T.tensor([-1, 0, 4])), [3], 'float32', [NaN, 0, 2]);
      expectTensor(T.exp(T.tensor([-Infinity, 0])), [2], 'float32', [0, 1]);
      expectTensor(T.reciprocal(T.tensor([0, -0])), [2], 'float32', [Infinity, -Infinity]);
      expectTensor(T.div(T.tensor([1, -1, 0]), 0), [3], 'float32', [Infinity, -Infinity, NaN]);
    },
  },
  {
    name: 'maximum and minimum propagate NaN from either side',
    run: () => {
      const a = T.tensor([NaN, 1, NaN]);
      const b = T.tensor([1, NaN, NaN]);
      expectTensor(T.maximum(a, b), [3], 'float32', [NaN, NaN, NaN]);
      expectTensor(T.minimum(a, b), [3], 'float32', [NaN, NaN, NaN]);
      expectTensor(T.maximum(T.tensor([-Infinity, 2]), 0), [2], 'float32', [0, 2]);
    },
  },
  {
    name: 'pow(0, 0) = 1, pow(-8, 1/3) = NaN, pow(x, 0.5) = sqrt',
    run: () => {
      expectTensor(T.pow(T.tensor([0, -8, 9]), T.tensor([0, 1 / 3, 0.5])), [3], 'float32', [1, NaN, 3]);
    },
  },
  {
    name: 'cast float32 → int32 truncates toward zero',
    run: () => {
      const x = T.tensor([-2.7, 2.7, -0.5, 0.5, 1e9, -1e9, 3]);
      expectTensor(T.cast(x, 'int32'), [7], 'int32', [-2, 2, 0, 0, 1e9, -1e9, 3]);
    },
  },
  {
    name: 'cast to bool is value != 0 (NaN and -Infinity are true, -0 false)',
    run: () => {
      expectTensor(T.cast(T.tensor([0, -0, 0.1, NaN, -Infinity]), 'bool'), [5], 'bool', [0, 0, 1, 1, 1]);
      expectTensor(T.cast(T.tensor(new Int32Array([0, 3, -1])), 'bool'), [3], 'bool', [0, 1, 1]);
      expectTensor(T.cast(T.tensor([true, false]), 'float32'), [2], 'float32', [1, 0]);
      expectTensor(T.cast(T.tensor([true, false]), 'int32'), [2], 'int32', [1, 0]);
    },
  },
  {
    name: 'logical ops treat any non-zero value (NaN included) as true',
    run: () => {
      const a = T.tensor([0, 2, NaN, -0]);
      expectTensor(T.logicalNot(a), [4], 'bool', [1, 0, 0, 1]);
      expectTensor(T.logicalAnd(a, T.tensor(new Int32Array([5, 5, 5, 5]))), [4], 'bool', [0, 1, 1, 0]);
      expectTensor(T.logicalOr(a, 0), [4], 'bool', [0, 1, 1, 0]);
    },
  },
  {
    name: 'activations at known points',
    run: () => {
      const x = T.tensor([-2, 0, 1, 3]);
      expectTensor(T.leakyRelu(x), [4], 'float32', [-0.02, 0, 1, 3]);
      expectTensor(T.elu(T.tensor([-Infinity, -1, 2])), [3], 'float32', [-1, Math.E ** -1 - 1, 2]);
      expectTensor(T.sigmoid(T.tensor([0, -Infinity, Infinity])), [3], 'float32', [0.5, 0, 1]);
      expectTensor(T.softplus(T.tensor([0, -Infinity, Infinity, 100])), [4], 'float32', [Math.LN2, 0, Infinity, 100]);
      expectTensor(T.erf(T.tensor([0, 1, -1, Infinity])), [4], 'float32', [0, 0.8427007929, -0.8427007929, 1]);
      expectTensor(T.gelu(T.tensor([0, 1, -1])), [3], 'float32', [0, 0.8413447461, -0.1586552539]);
      // The lower tail does not cancel to 0 (x·Φ(x) in float64; Abramowitz & Stegun's erfc is within 1% there).
      expectTensor(T.gelu(T.tensor([-6, -8])), [2], 'float32', [-5.91952587e-9, -4.976768459e-15], {
        atol: 0,
        rtol: 2e-2,
      });
      expectTensor(T.tanh(T.tensor([Infinity, -Infinity, 0])), [3], 'float32', [1, -1, 0]);
    },
  },
  {
    name: 'a fractional JS number is float32 in the computation: eq(t, 0.2) is true where float32 t holds 0.2 (as PyTorch)',
    run: () => {
      // In float64, fround(0.2) > 0.2 and fround(1/3) > 1/3: each row below would differ.
      const x = T.tensor([0.2, 0.1, 0.3, 1 / 3, -0.2]);
      expectTensor(T.eq(x, 0.2), [5], 'bool', [1, 0, 0, 0, 0]);
      expectTensor(T.eq(0.1, x), [5], 'bool', [0, 1, 0, 0, 0]);
      expectTensor(T.ne(x, 0.3), [5], 'bool', [1, 1, 0, 1, 1]);
      expectTensor(T.le(x, 0.2), [5], 'bool', [1, 1, 0, 0, 1]);
      expectTensor(T.gt(x, 1 / 3), [5], 'bool', [0, 0, 0, 0, 0]);
      expectTensor(T.ge(x, 1 / 3), [5], 'bool', [0, 0, 0, 1, 0]);
      expectTensor(T.lt(x, -0.2), [5], 'bool', [0, 0, 0, 0, 0]);
    },
  },
  {
    name: 'arithmetic takes a fractional JS number as float32 (t − 0.1 is 0 where t holds 0.1) and an integer exactly',
    run: () => {
      const f = Math.fround;
      expectTensor(
        T.sub(T.tensor([0.1, 0.7, 1e-3]), 0.1),
        [3],
        'float32',
        [0, f(f(0.7) - f(0.1)), f(f(1e-3) - f(0.1))],
        { atol: 0, rtol: 0 },
      );
      expectTensor(T.sub(0.3, T.tensor([0.3])), [1], 'float32', [0], { atol: 0, rtol: 0 });
      // An integer operand keeps int32 arithmetic exact, beyond float32's 2^24.
      expectTensor(T.add(T.tensor(new Int32Array([16777216, -2147483647])), 1), [2], 'int32', [16777217, -2147483646]);
      expectTensor(T.mul(T.tensor(new Int32Array([16777217])), -1), [1], 'int32', [-16777217]);
    },
  },
  {
    name: 'comparisons of NaN are false except ne',
    run: () => {
      const a = T.tensor([NaN]);
      for (const [f, v] of [
        [T.eq, 0],
        [T.lt, 0],
        [T.le, 0],
        [T.gt, 0],
        [T.ge, 0],
        [T.ne, 1],
      ] as const) {
        expectTensor(f(a, a), [1], 'bool', [v]);
      }
    },
  },
];

const ERRORS: readonly Case[] = [
  {
    name: 'shapes that do not broadcast throw a ShapeError naming the op and both shapes',
    run: () => {
      expect(() => T.add(T.zeros([2, 3]), T.zeros([3, 2]))).toThrow(T.ShapeError);
      expect(() => T.mul(T.zeros([2, 3]), T.zeros([3, 2]))).toThrow(/mul.*\[2,3\].*\[3,2\]/);
      expect(() => T.where(T.zeros([2], 'bool'), T.zeros([3]), 0)).toThrow(/where/);
    },
  },
  {
    name: 'clip with min > max and gelu with an unknown approximation throw ArgumentError',
    run: () => {
      expect(() => T.clip(T.zeros([2]), 1, 0)).toThrow(T.ArgumentError);
      expect(() => T.gelu(T.zeros([2]), 'erf' as 'none')).toThrow(T.ArgumentError);
    },
  },
  {
    name: 'cast to an unknown dtype throws DTypeError',
    run: () => {
      expect(() => T.cast(T.zeros([2]), 'float64' as DType)).toThrow(T.DTypeError);
    },
  },
];

export function registerElementwiseSpecial(): void {
  registerCases('where', whereCases());
  registerCases('cast', castCases());
  registerCases('elementwise semantics on known values', KNOWN);
  registerCases('elementwise errors', ERRORS);
}
