import { BackendError, type DType } from '@tsdl/tensor';
import { E, type ElementwiseSpec, type Expr, exprKey, type View, contiguousStrides } from '@tsdl/tensor/backend';
import { seededNumbers } from '@tsdl/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpu, type CpuBackend } from '../src/index';
import { JOB_GEMM } from '../src/wasm/chunks';
import { wasmRuntime } from '../src/wasm/runtime';
import type { WorkerPool } from '../src/wasm/worker-pool';

/**
 * Large elementwise kernels split into element ranges over the worker
 * threads. The workers run the same compiled code as the caller, so a split
 * run must equal a one-thread run bit for bit; the caller is kept out of the
 * chunks here, so every chunk is a worker's and the test checks what the
 * workers computed.
 */

const threaded = cpu({ name: 'ew-threads', threads: 2 });
const single = cpu({ name: 'ew-one-thread', threads: 1 });
const pool = () => wasmRuntime()?.gemm.workers(2) as WorkerPool;

function dense(be: CpuBackend, values: readonly number[], shape: number[], dtype: DType = 'float32'): View {
  const data = dtype === 'bool' ? Uint8Array.from(values, (v) => (v > 0 ? 1 : 0)) : Float32Array.from(values);
  const strides = contiguousStrides(shape);
  return { data: be.write(data, dtype), dtype, shape, strides, offset: 0 };
}

/** Outputs of one spec on a backend, read back. */
function outputs(
  be: CpuBackend,
  exprs: Expr[],
  inputs: (be: CpuBackend) => View[],
  shape: number[],
  dtypes: DType[],
  scalars: number[],
) {
  const spec: ElementwiseSpec = {
    exprs,
    inputs: inputs(be),
    scalars,
    shape,
    dtypes,
    key: exprs.map(exprKey).join(';'),
  };
  return be.elementwise(spec).map((id) => {
    const values = Array.from(be.readSync(id));
    be.free(id);
    return values;
  });
}

/** Adam's update: four inputs, three outputs. */
function adam(): Expr[] {
  const p = E.in(0);
  const g = E.in(1);
  const m = E.add(E.mul(E.s(1), E.in(2)), E.mul(E.s(2), g));
  const v = E.add(E.mul(E.s(3), E.in(3)), E.mul(E.s(4), E.mul(g, g)));
  return [E.sub(p, E.mul(E.s(6), E.div(m, E.add(E.mul(E.u('sqrt', v), E.s(7)), E.s(5))))), m, v];
}
const ADAM_SCALARS = [1e-3, 0.9, 0.1, 0.999, 0.001, 1e-8, 0.01, 31.6, 0];

