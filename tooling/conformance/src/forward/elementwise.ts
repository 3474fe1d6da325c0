import * as T from '@tsdl/tensor';
import type { DType, Tensor, TensorLike } from '@tsdl/tensor';
import type { Tolerance } from '@tsdl/test-utils';
import { type Case, DTYPE_LIST, type Layout, expectTensor, fmt, input, registerCases, seededFor } from './harness';
import { erf, gelu, geluTanh, mapBroadcast, roundHalfEven, sigmoid, sizeOf, softplus } from './reference';

/**
 * The elementwise matrix: every unary and binary op × float32 / int32 / bool
 * inputs × shapes (0-d, size-0, every broadcast rank pair up to 4-D) ×
 * memory layouts, against float64 references, plus JS-number operands and
 * IEEE edge values.
 */

// ---- result dtypes, restated from docs/architecture.md (not imported from the library) ----
const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2 };
const promote = (a: DType, b: DType): DType => (RANK[a] >= RANK[b] ? a : b);
/** Arithmetic: the wider type, bool lifted to int32. */
const ARITH = (a: DType, b: DType): DType => (promote(a, b) === 'bool' ? 'int32' : promote(a, b));
const FLOAT = (): DType => 'float32';
const BOOL = (): DType => 'bool';
const SAME = (t: DType): DType => t;
const LIFT_BOOL = (t: DType): DType => (t === 'bool' ? 'int32' : t);
/** A JS number beside a tensor of dtype t: weak (an integer keeps int32, a fraction makes float32). */
const numberType = (v: number, t: DType): DType => (t === 'float32' || !Number.isInteger(v) ? 'float32' : 'int32');

// ---- unary ----------------------------------------------------------------------

interface UnarySpec {
  name: string;
  run: (x: Tensor) => Tensor;
  ref: (x: number) => number;
  out: (t: DType) => DType;
  /** Range of the seeded float32 inputs (default [-3, 3)). */
  lo?: number;
  hi?: number;
  tol?: Tolerance;
  /** Edge values this op is not checked on (where the float64 answer is not the library's documented one). */
  skipEdges?: readonly number[];
}

const UNARY: readonly UnarySpec[] = [
  { name: 'neg', run: T.neg, ref: (x) => -x, out: LIFT_BOOL },
  { name: 'abs', run: T.abs, ref: Math.abs, out: LIFT_BOOL },
  { name: 'exp', run: T.exp, ref: Math.exp, out: FLOAT },
  { name: 'expm1', run: T.expm1, ref: Math.expm1, out: FLOAT },
  { name: 'log', run: T.log, ref: Math.log, out: FLOAT, lo: 0.05, hi: 5 },
  { name: 'log1p', run: T.log1p, ref: Math.log1p, out: FLOAT, lo: -0.95, hi: 5 },
  { name: 'sqrt', run: T.sqrt, ref: Math.sqrt, out: FLOAT, lo: 0, hi: 5 },
  { name: 'rsqrt', run: T.rsqrt, ref: (x) => 1 / Math.sqrt(x), out: FLOAT, lo: 0.05, hi: 5 },
  { name: 'square', run: T.square, ref: (x) => x * x, out: LIFT_BOOL },
  { name: 'reciprocal', run: T.reciprocal, ref: (x) => 1 / x, out: FLOAT },
  { name: 'sin', run: T.sin, ref: Math.sin, out: FLOAT },
  { name: 'cos', run: T.cos, ref: Math.cos, out: FLOAT },
  { name: 'tanh', run: T.tanh, ref: Math.tanh, out: FLOAT },
  { name: 'sigmoid', run: T.sigmoid, ref: sigmoid, out: FLOAT },
  { name: 'erf', run: T.erf, ref: erf, out: FLOAT },
  { name: 'relu', run: T.relu, ref: (x) => (Number.isNaN(x) ? NaN : x > 0 ? x : 0), out: LIFT_BOOL },
  { name: 'leakyRelu', run: (x) => T.leakyRelu(x), ref: (x) => (x > 0 ? x : 0.01 * x), out: FLOAT },
  { name: 'leakyRelu(0.3)', run: (x) => T.leakyRelu(x, 0.3), ref: (x) => (x > 0 ? x : 0.3 * x), out: FLOAT },
  { name: 'elu', run: (x) => T.elu(x), ref: (x) => (x > 0 ? x : Math.expm1(x)), out: FLOAT },
  { name: 'elu(0.5)', run: (x) => T.elu(x, 0.5), ref: (x) => (x > 0 ? x : 0.5 * Math.expm1(x)), out: FLOAT },
  // gelu(-inf) is 0 · -inf: NaN in the float64 formula and in the kernel; not a documented value.
  { name: 'gelu', run: (x) => T.gelu(x), ref: gelu, out: FLOAT, skipEdges: [-Infinity] },
  { name: "gelu('tanh')", run: (x) => T.gelu(x, 'tanh'), ref: geluTanh, out: FLOAT, skipEdges: [-Infinity] },
  { name: 'softplus', run: T.softplus, ref: softplus, out: FLOAT, lo: -20, hi: 20 },
  { name: 'sign', run: T.sign, ref: (x) => (x > 0 ? 1 : x < 0 ? -1 : x), out: SAME },
  { name: 'floor', run: T.floor, ref: Math.floor, out: SAME },
  { name: 'ceil', run: T.ceil, ref: Math.ceil, out: SAME },
  { name: 'round', run: T.round, ref: roundHalfEven, out: SAME },
  {
    name: 'clip(-1, 2)',
    run: (x) => T.clip(x, -1, 2),
    ref: (x) => (Number.isNaN(x) ? NaN : Math.min(Math.max(x, -1), 2)),
    out: SAME,
  },
  {
    name: 'clip(-0.5, 0.5)',
    run: (x) => T.clip(x, -0.5, 0.5),
    ref: (x) => (Number.isNaN(x) ? NaN : Math.min(Math.max(x, -0.5), 0.5)),
    out: SAME,
  },
  { name: 'logicalNot', run: T.logicalNot, ref: (x) => (x === 0 ? 1 : 0), out: BOOL },
];

