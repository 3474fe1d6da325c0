import * as T from '@tsdl/tensor';
import { randomNormal, randomUniform } from '@tsdl/tensor/backend';
import { nextKey } from '@tsdl/tensor/internal';
import type { DType } from '@tsdl/tensor';
import { expectAllClose } from '@tsdl/test-utils';
import { expect } from 'vitest';
import { type Case, afterRead, expectTensor, registerCases } from './harness';
import { R } from './reference';

/**
 * Creation (tensor from nested arrays and TypedArrays with dtype inference,
 * scalar, zeros, ones, full, *Like, arange, linspace, eye) on known values,
 * and the random ops: seeded reproducibility, the counter-based formula every
 * backend follows, and moments over 10,000 samples within 5 standard errors.
 */

const exact = { atol: 0, rtol: 0 };

const TENSOR: readonly Case[] = [
  {
    name: 'tensor from nested arrays infers the shape; numbers give float32, booleans bool',
    run: () => {
      expectTensor(
        T.tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        [2, 3],
        'float32',
        [1, 2, 3, 4, 5, 6],
      );
      expectTensor(
        T.tensor([
          [[1], [2]],
          [[3], [4]],
        ]),
        [2, 2, 1],
        'float32',
        [1, 2, 3, 4],
      );
      expectTensor(
        T.tensor([
          [true, false],
          [false, true],
        ]),
        [2, 2],
        'bool',
        [1, 0, 0, 1],
      );
      expectTensor(T.tensor([0.1, -2.5]), [2], 'float32', [Math.fround(0.1), -2.5], exact);
    },
  },
  {
    name: 'tensor of empty nested arrays has size-0 dimensions',
    run: () => {
      expectTensor(T.tensor([]), [0], 'float32', []);
      expectTensor(T.tensor([[], []]), [2, 0], 'float32', []);
    },
  },
  {
    name: 'tensor from a flat array takes an explicit shape; a dtype converts the values',
    run: () => {
      expectTensor(T.tensor([1, 2, 3, 4, 5, 6], [3, 2]), [3, 2], 'float32', [1, 2, 3, 4, 5, 6]);
      expectTensor(T.tensor([1.7, -2.2, 3], undefined, 'int32'), [3], 'int32', [1, -2, 3]);
      expectTensor(T.tensor([0, 2, -0.5], undefined, 'bool'), [3], 'bool', [0, 1, 1]);
      expectTensor(T.tensor([true, false], undefined, 'float32'), [2], 'float32', [1, 0]);
      expectTensor(T.tensor([7], []), [], 'float32', [7]);
    },
  },
  ...(
    [
      ['Float32Array', new Float32Array([1.5, -2]), 'float32'],
      ['Float64Array', new Float64Array([1.5, -2]), 'float32'],
      ['Int32Array', new Int32Array([3, -2]), 'int32'],
      ['Uint8Array', new Uint8Array([3, 255]), 'int32'],
      ['Uint8ClampedArray', new Uint8ClampedArray([3, 255]), 'int32'],
      ['Int8Array', new Int8Array([3, -2]), 'int32'],
      ['Int16Array', new Int16Array([3, -2]), 'int32'],
      ['Uint16Array', new Uint16Array([3, 65535]), 'int32'],
      ['Uint32Array', new Uint32Array([3, 7]), 'int32'],
    ] as const
  ).map(
    ([name, arr, dtype]): Case => ({
      name: `tensor from a ${name} is ${dtype}`,
      run: () => expectTensor(T.tensor(arr), [2], dtype, Array.from(arr as ArrayLike<number>)),
    }),
  ),
  {
    name: 'tensor copies its input: changing the source array afterwards changes nothing',
    run: () => {
      const src = new Float32Array([1, 2, 3]);
      const t = T.tensor(src);
      src[0] = 99;
      expectTensor(t, [3], 'float32', [1, 2, 3]);
    },
  },
  {
    name: 'scalar makes 0-d tensors: float32 from numbers, bool from booleans, or the given dtype',
    run: () => {
      expectTensor(T.scalar(3.5), [], 'float32', [3.5]);
      expectTensor(T.scalar(true), [], 'bool', [1]);
      expectTensor(T.scalar(2.9, 'int32'), [], 'int32', [2]);
      expectTensor(T.tensor(4), [], 'float32', [4]);
    },
  },
  {
    name: 'tensor errors: ragged arrays, counts that do not fill the shape, unknown dtypes, DataView',
    run: () => {
      expect(() => T.tensor([[1, 2], [3]])).toThrow(/ragged/);
      expect(() => T.tensor([1, 2, 3], [2, 2])).toThrow(/3 values cannot fill shape \[2,2\]/);
      expect(() => T.tensor([1], undefined, 'float64' as DType)).toThrow(T.DTypeError);
      expect(() => T.tensor(new DataView(new ArrayBuffer(4)))).toThrow(T.ArgumentError);
      expect(() => T.tensor([1, 2], [-1, -2])).toThrow(T.ShapeError);
    },
  },
];

