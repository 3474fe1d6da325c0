import type { DType, TypedArray } from '@tsdl/tensor';
import type { Expr } from '@tsdl/tensor/backend';
import { BINARY_OPS, E, evalExpr, exprKey, makeTypedArray, UNARY_OPS } from '@tsdl/tensor/backend';
import { compareClose } from '@tsdl/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/index';
import { acquireTestGpu, gpuAvailable } from './gpu';
import { data, Differential, place } from './harness';

/**
 * Generated elementwise kernels against evalExpr (the reference semantics):
 * every unary and binary op over special values, integer arithmetic, output
 * conversions, scalars, multi-output specs, and strided/broadcast layouts
 * against the CPU backend.
 */

const gpu = await acquireTestGpu();

interface In {
  values: number[];
  dtype: DType;
}

/** Runs exprs on the GPU over dense 1-D inputs; returns the outputs. */
async function runGpu(
  g: WebGpuBackend,
  exprs: Expr[],
  inputs: In[],
  dtypes: DType[],
  scalars: number[] = [],
): Promise<TypedArray[]> {
  const n = inputs[0].values.length;
  const views = inputs.map((x) => place(g, { data: x.values, dtype: x.dtype, shape: [n] }));
  const ids = g.elementwise({ exprs, inputs: views, scalars, shape: [n], dtypes, key: exprs.map(exprKey).join(';') });
  const out = await Promise.all(ids.map((id) => g.read(id)));
  for (const v of views) g.free(v.data);
  for (const id of ids) g.free(id);
  return out;
}

/** evalExpr per element, stored as a typed array of `dtype` stores it (what every backend must give). */
function expected(e: Expr, inputs: In[], dtype: DType, scalars: number[] = []): TypedArray {
  const n = inputs[0].values.length;
  const out = makeTypedArray(dtype, n);
  for (let i = 0; i < n; i++) {
    const v = evalExpr(
      e,
      inputs.map((x) => (x.dtype === 'float32' ? Math.fround(x.values[i]) : x.values[i])),
      scalars,
    );
    out[i] = dtype === 'bool' ? (v !== 0 ? 1 : 0) : v;
  }
  return out;
}

async function expectMatches(
  g: WebGpuBackend,
  e: Expr,
  inputs: In[],
  dtype: DType,
  tol = { atol: 1e-6, rtol: 2e-6 },
  scalars: number[] = [],
): Promise<void> {
  const [got] = await runGpu(g, [e], inputs, [dtype], scalars);
  const msg = compareClose(got, expected(e, inputs, dtype, scalars), tol);
  if (msg) throw new Error(`${exprKey(e)}: ${msg}`);
}

const SPECIAL = [
  -Infinity,
  -100,
  -50,
  -10,
  -3.7,
  -2.5,
  -1.5,
  -1,
  -0.75,
  -0.5,
  -1e-3,
  -1e-8,
  -0,
  0,
  1e-8,
  1e-3,
  0.3,
  0.5,
  0.75,
  0.9999,
  1,
  1.0001,
  1.5,
  2.5,
  3.7,
  10,
  50,
  88,
  100,
  Infinity,
  NaN,
];

/** Ops whose GPU builtins are accurate only in absolute terms or on small arguments. */
const UNARY_TOL: Partial<Record<string, { atol: number; rtol: number }>> = {
  sin: { atol: 1e-7, rtol: 2e-6 },
  cos: { atol: 1e-7, rtol: 2e-6 },
  exp: { atol: 1e-6, rtol: 1e-5 },
  expm1: { atol: 1e-6, rtol: 1e-5 },
  sigmoid: { atol: 1e-6, rtol: 1e-5 },
  erf: { atol: 1e-6, rtol: 1e-5 },
  tanh: { atol: 1e-6, rtol: 1e-5 },
};