/** Shapes every unary op runs on, contiguous: 0-d, size-0 and ranks 1 to 4. */
const UNARY_SHAPES: readonly (readonly number[])[] = [[], [0], [7], [2, 3], [2, 0, 3], [2, 3, 1, 2]];
const VIEW_LAYOUTS: readonly Layout[] = ['transposed', 'sliced', 'broadcast'];

/** Values where IEEE behaviour shows: NaN, ±Infinity, ±0, halves (rounding), tiny and large magnitudes. */
export const EDGE_VALUES: readonly number[] = [
  NaN,
  Infinity,
  -Infinity,
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  1.5,
  2.5,
  -2.5,
  1e-7,
  88,
  -88,
  100,
  -100,
];

function checkUnary(op: UnarySpec, dtype: DType, shape: readonly number[], layout: Layout, seed: number): void {
  const x = input(shape, dtype, seed, layout, seededFor(dtype, sizeOf(shape), seed, op.lo, op.hi));
  expectTensor(
    op.run(x.t),
    shape,
    op.out(dtype),
    x.ref.data.map(op.ref),
    op.tol,
    `${op.name}(${dtype} ${fmt(shape)} ${layout})`,
  );
}

function unaryCases(): Case[] {
  const cases: Case[] = [];
  UNARY.forEach((op, k) => {
    for (const dtype of DTYPE_LIST) {
      for (const shape of UNARY_SHAPES) {
        cases.push({
          name: `${op.name} ${dtype} ${fmt(shape)}`,
          run: () => checkUnary(op, dtype, shape, 'contiguous', 11 + k),
        });
      }
      for (const layout of VIEW_LAYOUTS) {
        cases.push({
          name: `${op.name} ${dtype} [3,4,2] ${layout}`,
          run: () => checkUnary(op, dtype, [3, 4, 2], layout, 31 + k),
        });
      }
    }
    const edges = EDGE_VALUES.filter((v) => !(op.skipEdges ?? []).some((s) => Object.is(s, v)));
    cases.push({
      name: `${op.name} float32 edge values (NaN, ±Infinity, ±0, halves)`,
      run: () => {
        const x = T.tensor(edges, [edges.length]);
        expectTensor(
          op.run(x),
          [edges.length],
          op.out('float32'),
          edges.map((v) => op.ref(Math.fround(v))),
          op.tol,
          `${op.name} edges`,
        );
      },
    });
  });
  return cases;
}

// ---- binary ----------------------------------------------------------------------

