import type { DType } from '@tsdl/tensor';
import type { ReduceOp } from '@tsdl/tensor/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { acquireTestGpu, gpuAvailable } from './gpu';
import { data, Differential, ints } from './harness';

/** Reductions against the CPU backend: every op, short and long rows, column layout, strided views, NaN, ties, empty blocks. */

const gpu = await acquireTestGpu();

const FLOAT_OPS: ReduceOp[] = ['sum', 'prod', 'max', 'min', 'argmax', 'argmin', 'any', 'all'];

describe.runIf(gpuAvailable(gpu, it))('webgpu reduce', () => {
  let diff: Differential;
  beforeAll(() => {
    diff = new Differential(gpu.backend());
  });

  // The dtypes the frontend asks for (packages/tensor/src/ops/reduce.ts).
  const outDtype = (op: ReduceOp, dtype: DType): DType => {
    if (op === 'argmax' || op === 'argmin') return 'int32';
    if (op === 'any' || op === 'all') return 'bool';
    if (op === 'sum' || op === 'prod') return dtype === 'float32' ? 'float32' : 'int32';
    return dtype;
  };

  // [outer, inner]: one thread per row (inner <= 128) and one workgroup per row (inner > 128).
  for (const [outer, inner] of [
    [7, 5],
    [3, 128],
    [2, 129],
    [1, 3000],
    [300, 1],
  ] as const) {
    it(`float32 ${outer}x${inner}: every op matches the CPU`, async () => {
      // prod over long rows is kept near 1 so it stays finite.
      for (const op of FLOAT_OPS) {
        const values = op === 'prod' ? data(outer * inner, 3, 0.999, 1.001) : data(outer * inner, 3, -2, 2);
        if (op === 'any' || op === 'all') for (let i = 0; i < values.length; i += 3) values[i] = 0;
        await diff
          .check((b, put) => b.reduce(op, put({ data: values, shape: [outer, inner] }), 1, outDtype(op, 'float32')), {
            atol: 1e-5,
            rtol: 1e-5,
          })
          .catch((e: Error) => {
            throw new Error(`${op}: ${e.message}`);
          });
      }
    });
  }

  it('int32 and bool inputs keep exact integer sums and give int32 / bool results', async () => {
    const big = ints(600, 5, -2e6, 2e6);
    for (const op of ['sum', 'max', 'min', 'argmax', 'argmin', 'prod'] as const) {
      const values = op === 'prod' ? ints(600, 6, -2, 3) : big;
      await diff.check((b, put) =>
        b.reduce(op, put({ data: values, dtype: 'int32', shape: [3, 200] }), 1, outDtype(op, 'int32')),
      );
    }
    const bools = ints(40, 7, 0, 2);
    for (const op of ['sum', 'any', 'all', 'max'] as const) {
      await diff.check((b, put) =>
        b.reduce(op, put({ data: bools, dtype: 'bool', shape: [4, 10] }), 1, outDtype(op, 'bool')),
      );
    }
  });

  it('max/min propagate NaN; argmax/argmin return the first NaN or the first extreme', async () => {
    const row = [1, 3, 3, NaN, 2, NaN, -1, -1];
    const rows = [...row, 5, 5, 1, 1, 0, 5, 1, 5];
    for (const op of ['max', 'min', 'argmax', 'argmin'] as const) {
      const got = await diff.check((b, put) =>
        b.reduce(op, put({ data: rows, shape: [2, 8] }), 1, op.startsWith('arg') ? 'int32' : 'float32'),
      );
      if (op === 'argmax') expect(Array.from(got[0])).toEqual([3, 0]);
      if (op === 'argmin') expect(Array.from(got[0])).toEqual([3, 4]);
    }
    // The same in a long row, through the workgroup tree.
    const long = data(1000, 8);
    long[700] = NaN;
    long[900] = NaN;
    const got = await diff.check((b, put) => b.reduce('argmax', put({ data: long, shape: [1, 1000] }), 1, 'int32'));
    expect(got[0][0]).toBe(700);
  });

  it('sums rows holding infinities and NaN to Infinity / NaN in every kernel layout', async () => {
    for (const inner of [4, 300]) {
      const x = data(3 * inner, 14);
      x[1] = Infinity;
      x[inner + 2] = -Infinity;
      x[2 * inner] = Infinity;
      x[2 * inner + 1] = -Infinity;
      const [s] = await diff.check((b, put) => b.reduce('sum', put({ data: x, shape: [3, inner] }), 1, 'float32'));
      expect(Array.from(s)).toEqual([Infinity, -Infinity, NaN]);
      // The column kernel: the same matrix reduced over its leading axis.
      await diff.check((b, put) =>
        b.reduce('sum', put({ data: x, shape: [inner, 3], strides: [1, inner] }), 1, 'float32'),
      );
    }
  });

  it('reduces strided views (a transposed block, several reduced axes, an offset)', async () => {
    const x = data(2 * 3 * 40, 11);
    await diff.check((b, put) =>
      b.reduce('sum', put({ data: x, shape: [40, 2, 3], strides: [1, 120, 40] }), 2, 'float32'),
    );
    await diff.check((b, put) =>
      b.reduce('argmin', put({ data: x, shape: [3, 2, 20], strides: [2, 1, 6], offset: 100 }), 1, 'int32'),
    );
  });

  it('reduces leading axes of a dense block column-wise (the bias-gradient layout)', async () => {
    // sum over the batch of a [500, 12] matrix arrives as a [12, 500] view with strides [1, 12].
    const x = data(500 * 12, 12);
    for (const op of ['sum', 'max', 'min'] as const) {
      await diff.check((b, put) => b.reduce(op, put({ data: x, shape: [12, 500], strides: [1, 12] }), 1, 'float32'), {
        atol: 1e-5,
        rtol: 1e-5,
      });
    }
  });

  it('sums 100,000 float32 values to float32 accuracy', async () => {
    const x = data(100000, 13, 0, 1);
    const exact = x.reduce((a, v) => a + Math.fround(v), 0);
    const [got] = await diff.check((b, put) => b.reduce('sum', put({ data: x, shape: [1, 100000] }), 1, 'float32'), {
      atol: 0,
      rtol: 1e-6,
    });
    expect(Math.abs(got[0] - exact) / exact).toBeLessThan(1e-6);
  });

  it('gives each op its identity over an empty block, and nothing for no rows', async () => {
    for (const op of FLOAT_OPS) {
      await diff.check((b, put) => b.reduce(op, put({ data: [], shape: [3, 0] }), 1, outDtype(op, 'float32')));
      await diff.check((b, put) =>
        b.reduce(op, put({ data: [], dtype: 'int32', shape: [2, 0] }), 1, outDtype(op, 'int32')),
      );
      await diff.check((b, put) => b.reduce(op, put({ data: [], shape: [0, 4] }), 1, outDtype(op, 'float32')));
    }
  });

  it('reduces a whole tensor (rank 0 result) and leaves no live storage', async () => {
    await diff.check((b, put) => b.reduce('sum', put({ data: data(24, 2), shape: [2, 3, 4] }), 3, 'float32'));
    expect(diff.gpu.memory()).toEqual({ buffers: 0, bytes: 0 });
  });
});
