import { type DType } from '@tsdl/tensor';
import {
  type BinaryOp,
  E,
  type ElementwiseSpec,
  evalExpr,
  type Expr,
  exprKey,
  type UnaryOp,
  type View,
  contiguousStrides,
} from '@tsdl/tensor/backend';
import { expectAllClose, seededNumbers } from '@tsdl/test-utils';
import { describe, expect, it } from 'vitest';
import { WasmHeap } from '../src/wasm/heap';
import { planLayout, SimdElementwise } from '../src/wasm/simd-elementwise';

/**
 * The wasm SIMD elementwise kernels against evalExpr (the reference
 * semantics), with special values (NaN, ±Infinity, ±0) in every lane
 * position, rows whose length is not a multiple of four, every input mode
 * (dense, repeated row, per-row column, constant) and bool inputs/outputs.
 * Each case asserts the SIMD path ran (a null result would mean the JS
 * kernels took it, and this file would test nothing).
 */

const heap = new WasmHeap(true);
const simd = new SimdElementwise(heap);
const alloc = (dtype: 'float32' | 'bool', n: number) => heap.alloc(dtype, n, false);

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -2.5, 2.5, 3.5, 1e-30, 3e38];

/** n values: specials first (so they land in every lane), then seeded numbers in [-3, 3). */
function values(n: number, seed: number): number[] {
  const base = seededNumbers(n, seed, -3, 3);
  for (let i = 0; i < n; i++) if (i % 3 === seed % 3) base[i] = SPECIAL[(i + seed) % SPECIAL.length];
  return base;
}

function store(dtype: DType, values: readonly number[]): View['data'] {
  const a = heap.alloc(dtype, values.length, false);
  for (let i = 0; i < values.length; i++) a[i] = dtype === 'bool' ? (values[i] !== 0 ? 1 : 0) : values[i];
  return { a };
}

interface Input {
  dtype: DType;
  /** Stored values and the view's shape/strides over the output shape (broadcast dims stride 0). */
  data: number[];
  strides: number[];
}