interface BinarySpec {
  name: string;
  run: (a: TensorLike, b: TensorLike) => Tensor;
  ref: (a: number, b: number) => number;
  out: (a: DType, b: DType) => DType;
  /** Seeded operand values per dtype, where the default range says little (pow). */
  aValues?: (dtype: DType, n: number, seed: number) => number[];
  bValues?: (dtype: DType, n: number, seed: number) => number[];
}

const nanMax = (a: number, b: number): number => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a > b ? a : b);
const nanMin = (a: number, b: number): number => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a < b ? a : b);
const truth = (v: boolean): number => (v ? 1 : 0);

const BINARY: readonly BinarySpec[] = [
  { name: 'add', run: T.add, ref: (a, b) => a + b, out: ARITH },
  { name: 'sub', run: T.sub, ref: (a, b) => a - b, out: ARITH },
  { name: 'mul', run: T.mul, ref: (a, b) => a * b, out: ARITH },
  // True division for every dtype (int32 / int32 is float32, x / 0 is ±Infinity or NaN).
  { name: 'div', run: T.div, ref: (a, b) => a / b, out: FLOAT },
  {
    name: 'pow',
    run: T.pow,
    ref: Math.pow,
    out: ARITH,
    // Positive float bases (negative ones with fractional exponents are NaN); int32 exponents 0..3.
    aValues: (dt, n, seed) => seededFor(dt, n, seed, 0.2, 3),
    bValues: (dt, n, seed) =>
      dt === 'int32' ? seededFor('float32', n, seed, 0, 4).map(Math.floor) : seededFor(dt, n, seed, -2, 2),
  },
  { name: 'maximum', run: T.maximum, ref: nanMax, out: ARITH },
  { name: 'minimum', run: T.minimum, ref: nanMin, out: ARITH },
  { name: 'eq', run: T.eq, ref: (a, b) => truth(a === b), out: BOOL },
  { name: 'ne', run: T.ne, ref: (a, b) => truth(a !== b), out: BOOL },
  { name: 'lt', run: T.lt, ref: (a, b) => truth(a < b), out: BOOL },
  { name: 'le', run: T.le, ref: (a, b) => truth(a <= b), out: BOOL },
  { name: 'gt', run: T.gt, ref: (a, b) => truth(a > b), out: BOOL },
  { name: 'ge', run: T.ge, ref: (a, b) => truth(a >= b), out: BOOL },
  { name: 'logicalAnd', run: T.logicalAnd, ref: (a, b) => truth(a !== 0 && b !== 0), out: BOOL },
  { name: 'logicalOr', run: T.logicalOr, ref: (a, b) => truth(a !== 0 || b !== 0), out: BOOL },
];

/** One shape per rank 0..4, all mutually broadcastable; every ordered pair is a case. */
export const BROADCAST_SHAPES: readonly (readonly number[])[] = [[], [3], [2, 1], [1, 2, 3], [2, 1, 1, 3]];

/** Pairs with a size-0 dimension (alone or broadcast against 1). */
const EMPTY_PAIRS: readonly (readonly [readonly number[], readonly number[]])[] = [
  [[0], []],
  [
    [2, 0],
    [2, 1],
  ],
  [
    [1, 3],
    [0, 3],
  ],
  [[2, 0, 3], [3]],
];

/** Layout pairs for non-contiguous operands of shape [3,4,2] (the second may broadcast from [4,1]). */
const LAYOUT_PAIRS: readonly (readonly [Layout, Layout, readonly number[]])[] = [
  ['transposed', 'contiguous', [3, 4, 2]],
  ['contiguous', 'sliced', [3, 4, 2]],
  ['broadcast', 'broadcast', [3, 4, 2]],
  ['transposed', 'sliced', [3, 4, 2]],
  ['sliced', 'broadcast', [3, 4, 2]],
  ['sliced', 'transposed', [4, 1]],
  ['broadcast', 'sliced', [2]],
];

function operand(
  op: BinarySpec,
  which: 'a' | 'b',
  shape: readonly number[],
  dtype: DType,
  seed: number,
  layout: Layout = 'contiguous',
) {
  const gen = which === 'a' ? op.aValues : op.bValues;
  return input(shape, dtype, seed, layout, gen ? gen(dtype, sizeOf(shape), seed) : undefined);
}