const FILLS: readonly Case[] = [
  {
    name: 'zeros, ones and full fill any shape (size-0 included) in any dtype',
    run: () => {
      expectTensor(T.zeros([2, 3]), [2, 3], 'float32', new Array<number>(6).fill(0));
      expectTensor(T.ones([3], 'int32'), [3], 'int32', [1, 1, 1]);
      expectTensor(T.ones([2], 'bool'), [2], 'bool', [1, 1]);
      expectTensor(T.zeros([]), [], 'float32', [0]);
      expectTensor(T.zeros([2, 0]), [2, 0], 'float32', []);
      expectTensor(T.full([2, 2], 2.5), [2, 2], 'float32', [2.5, 2.5, 2.5, 2.5]);
      expectTensor(T.full([2], true), [2], 'bool', [1, 1]);
      expectTensor(T.full([3], -7, 'int32'), [3], 'int32', [-7, -7, -7]);
      expectTensor(T.full([1], NaN), [1], 'float32', [NaN]);
    },
  },
  {
    name: 'zerosLike and onesLike keep the shape and dtype (of views too) unless a dtype is given',
    run: () => {
      const x = T.transpose(T.tensor(new Int32Array([1, 2, 3, 4, 5, 6]), [2, 3]));
      expectTensor(T.zerosLike(x), [3, 2], 'int32', new Array<number>(6).fill(0));
      expectTensor(T.onesLike(x), [3, 2], 'int32', new Array<number>(6).fill(1));
      expectTensor(T.onesLike(x, 'bool'), [3, 2], 'bool', new Array<number>(6).fill(1));
      expectTensor(T.zerosLike(T.scalar(true)), [], 'bool', [0]);
    },
  },
  {
    name: 'fill errors: negative or fractional dimensions (ShapeError), unknown dtypes',
    run: () => {
      expect(() => T.zeros([2, -1])).toThrow(T.ShapeError);
      expect(() => T.ones([1.5])).toThrow(T.ShapeError);
      expect(() => T.full([2], 1, 'uint8' as DType)).toThrow(T.DTypeError);
    },
  },
];

/** [args, expected dtype]: arange(start, stop, step) against start + i·step for i < ceil((stop − start) / step). */
const ARANGE: readonly [readonly [number, number?, number?, DType?], DType][] = [
  [[5], 'int32'],
  [[2, 8, 2], 'int32'],
  [[2, 9, 2], 'int32'],
  [[5, 0, -1], 'int32'],
  [[1, 0, -0.25], 'float32'],
  [[0, 1, 0.1], 'float32'],
  [[-1.5, 1.5], 'float32'],
  [[5, 2], 'int32'],
  [[0], 'int32'],
  [[0, 4, 1, 'float32'], 'float32'],
  [[0.5, 4, 1, 'int32'], 'int32'],
];