describe('elementwise kernels split over worker threads', () => {
  beforeAll(async () => {
    expect(await threaded.whenThreadsReady()).toBe(true);
    pool().callerHelps = false;
  });
  afterAll(() => {
    pool().callerHelps = true;
  });

  // 100,003: an odd length, so the last chunk ends mid-vector.
  const n = 100_003;
  const x = (seed: number, lo = -3) => seededNumbers(n, seed, lo, 3);

  it("Adam's three outputs equal a one-thread run bit for bit, and workers ran them", () => {
    const chunks = pool().workerChunks;
    const inputs = (be: CpuBackend) => [
      dense(be, x(1), [n]),
      dense(be, x(2), [n]),
      dense(be, x(3), [n]),
      dense(be, x(4, 0), [n]),
    ];
    const split = outputs(threaded, adam(), inputs, [n], ['float32', 'float32', 'float32'], ADAM_SCALARS);
    const one = outputs(single, adam(), inputs, [n], ['float32', 'float32', 'float32'], ADAM_SCALARS);
    expect(pool().workerChunks).toBeGreaterThan(chunks);
    for (let k = 0; k < 3; k++) expect(split[k]).toEqual(one[k]);
  });

  it('a broadcast constant, a bool input and a bool output over [317, 331]', () => {
    const shape = [317, 331];
    const m = shape[0] * shape[1];
    const exprs = [E.where(E.in(1), E.mul(E.in(0), E.in(2)), E.c(-1)), E.b('gt', E.in(0), E.in(2))];
    const inputs = (be: CpuBackend): View[] => [
      dense(be, seededNumbers(m, 5, -3, 3), shape),
      dense(be, seededNumbers(m, 6, -1, 1), shape, 'bool'),
      { ...dense(be, [0.5], [1, 1]), shape, strides: [0, 0] },
    ];
    const chunks = pool().workerChunks;
    const split = outputs(threaded, exprs, inputs, shape, ['float32', 'bool'], []);
    expect(pool().workerChunks).toBeGreaterThan(chunks);
    const one = outputs(single, exprs, inputs, shape, ['float32', 'bool'], []);
    expect(split).toEqual(one);
    // Spot values, so agreement is not agreement on garbage.
    const a = seededNumbers(m, 5, -3, 3);
    const mask = seededNumbers(m, 6, -1, 1);
    for (const i of [0, 1, 4095, 4096, m - 1]) {
      expect(split[0][i]).toBe(mask[i] > 0 ? Math.fround(Math.fround(a[i]) * 0.5) : -1);
      expect(split[1][i]).toBe(Math.fround(a[i]) > 0.5 ? 1 : 0);
    }
  });

  it('a chunk that traps in a worker makes the job throw, and the pool keeps working', () => {
    // A gemm job whose operands lie past the end of the memory: the worker's chunk traps.
    const bad = (wasmRuntime()?.heap.memory.buffer.byteLength ?? 0) - 16;
    const job = [JOB_GEMM, 1, 1, 1, 8, 8, 8, 8, 8, bad, 8, 1, bad, 8, 1, bad, 8, 0];
    expect(() => pool().run(job, () => undefined)).toThrow(
      /cpu backend: a worker thread failed running part of a matrix product/,
    );
    expect(() => pool().run(job, () => undefined)).toThrow(BackendError);
    // The worker survived and the next jobs run normally.
    const chunks = pool().workerChunks;
    const inputs = (be: CpuBackend) => [
      dense(be, x(1), [n]),
      dense(be, x(2), [n]),
      dense(be, x(3), [n]),
      dense(be, x(4, 0), [n]),
    ];
    expect(outputs(threaded, adam(), inputs, [n], ['float32', 'float32', 'float32'], ADAM_SCALARS)).toEqual(
      outputs(single, adam(), inputs, [n], ['float32', 'float32', 'float32'], ADAM_SCALARS),
    );
    expect(pool().workerChunks).toBeGreaterThan(chunks);
  });

  it('a repeated-row input is not cut into flat ranges: it runs on the caller, correctly', () => {
    const shape = [400, 256];
    const m = shape[0] * shape[1];
    const inputs = (be: CpuBackend): View[] => [
      dense(be, seededNumbers(m, 7), shape),
      { ...dense(be, seededNumbers(256, 8), [256]), shape, strides: [0, 1] },
    ];
    const chunks = pool().workerChunks;
    const [sum] = outputs(threaded, [E.add(E.in(0), E.in(1))], inputs, shape, ['float32'], []);
    expect(pool().workerChunks).toBe(chunks);
    const a = seededNumbers(m, 7);
    const row = seededNumbers(256, 8);
    for (const i of [0, 255, 256, m - 1])
      expect(sum[i]).toBe(Math.fround(Math.fround(a[i]) + Math.fround(row[i % 256])));
  });
});

describe('back-to-back jobs with the caller helping', () => {
  // Jobs follow each other faster than a worker wakes, so the caller often finishes one
  // alone while a worker is still waking, and workers pass between polling and napping.
  // (The race this protocol guards against, a late worker copying half of the next job,
  // cannot be produced on demand; the seqlock on SEQ in worker-pool.ts explains it.)
  it('1,000 alternating products and elementwise kernels all equal the one-thread results', async () => {
    expect(await threaded.whenThreadsReady()).toBe(true);
    const M = 16;
    const K = 256;
    const N = 256; // 2^20 multiply-adds: just at the split threshold
    const a = seededNumbers(M * K, 9);
    const b = seededNumbers(K * N, 10);
    const e = seededNumbers(1 << 15, 11);
    const product = (be: CpuBackend) => {
      const [x, y] = [dense(be, a, [M, K]), dense(be, b, [K, N])];
      const out = be.matmul(x, y);
      const values = Array.from(be.readSync(out));
      for (const id of [x.data, y.data, out]) be.free(id);
      return values;
    };
    const x = dense(threaded, e, [e.length]);
    const scaled = (be: CpuBackend) =>
      outputs(
        be,
        [E.add(E.mul(E.in(0), E.s(0)), E.c(1))],
        (bk) => [bk === threaded ? x : dense(bk, e, [e.length])],
        [e.length],
        ['float32'],
        [0.5],
      )[0];
    const wantProduct = product(single);
    const wantScaled = scaled(single);
    let wrong = 0;
    for (let i = 0; i < 1000; i++) {
      const p = product(threaded);
      const s = scaled(threaded);
      for (let j = 0; j < p.length; j += 61) if (p[j] !== wantProduct[j]) wrong++;
      for (let j = 0; j < s.length; j += 61) if (s[j] !== wantScaled[j]) wrong++;
    }
    expect(wrong).toBe(0);
  });
});