function checkBinary(
  op: BinarySpec,
  sa: readonly number[],
  sb: readonly number[],
  da: DType,
  db: DType,
  la: Layout,
  lb: Layout,
  seed: number,
): void {
  const a = operand(op, 'a', sa, da, seed, la);
  const b = operand(op, 'b', sb, db, seed + 1000, lb);
  const expected = mapBroadcast([a.ref, b.ref], op.ref);
  const what = `${op.name}(${da} ${fmt(sa)} ${la}, ${db} ${fmt(sb)} ${lb})`;
  expectTensor(op.run(a.t, b.t), expected.shape, op.out(da, db), expected.data, undefined, what);
}

/** JS-number operands: tensor ∘ number, number ∘ tensor, and number ∘ number (a float32 0-d tensor). */
const SCALAR_CASES: readonly { dtype: DType; value: number }[] = [
  { dtype: 'float32', value: 2.5 },
  { dtype: 'float32', value: -2 },
  { dtype: 'int32', value: 2 },
  { dtype: 'int32', value: 1.5 },
  { dtype: 'bool', value: 1 },
  { dtype: 'bool', value: 0.5 },
];

function binaryCases(): Case[] {
  const cases: Case[] = [];
  BINARY.forEach((op, k) => {
    const seed = 101 + 7 * k;
    for (const da of DTYPE_LIST) {
      for (const db of DTYPE_LIST) {
        cases.push({
          name: `${op.name} ${da} ∘ ${db}`,
          run: () => checkBinary(op, [2, 3], [2, 3], da, db, 'contiguous', 'contiguous', seed),
        });
      }
    }
    for (const sa of BROADCAST_SHAPES) {
      for (const sb of BROADCAST_SHAPES) {
        cases.push({
          name: `${op.name} broadcast ${fmt(sa)} ∘ ${fmt(sb)}`,
          run: () => checkBinary(op, sa, sb, 'float32', 'float32', 'contiguous', 'contiguous', seed),
        });
      }
    }
    for (const [sa, sb] of EMPTY_PAIRS) {
      cases.push({
        name: `${op.name} size-0 ${fmt(sa)} ∘ ${fmt(sb)}`,
        run: () => checkBinary(op, sa, sb, 'float32', 'int32', 'contiguous', 'contiguous', seed),
      });
    }
    for (const [la, lb, sb] of LAYOUT_PAIRS) {
      for (const dtype of ['float32', 'int32'] as const) {
        cases.push({
          name: `${op.name} ${dtype} [3,4,2] ${la} ∘ ${fmt(sb)} ${lb}`,
          run: () => checkBinary(op, [3, 4, 2], sb, dtype, dtype, la, lb, seed),
        });
      }
    }
    for (const { dtype, value } of SCALAR_CASES) {
      cases.push({
        name: `${op.name} ${dtype} tensor ∘ number ${value}`,
        run: () => {
          const a = operand(op, 'a', [2, 3], dtype, seed);
          const out = op.out(dtype, numberType(value, dtype));
          expectTensor(
            op.run(a.t, value),
            [2, 3],
            out,
            a.ref.data.map((v) => op.ref(v, value)),
            undefined,
            `${op.name}(t, ${value})`,
          );
        },
      });
      cases.push({
        name: `${op.name} number ${value} ∘ ${dtype} tensor`,
        run: () => {
          const b = operand(op, 'b', [3], dtype, seed);
          const out = op.out(numberType(value, dtype), dtype);
          expectTensor(
            op.run(value, b.t),
            [3],
            out,
            b.ref.data.map((v) => op.ref(value, v)),
            undefined,
            `${op.name}(${value}, t)`,
          );
        },
      });
    }
    cases.push({
      name: `${op.name} number ∘ number is a float32 0-d tensor`,
      run: () => expectTensor(op.run(3, 2), [], op.out('float32', 'float32'), [op.ref(3, 2)]),
    });
    cases.push({
      name: `${op.name} float32 edge values, every pair`,
      run: () => {
        const ev = EDGE_VALUES.map(Math.fround);
        const a = T.tensor(ev, [ev.length, 1]);
        const b = T.tensor(ev, [1, ev.length]);
        const expected = mapBroadcast(
          [
            { shape: [ev.length, 1], data: ev },
            { shape: [1, ev.length], data: ev },
          ],
          op.ref,
        );
        expectTensor(
          op.run(a, b),
          expected.shape,
          op.out('float32', 'float32'),
          expected.data,
          undefined,
          `${op.name} edges`,
        );
      },
    });
  });
  return cases;
}

export function registerElementwise(): void {
  registerCases('elementwise unary', unaryCases());
  registerCases('elementwise binary', binaryCases());
}