const RANGES: readonly Case[] = [
  ...ARANGE.map(
    ([args, dtype]): Case => ({
      name: `arange(${args.filter((a) => a !== undefined).join(', ')}) is ${dtype}`,
      run: () => {
        const step = args[2] ?? 1;
        const [start, stop] = args[1] === undefined ? [0, args[0]] : [args[0], args[1]];
        const n = Math.max(0, Math.ceil((stop - start) / step));
        const expected = Array.from({ length: n }, (_, i) => start + i * step);
        expectTensor(T.arange(args[0], args[1], args[2], args[3]), [n], dtype, expected, exact);
      },
    }),
  ),
  {
    name: 'linspace includes both ends exactly; num 1 gives start, num 0 nothing',
    run: () => {
      expectTensor(T.linspace(0, 1, 5), [5], 'float32', [0, 0.25, 0.5, 0.75, 1], exact);
      expectTensor(T.linspace(2, -1, 4), [4], 'float32', [2, 1, 0, -1], exact);
      afterRead([T.linspace(0, 0.3, 7)], ([l]) => {
        expect(l[6]).toBe(Math.fround(0.3));
        expectAll(
          l,
          Array.from({ length: 7 }, (_, i) => i * 0.05),
        );
      });
      expectTensor(T.linspace(3, 9, 1), [1], 'float32', [3]);
      expectTensor(T.linspace(3, 9, 0), [0], 'float32', []);
    },
  },
  {
    name: 'eye is the identity, rectangular as asked, in any dtype',
    run: () => {
      expectTensor(T.eye(3), [3, 3], 'float32', [1, 0, 0, 0, 1, 0, 0, 0, 1]);
      expectTensor(T.eye(2, 3), [2, 3], 'float32', [1, 0, 0, 0, 1, 0]);
      expectTensor(T.eye(3, 2, 'int32'), [3, 2], 'int32', [1, 0, 0, 1, 0, 0]);
      expectTensor(T.eye(0), [0, 0], 'float32', []);
    },
  },
  {
    name: 'range errors: arange step 0, linspace with a negative or fractional count',
    run: () => {
      expect(() => T.arange(0, 5, 0)).toThrow(T.ArgumentError);
      expect(() => T.linspace(0, 1, -1)).toThrow(T.ArgumentError);
      expect(() => T.linspace(0, 1, 2.5)).toThrow(T.ArgumentError);
    },
  },
];

function expectAll(actual: number[], expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(1e-6 + 1e-6 * Math.abs(expected[i])));
}

// ---- random ----------------------------------------------------------------------

const N = 10_000;
const moments = (v: number[]) => ({ mean: R.mean(v), std: Math.sqrt(R.variance(v)) });