describe.runIf(gpuAvailable(gpu, it))('webgpu elementwise', () => {
  let g: WebGpuBackend;
  let diff: Differential;
  beforeAll(() => {
    g = gpu.backend();
    diff = new Differential(g);
  });

  for (const op of UNARY_OPS) {
    it(`unary ${op} over special values matches evalExpr`, async () => {
      // sin and cos are compared up to |x| = 100: beyond, float32 arguments are too sparse for the comparison to mean much.
      const values =
        op === 'sin' || op === 'cos' ? SPECIAL.filter((v) => !Number.isFinite(v) || Math.abs(v) <= 100) : SPECIAL;
      await expectMatches(g, E.u(op, E.in(0)), [{ values, dtype: 'float32' }], 'float32', UNARY_TOL[op]);
    });
  }

  for (const op of BINARY_OPS) {
    it(`binary ${op} over pairs of special values matches evalExpr`, async () => {
      const base = [-Infinity, -2.5, -2, -1, -0.5, -0, 0, 0.5, 1, 2, 3, 2.5, Infinity, NaN];
      const a: number[] = [];
      const b: number[] = [];
      for (const x of base)
        for (const y of base) {
          a.push(x);
          b.push(y);
        }
      await expectMatches(
        g,
        E.b(op, E.in(0), E.in(1)),
        [
          { values: a, dtype: 'float32' },
          { values: b, dtype: 'float32' },
        ],
        'float32',
        {
          atol: 1e-6,
          rtol: 1e-5,
        },
      );
    });
  }

  it('keeps int32 arithmetic exact over all 32 bits and wraps like an Int32Array store', async () => {
    const a = { values: [16777217, 2147483000, -2147483648, 123456789, -7, 46341], dtype: 'int32' as const };
    const b = { values: [0, 600, -1, 987654321, 3, 46341], dtype: 'int32' as const };
    for (const op of ['add', 'sub', 'mul', 'max', 'min'] as const) {
      const [got] = await runGpu(g, [E.b(op, E.in(0), E.in(1))], [a, b], ['int32']);
      const want = new Int32Array(
        a.values.map((x, i) =>
          op === 'mul' ? Math.imul(x, b.values[i]) : evalExpr(E.b(op, E.in(0), E.in(1)), [x, b.values[i]]),
        ),
      );
      expect(Array.from(got), op).toEqual(Array.from(want));
    }
  });

  it('divides integers to float32 (Infinity and NaN for zero divisors) and floors like floor(a / b)', async () => {
    const a = { values: [7, -7, 1, 0, -1, 9], dtype: 'int32' as const };
    const b = { values: [2, 2, 0, 0, 0, -4], dtype: 'int32' as const };
    const [q, f] = await runGpu(
      g,
      [E.div(E.in(0), E.in(1)), E.u('floor', E.div(E.in(0), E.in(1)))],
      [a, b],
      ['float32', 'int32'],
    );
    expect(Array.from(q)).toEqual([3.5, -3.5, Infinity, NaN, -Infinity, -2.25]);
    expect(Array.from(f)).toEqual([3, -4, 0, 0, 0, -3]);
  });

  it('keeps the sign of a baked -0 constant: 1 / (x * -0)', async () => {
    const [r] = await runGpu(
      g,
      [E.div(E.c(1), E.mul(E.in(0), E.c(-0)))],
      [{ values: [1, -1, 2.5], dtype: 'float32' }],
      ['float32'],
    );
    expect(Array.from(r)).toEqual([-Infinity, Infinity, -Infinity]);
  });

  it('rounds half to even', async () => {
    const [r] = await runGpu(
      g,
      [E.u('round', E.in(0))],
      [{ values: [0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 2.4999998, 2.5000002], dtype: 'float32' }],
      ['float32'],
    );
    expect(Array.from(r)).toEqual([0, 2, 2, 4, -0, -2, -2, 2, 3]);
  });

  it('converts results to int32 as an Int32Array store does and to bool as != 0', async () => {
    const x = { values: [2.7, -2.7, NaN, Infinity, -Infinity, 3e9, -3e9, 0.4, -0], dtype: 'float32' as const };
    const [i, b] = await runGpu(g, [E.in(0), E.in(0)], [x], ['int32', 'bool']);
    expect(Array.from(i)).toEqual(Array.from(new Int32Array(x.values.map(Math.fround))));
    expect(b).toBeInstanceOf(Uint8Array);
    expect(Array.from(b)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0]);
  });

  it('computes pow like Math.pow, exactly for small integer exponents', async () => {
    const a = [-2, -2, 0, 0, 2, 3, 2, 1.0001, -0, 10, 4, -8, 1, 0.5];
    const b = [3, 0.5, -1, 0, 10, 2, 0.5, 10000, -3, -2, 0.5, 1 / 3, Infinity, -Infinity];
    await expectMatches(
      g,
      E.b('pow', E.in(0), E.in(1)),
      [
        { values: a, dtype: 'float32' },
        { values: b, dtype: 'float32' },
      ],
      'float32',
      {
        atol: 0,
        rtol: 2e-6,
      },
    );
    const [p] = await runGpu(
      g,
      [E.b('pow', E.in(0), E.in(1))],
      [
        { values: [3, 7, -3, 2], dtype: 'int32' },
        { values: [2, 3, 3, 30], dtype: 'int32' },
      ],
      ['int32'],
    );
    expect(Array.from(p)).toEqual([9, 343, -27, 1073741824]);
  });

  it('propagates NaN through max/min, treats NaN as nonzero in where and logic', async () => {
    const x = { values: [NaN, 1, NaN, 0], dtype: 'float32' as const };
    const y = { values: [1, NaN, NaN, 2], dtype: 'float32' as const };
    const [mx, mn, ne, w, and] = await runGpu(
      g,
      [
        E.b('max', E.in(0), E.in(1)),
        E.b('min', E.in(0), E.in(1)),
        E.b('ne', E.in(0), E.in(1)),
        E.where(E.in(0), E.c(5), E.c(6)),
        E.b('and', E.in(0), E.in(1)),
      ],
      [x, y],
      ['float32', 'float32', 'bool', 'float32', 'bool'],
    );
    expect(Array.from(mx)).toEqual([NaN, NaN, NaN, 2]);
    expect(Array.from(mn)).toEqual([NaN, NaN, NaN, 0]);
    expect(Array.from(ne)).toEqual([1, 1, 1, 1]);
    expect(Array.from(w)).toEqual([5, 5, 5, 6]);
    expect(Array.from(and)).toEqual([1, 1, 1, 0]);
  });

  it('reads bool inputs as 0/1 (true + true = 2) and writes bool outputs', async () => {
    const a = { values: [1, 1, 0, 0], dtype: 'bool' as const };
    const b = { values: [1, 0, 1, 0], dtype: 'bool' as const };
    const [s, o, n] = await runGpu(
      g,
      [E.add(E.in(0), E.in(1)), E.b('or', E.in(0), E.in(1)), E.u('not', E.in(0))],
      [a, b],
      ['int32', 'bool', 'bool'],
    );
    expect(Array.from(s)).toEqual([2, 1, 1, 0]);
    expect(Array.from(o)).toEqual([1, 1, 1, 0]);
    expect(Array.from(n)).toEqual([0, 0, 1, 1]);
  });

  it('passes scalars at run time: integers keep int32 exact, fractions compute in float32', async () => {
    const e = E.add(E.in(0), E.s(0));
    const [i] = await runGpu(g, [e], [{ values: [16777217, -5, 100], dtype: 'int32' }], ['int32'], [3]);
    expect(Array.from(i)).toEqual([16777220, -2, 103]);
    const x = { values: [1048577, -5, 100], dtype: 'int32' as const };
    const [f] = await runGpu(g, [e], [x], ['float32'], [0.5]);
    expect(Array.from(f)).toEqual([1048577.5, -4.5, 100.5]);
    // The same expression with a new scalar value reuses the kernel and gives the new result.
    const [f2] = await runGpu(g, [e], [x], ['float32'], [0.25]);
    expect(Array.from(f2)).toEqual([1048577.25, -4.75, 100.25]);
  });

  it('computes a fused multi-output update (Adam-like) in one spec, sharing subexpressions', async () => {
    const n = 1000;
    const p = { values: data(n, 1), dtype: 'float32' as const };
    const gr = { values: data(n, 2), dtype: 'float32' as const };
    const m = { values: data(n, 3, -0.1, 0.1), dtype: 'float32' as const };
    const v = { values: data(n, 4, 0, 0.1), dtype: 'float32' as const };
    const m2 = E.add(E.mul(E.s(0), E.in(2)), E.mul(E.sub(E.c(1), E.s(0)), E.in(1)));
    const v2 = E.add(E.mul(E.s(1), E.in(3)), E.mul(E.sub(E.c(1), E.s(1)), E.mul(E.in(1), E.in(1))));
    const p2 = E.sub(E.in(0), E.div(E.mul(E.s(2), m2), E.add(E.u('sqrt', v2), E.c(1e-8))));
    const scalars = [0.9, 0.999, 1e-3];
    const got = await runGpu(g, [p2, m2, v2], [p, gr, m, v], ['float32', 'float32', 'float32'], scalars);
    [p2, m2, v2].forEach((e, k) => {
      const msg = compareClose(got[k], expected(e, [p, gr, m, v], 'float32', scalars), { atol: 1e-6, rtol: 1e-5 });
      if (msg) throw new Error(`output ${k}: ${msg}`);
    });
  });

  it('splits a spec with more buffers than the adapter binds into one kernel per output', async () => {
    const limit = g.rt.limits.maxStorageBuffersPerShaderStage;
    const nIn = limit - 2;
    const inputs = Array.from({ length: nIn }, (_, k) => ({ values: data(50, k + 10), dtype: 'float32' as const }));
    const sum = inputs.slice(1).reduce<Expr>((acc, _, k) => E.add(acc, E.in(k + 1)), E.in(0));
    const exprs = [sum, E.mul(sum, E.c(2)), E.u('neg', sum), E.mul(E.in(0), E.in(nIn - 1))];
    const got = await runGpu(g, exprs, inputs, ['float32', 'float32', 'float32', 'float32']);
    exprs.forEach((e, k) => {
      const msg = compareClose(got[k], expected(e, inputs, 'float32'), { atol: 1e-5, rtol: 1e-5 });
      if (msg) throw new Error(`output ${k}: ${msg}`);
    });
  });

  it('reads transposed, sliced and broadcast views in place (against the CPU backend)', async () => {
    const e = E.add(E.mul(E.in(0), E.in(1)), E.u('exp', E.in(2)));
    await diff.check((b, put) => {
      // a: a transposed [5,4] view of a [4,5] storage, offset by one slice of a bigger buffer.
      const a = put({ data: data(25, 1), shape: [2, 5, 4], strides: [0, 1, 5], offset: 5 });
      const c = put({ data: data(4, 2), shape: [2, 5, 4], strides: [0, 0, 1] });
      const d = put({ data: data(10, 3), shape: [2, 5, 4], strides: [5, 1, 0] });
      return b.elementwise({
        exprs: [e],
        inputs: [a, c, d],
        scalars: [],
        shape: [2, 5, 4],
        dtypes: ['float32'],
        key: exprKey(e),
      });
    });
  });

  it('handles rank 0, a single broadcast value and size 0', async () => {
    const e = E.mul(E.in(0), E.in(1));
    await diff.check((b, put) => {
      const x = put({ data: [3], shape: [] });
      const y = put({ data: [-2], shape: [] });
      return b.elementwise({
        exprs: [e],
        inputs: [x, y],
        scalars: [],
        shape: [],
        dtypes: ['float32'],
        key: exprKey(e),
      });
    });
    await diff.check((b, put) => {
      const x = put({ data: data(6, 1), shape: [2, 3] });
      const y = put({ data: [4], shape: [2, 3], strides: [0, 0] });
      return b.elementwise({
        exprs: [e],
        inputs: [x, y],
        scalars: [],
        shape: [2, 3],
        dtypes: ['float32'],
        key: exprKey(e),
      });
    });
    await diff.check((b, put) => {
      const x = put({ data: [], shape: [0, 3] });
      return b.elementwise({
        exprs: [e],
        inputs: [x, x],
        scalars: [],
        shape: [0, 3],
        dtypes: ['float32'],
        key: exprKey(e),
      });
    });
  });

  it('runs a large strided int32 kernel over a 2-D dispatch grid', async () => {
    // 70,000 workgroups of 256 exceed the 65,535 per-dimension limit.
    const n = 256 * 70000;
    const e = E.add(E.in(0), E.c(1));
    const x = place(g, { data: new Int32Array(n).map((_, i) => i), dtype: 'int32', shape: [n] });
    const [id] = g.elementwise({
      exprs: [e],
      inputs: [x],
      scalars: [],
      shape: [n],
      dtypes: ['int32'],
      key: exprKey(e),
    });
    const out = (await g.read(id)) as Int32Array;
    g.free(x.data);
    g.free(id);
    let bad = -1;
    for (let i = 0; i < n; i++)
      if (out[i] !== i + 1) {
        bad = i;
        break;
      }
    expect(bad).toBe(-1);
  });

  it('matches the CPU backend on random data through composite expressions (gelu, softplus)', async () => {
    const x = data(512, 9, -6, 6);
    const gelu = E.mul(E.mul(E.in(0), E.c(0.5)), E.add(E.c(1), E.u('erf', E.mul(E.in(0), E.c(Math.SQRT1_2)))));
    const softplus = E.add(E.b('max', E.in(0), E.c(0)), E.u('log1p', E.u('exp', E.u('neg', E.u('abs', E.in(0))))));
    await diff.check(
      (b, put) => {
        const v = put({ data: x, shape: [512] });
        return b.elementwise({
          exprs: [gelu, softplus],
          inputs: [v],
          scalars: [],
          shape: [512],
          dtypes: ['float32', 'float32'],
          key: `${exprKey(gelu)};${exprKey(softplus)}`,
        });
      },
      { atol: 1e-6, rtol: 1e-5 },
    );
  });

  it('leaves no live storage behind', () => {
    expect(g.memory()).toEqual({ buffers: 0, bytes: 0 });
  });
});