function run(exprs: Expr[], shape: number[], inputs: Input[], dtypes: DType[], scalars: number[] = []): void {
  const views: View[] = inputs.map((x) => ({
    data: store(x.dtype, x.data),
    dtype: x.dtype,
    shape,
    strides: x.strides,
    offset: 0,
  }));
  const spec: ElementwiseSpec = { exprs, inputs: views, scalars, shape, dtypes, key: exprs.map(exprKey).join(';') };
  const outs = simd.run(spec, alloc);
  expect(outs, 'the SIMD path served this spec').not.toBeNull();
  const n = shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(shape.length).fill(0);
  const expected: number[][] = exprs.map(() => []);
  for (let p = 0; p < n; p++) {
    const args = inputs.map((x) => {
      let o = 0;
      for (let d = 0; d < shape.length; d++) o += idx[d] * x.strides[d];
      const v = x.data[o];
      // Inputs are stored in their dtype first (float32 rounding, bool 0/1).
      return x.dtype === 'bool' ? (v !== 0 ? 1 : 0) : Math.fround(v);
    });
    exprs.forEach((e, k) => {
      const v = evalExpr(e, args, scalars);
      // Stored as float32 (a finite value beyond its range becomes ±Infinity) or bool.
      expected[k].push(dtypes[k] === 'bool' ? (v !== 0 ? 1 : 0) : Math.fround(v));
    });
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  exprs.forEach((e, k) =>
    expectAllClose(
      (outs as ArrayLike<number>[])[k],
      expected[k],
      { atol: 1e-6, rtol: 2e-6 },
      `${exprKey(e)} (${dtypes[k]})`,
    ),
  );
}

const dense = (shape: number[], seed: number, dtype: DType = 'float32'): Input => {
  const strides = contiguousStrides(shape);
  return {
    dtype,
    data: values(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    strides,
  };
};

const UNARY: UnaryOp[] = [
  'neg',
  'abs',
  'sqrt',
  'rsqrt',
  'floor',
  'ceil',
  'round',
  'sign',
  'not',
  'exp',
  'sigmoid',
  'tanh',
  'log',
  'erf',
];
const BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'max', 'min', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or'];

describe('wasm SIMD elementwise', () => {
  it.each(UNARY)('%s over 3 × 13 values (rows not a multiple of 4)', (op) => {
    run([E.u(op, E.in(0))], [3, 13], [dense([3, 13], 1)], ['float32']);
  });

  it.each(BINARY)('%s over 37 values, with special values against each other', (op) => {
    run([E.b(op, E.in(0), E.in(1))], [37], [dense([37], 2), dense([37], 4)], ['float32']);
  });

  it('where(cond, a, b) treats NaN and nonzero as true, ±0 as false', () => {
    run([E.where(E.in(0), E.in(1), E.in(2))], [41], [dense([41], 5), dense([41], 6), dense([41], 7)], ['float32']);
  });

  it('a bias row repeated over rows, a per-row column and a constant, with a run-time scalar', () => {
    const shape = [5, 3, 9];
    const row: Input = { dtype: 'float32', data: values(27, 8), strides: [0, 9, 1] };
    const col: Input = { dtype: 'float32', data: values(5, 9), strides: [1, 0, 0] };
    const one: Input = { dtype: 'float32', data: [1.5], strides: [0, 0, 0] };
    const e = E.add(E.mul(E.sub(E.in(0), E.in(2)), E.in(3)), E.mul(E.in(1), E.s(0)));
    expect(
      planLayout(
        shape,
        [dense(shape, 1), row, col, one].map((x) => ({
          data: {},
          dtype: x.dtype,
          shape,
          strides: x.strides,
          offset: 0,
        })),
      )?.modes,
    ).toEqual(['dense', 'row', 'col', 'const']);
    run([e], shape, [dense(shape, 10), row, col, one], ['float32'], [0.25]);
  });

  it('rows at a fixed stride: a gate block of a [4, 40] product, one time step of [3, 5, 12]', () => {
    const gate: Input = { dtype: 'float32', data: values(160, 21), strides: [40, 1] };
    const view = (x: Input, shape: number[]): View => ({
      data: {},
      dtype: x.dtype,
      shape,
      strides: x.strides,
      offset: 0,
    });
    expect(planLayout([4, 10], [view(gate, [4, 10]), view(dense([4, 10], 22), [4, 10])])).toMatchObject({
      outer: 4,
      inner: 10,
      modes: ['strided', 'dense'],
      strides: [[40], []],
    });
    run([E.u('sigmoid', E.in(0))], [4, 10], [gate], ['float32']);
    run([E.add(E.u('tanh', E.in(0)), E.in(1))], [4, 10], [gate, dense([4, 10], 22)], ['float32']);
    const step: Input = { dtype: 'float32', data: values(180, 23), strides: [60, 1] };
    const mask: Input = { dtype: 'bool', data: values(180, 24), strides: [60, 1] };
    run([E.where(E.in(1), E.u('exp', E.in(0)), E.c(0))], [3, 12], [step, mask], ['float32']);
  });

  it('rows of a permuted view: attention heads [2, 2, 3, 8] read as [2, 3, 2, 8], a transposed [4, 3, 10]', () => {
    const heads: Input = { dtype: 'float32', data: values(96, 25), strides: [48, 8, 24, 1] };
    const shape = [2, 3, 2, 8];
    const view = (x: Input): View => ({ data: {}, dtype: x.dtype, shape, strides: x.strides, offset: 0 });
    expect(planLayout(shape, [view(heads), view(dense(shape, 26))])).toMatchObject({
      outer: 12,
      inner: 8,
      modes: ['rows', 'dense'],
      strides: [[48, 8, 24], []],
    });
    run([E.in(0)], shape, [heads], ['float32']);
    run([E.mul(E.in(0), E.u('tanh', E.in(1)))], shape, [heads, dense(shape, 26)], ['float32']);
    const t: Input = { dtype: 'float32', data: values(120, 27), strides: [10, 30, 1] };
    run([E.u('exp', E.in(0))], [3, 4, 10], [t], ['float32']);
  });

  it('bool inputs and outputs (relu mask: gt(x, 0) as bool; dy · mask as float32)', () => {
    run([E.b('gt', E.in(0), E.c(0))], [2, 19], [dense([2, 19], 11)], ['bool']);
    run(
      [E.mul(E.in(0), E.in(1)), E.b('or', E.in(1), E.in(0))],
      [23],
      [dense([23], 12), dense([23], 13, 'bool')],
      ['float32', 'bool'],
    );
    const colMask: Input = { dtype: 'bool', data: [1, 0, 1, 1], strides: [1, 0] };
    run([E.where(E.in(1), E.in(0), E.c(-7))], [4, 10], [dense([4, 10], 14), colMask], ['float32']);
  });

  it("Adam's update: three outputs sharing the moments, scalars at run time", () => {
    const p = E.in(0);
    const g = E.in(1);
    const m = E.add(E.mul(E.s(1), E.in(2)), E.mul(E.s(2), g));
    const v = E.add(E.mul(E.s(3), E.in(3)), E.mul(E.s(4), E.mul(g, g)));
    const next = E.sub(p, E.mul(E.s(6), E.div(m, E.add(E.div(E.u('sqrt', v), E.s(7)), E.s(5)))));
    // Realistic magnitudes: float32 intermediates (unlike the JS kernels' float64) overflow for |g| near 1e19.
    const n = 131;
    const x = (seed: number, lo = -3): Input => ({
      dtype: 'float32',
      data: seededNumbers(n, seed, lo, 3),
      strides: [1],
    });
    run(
      [next, m, v],
      [n],
      [x(15), x(16), x(17), x(18, 0)],
      ['float32', 'float32', 'float32'],
      [1e-3, 0.9, 0.1, 0.999, 0.001, 1e-8, 0.01, 0.03, 0],
    );
  });

  it('writes nothing past its outputs: rows of 10 leave the next block intact', () => {
    // Free lists are last-in first-out: the input takes block a, the output block x, which block b follows in memory.
    const x = heap.alloc('float32', 80);
    const b = heap.alloc('float32', 80).fill(7);
    const a = heap.alloc('float32', 80);
    heap.alloc('float32', 10); // where the bias row goes, so it takes neither
    heap.free(x);
    heap.free(a);
    // A bias row makes the kernel walk rows of 10 (a flat layout would be one row of 80).
    run(
      [E.add(E.in(0), E.in(1))],
      [8, 10],
      [dense([8, 10], 19), { dtype: 'float32', data: values(10, 20), strides: [0, 1] }],
      ['float32'],
    );
    expect(Array.from(b)).toEqual(new Array(80).fill(7));
  });

  it('declines what it cannot do: sin, int32, short rows, transposed inputs', () => {
    const spec = (exprs: Expr[], shape: number[], strides: number[], dtype: DType = 'float32'): ElementwiseSpec => ({
      exprs,
      inputs: [
        { data: store(dtype, new Array(shape.reduce((a, b) => a * b, 1)).fill(1)), dtype, shape, strides, offset: 0 },
      ],
      scalars: [],
      shape,
      dtypes: [dtype],
      key: exprs.map(exprKey).join(';'),
    });
    expect(simd.run(spec([E.u('sin', E.in(0))], [16], [1]), alloc)).toBeNull();
    expect(simd.run(spec([E.in(0)], [16], [1], 'int32'), alloc)).toBeNull();
    expect(simd.run(spec([E.in(0)], [4], [1]), alloc)).toBeNull();
    expect(simd.run(spec([E.in(0)], [8, 8], [1, 8]), alloc)).toBeNull();
  });
});