const RANDOM: readonly Case[] = [
  {
    name: 'rand, randn and randint with the same seed give the same values; another seed gives others',
    run: () => {
      for (const make of [
        (s: number) => T.rand([50], { seed: s }),
        (s: number) => T.randn([50], { seed: s }),
        (s: number) => T.randint(0, 1000, [50], { seed: s }),
      ]) {
        afterRead([make(1), make(1), make(2)], ([a, again, other]) => {
          expect(again).toEqual(a);
          expect(other.filter((v, i) => v !== a[i]).length).toBeGreaterThan(40);
        });
      }
    },
  },
  {
    name: 'seed(n) resets the global generator: the same sequence of random ops repeats',
    run: () => {
      T.seed(123);
      const a = [T.rand([20]), T.randn([20])];
      T.seed(123);
      const b = [T.rand([20]), T.randn([20])];
      const next = T.rand([20]);
      afterRead([...a, ...b, next], ([a0, a1, b0, b1, n]) => {
        expect([b0, b1]).toEqual([a0, a1]);
        expect(n).not.toEqual(a0);
      });
    },
  },
  {
    name: 'rand and randn follow the counter-based formulas of random.ts (the same values on every backend)',
    run: () => {
      const key = nextKey(42);
      afterRead([T.rand([3, 7], { seed: 42 }), T.randn([21], { seed: 42 })], ([u, z]) => {
        u.forEach((v, i) => expect(v).toBe(Math.fround(randomUniform(key, i))));
        // Normal values pass through log, sqrt and cos, which a GPU evaluates in float32 (the host
        // formula in float64): equal up to float32 rounding, a few ulps, not bit for bit.
        expectAllClose(
          z,
          z.map((_, i) => Math.fround(randomNormal(key, i))),
          { atol: 1e-6, rtol: 1e-6 },
          'randn',
        );
      });
    },
  },
  {
    name: `rand over ${N} samples: in [0, 1), mean 1/2 and std 1/√12 within 5 standard errors`,
    run: () => {
      afterRead([T.rand([100, 100], { seed: 5 })], ([v]) => {
        expect(v.every((x) => x >= 0 && x < 1)).toBe(true);
        const m = moments(v);
        expect(Math.abs(m.mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
        expect(Math.abs(m.std - Math.sqrt(1 / 12))).toBeLessThan(5 * 0.0015);
      });
    },
  },
  {
    name: `rand with low/high over ${N} samples: in [low, high), mean (low + high)/2`,
    run: () => {
      afterRead([T.rand([N], { seed: 6, low: -2, high: 3 })], ([v]) => {
        expect(v.every((x) => x >= -2 && x < 3)).toBe(true);
        expect(Math.abs(R.mean(v) - 0.5)).toBeLessThan(5 * Math.sqrt(25 / 12 / N));
      });
    },
  },
  {
    name: `randn over ${N} samples: mean 0, std 1, 68.3% within one std, all within 5 standard errors`,
    run: () => {
      afterRead([T.randn([N], { seed: 7 })], ([v]) => {
        const m = moments(v);
        expect(Math.abs(m.mean)).toBeLessThan(5 / Math.sqrt(N));
        expect(Math.abs(m.std - 1)).toBeLessThan(5 / Math.sqrt(2 * N));
        const within = v.filter((x) => Math.abs(x) < 1).length / N;
        expect(Math.abs(within - 0.6827)).toBeLessThan(5 * Math.sqrt((0.6827 * 0.3173) / N));
      });
    },
  },
  {
    name: `randn with mean 3 and std 0.5 over ${N} samples`,
    run: () => {
      afterRead([T.randn([N], { seed: 8, mean: 3, std: 0.5 })], ([v]) => {
        const m = moments(v);
        expect(Math.abs(m.mean - 3)).toBeLessThan((5 * 0.5) / Math.sqrt(N));
        expect(Math.abs(m.std - 0.5)).toBeLessThan((5 * 0.5) / Math.sqrt(2 * N));
      });
    },
  },
  {
    name: `randint(-3, 4) over ${N} samples: int32 in [-3, 4), each value about N/7 times`,
    run: () => {
      const t = T.randint(-3, 4, [N], { seed: 9 });
      expect(t.dtype).toBe('int32');
      afterRead([t], ([v]) => {
        const counts = new Map<number, number>();
        for (const x of v) counts.set(x, (counts.get(x) ?? 0) + 1);
        expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
        const p = 1 / 7;
        for (const c of counts.values()) expect(Math.abs(c / N - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
      });
    },
  },
  {
    name: 'random ops make any shape, size-0 included',
    run: () => {
      expect(T.rand([2, 0, 3]).shape).toEqual([2, 0, 3]);
      expect(T.randn([]).shape).toEqual([]);
      expect(T.randint(0, 2, [4, 1]).shape).toEqual([4, 1]);
    },
  },
  {
    name: 'randint errors: low >= high or non-integer bounds',
    run: () => {
      expect(() => T.randint(3, 3, [2])).toThrow(T.ArgumentError);
      expect(() => T.randint(0, 2.5, [2])).toThrow(T.ArgumentError);
      expect(() => T.rand([-1])).toThrow(T.ShapeError);
    },
  },
];

export function registerCreation(): void {
  registerCases('creation: tensor and scalar', TENSOR);
  registerCases('creation: fills', FILLS);
  registerCases('creation: ranges', RANGES);
  registerCases('random', RANDOM);
}
