import type { View } from '@tsdl/tensor/backend';
import { contiguousStrides } from '@tsdl/tensor/backend';
import { expectAllClose, seededNumbers } from '@tsdl/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpu, type CpuBackend } from '../src/index';
import { wasmRuntime } from '../src/wasm/runtime';
import type { WorkerPool } from '../src/wasm/worker-pool';

/**
 * backend.matmul over odd sizes (not multiples of the 4×8 micro-tile, the
 * 128-row A block, the 256-deep K block or the 2048-wide B block), every
 * transpose combination, batches with broadcast operands and offset views,
 * against a float64 reference, on every code path: SIMD over shared wasm
 * storage, SIMD with operands copied in, and plain JavaScript.
 */

const backends: [string, () => CpuBackend][] = [
  ['simd', () => cpu({ name: 'mm-simd' })],
  ['simd-unshared', () => cpu({ name: 'mm-unshared', sharedMemory: false })],
  ['js', () => cpu({ name: 'mm-js', simd: false })],
];

/** A 2-D [rows, cols] view of `data` (stored as [cols, rows] when transposed) at an element offset. */
function view2(be: CpuBackend, data: Float32Array, rows: number, cols: number, transposed: boolean, offset = 0): View {
  return {
    data: be.write(data, 'float32'),
    dtype: 'float32',
    shape: [rows, cols],
    strides: transposed ? [1, rows] : [cols, 1],
    offset,
  };
}

/** Float64 reference of one product: element (i, k) of A at a[aAt(i, k)]. */
function reference(
  M: number,
  K: number,
  N: number,
  aAt: (i: number, k: number) => number,
  bAt: (k: number, j: number) => number,
): number[] {
  const out = new Array<number>(M * N).fill(0);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += aAt(i, k) * bAt(k, j);
      out[i * N + j] = s;
    }
  return out;
}

function readF32(be: CpuBackend, id: object): Float32Array {
  return be.readSync(id) as Float32Array;
}

const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 1],
  [3, 5, 7],
  [4, 8, 8],
  [5, 9, 9],
  [9, 17, 15],
  [33, 64, 31],
  [37, 300, 23],
  [131, 257, 70],
  [7, 513, 2051],
];

describe.each(backends)('matmul on %s', (_, make) => {
  const be = make();

  describe.each(SIZES)('M=%i K=%i N=%i', (M, K, N) => {
    it.each([
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ])('transposeA=%s transposeB=%s matches float64', (ta, tb) => {
      const a = Float32Array.from(seededNumbers(M * K, M * 1000 + K));
      const b = Float32Array.from(seededNumbers(K * N, K * 1000 + N));
      const av = view2(be, a, M, K, ta);
      const bv = view2(be, b, K, N, tb);
      const ref = reference(
        M,
        K,
        N,
        (i, k) => a[ta ? k * M + i : i * K + k],
        (k, j) => b[tb ? j * K + k : k * N + j],
      );
      const out = be.matmul(av, bv);
      // Sums of K products of values in [-1, 1]: float32 rounding grows like sqrt(K).
      expectAllClose(readF32(be, out), ref, { atol: 1e-5 * Math.sqrt(K) + 1e-6, rtol: 1e-4 });
      for (const id of [out, av.data, bv.data]) be.free(id);
    });
  });

  it('batched, with a broadcast B (stride 0), offset views and a transposed A', () => {
    const [B, M, K, N] = [3, 6, 11, 10];
    // A is stored [B, K, M] after 5 unused elements and read transposed; B is one [K, N] block shared by the batch.
    const a = Float32Array.from(seededNumbers(5 + B * K * M, 7));
    const b = Float32Array.from(seededNumbers(K * N, 8));
    const av: View = {
      data: be.write(a, 'float32'),
      dtype: 'float32',
      shape: [B, M, K],
      strides: [K * M, 1, M],
      offset: 5,
    };
    const bv: View = {
      data: be.write(b, 'float32'),
      dtype: 'float32',
      shape: [B, K, N],
      strides: [0, N, 1],
      offset: 0,
    };
    const out = readF32(be, be.matmul(av, bv));
    for (let t = 0; t < B; t++) {
      const ref = reference(
        M,
        K,
        N,
        (i, k) => a[5 + t * K * M + k * M + i],
        (k, j) => b[k * N + j],
      );
      expectAllClose(out.subarray(t * M * N, (t + 1) * M * N), ref, { atol: 1e-5, rtol: 1e-4 });
    }
  });

  it('propagates NaN and Infinity in full and edge tiles (0 · Infinity is NaN)', () => {
    const [M, K, N] = [9, 300, 13];
    const a = Float32Array.from(seededNumbers(M * K, 3));
    const b = Float32Array.from(seededNumbers(K * N, 4));
    // Row 0 of A is all zero, so 0 · Inf at B[270][2] makes C[0][2] NaN; Inf at A[8][10] (edge tile row) with
    // B[10][12] (edge column) finite gives ±Inf or NaN; a NaN in A[5][299] (the K remainder) poisons row 5.
    for (let k = 0; k < K; k++) a[k] = 0;
    b[270 * N + 2] = Infinity;
    a[8 * K + 10] = Infinity;
    a[5 * K + 299] = NaN;
    const ref = reference(
      M,
      K,
      N,
      (i, k) => a[i * K + k],
      (k, j) => b[k * N + j],
    );
    for (const [ta, tb] of [
      [false, false],
      [true, true],
    ] as const) {
      const aData = ta ? transpose(a, M, K) : a;
      const bData = tb ? transpose(b, K, N) : b;
      const out = readF32(be, be.matmul(view2(be, aData, M, K, ta), view2(be, bData, K, N, tb)));
      expect(Number.isNaN(out[2])).toBe(true);
      for (let j = 0; j < N; j++) expect(Number.isNaN(out[5 * N + j])).toBe(true);
      expectAllClose(out, ref, { atol: 1e-4, rtol: 1e-4 });
    }
  });

  it('K = 0 gives zeros even where the output block held other values', () => {
    // Fill and free a block first so a pooled allocator would hand the same bytes back.
    be.free(be.write(new Float32Array(12).fill(7), 'float32'));
    const out = readF32(
      be,
      be.matmul(view2(be, new Float32Array(0), 3, 0, false), view2(be, new Float32Array(0), 0, 4, false)),
    );
    expect(Array.from(out)).toEqual(new Array(12).fill(0));
  });
});

/** The [cols, rows] row-major copy of a [rows, cols] row-major array. */
function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}

describe('matmul split over worker threads', () => {
  const be = cpu({ name: 'mm-threads', threads: 2 });
  const pool = () => wasmRuntime()?.gemm.workers(2);

  beforeAll(async () => {
    expect(await be.whenThreadsReady()).toBe(true);
    // Every chunk through the workers, so these tests check what they compute (the caller would otherwise race them).
    (pool() as WorkerPool).callerHelps = false;
  });
  afterAll(() => {
    (pool() as WorkerPool).callerHelps = true;
  });

  // Above the 2^20 multiply-add threshold: one splits along M (more row tiles), one along N, and
  // one along N although it has more row tiles (cut by rows, each chunk would repack the long B).
  describe.each([
    [130, 100, 90],
    [20, 300, 201],
    [9, 12000, 32],
  ])('M=%i K=%i N=%i', (M, K, N) => {
    it.each([
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ])('transposeA=%s transposeB=%s matches float64 and a worker ran part of it', (ta, tb) => {
      const chunks = pool()?.workerChunks ?? 0;
      const a = Float32Array.from(seededNumbers(M * K, 21));
      const b = Float32Array.from(seededNumbers(K * N, 22));
      const out = be.matmul(view2(be, a, M, K, ta), view2(be, b, K, N, tb));
      const ref = reference(
        M,
        K,
        N,
        (i, k) => a[ta ? k * M + i : i * K + k],
        (k, j) => b[tb ? j * K + k : k * N + j],
      );
      expectAllClose(readF32(be, out), ref, { atol: 1e-4, rtol: 1e-4 });
      expect(pool()?.workerChunks).toBeGreaterThan(chunks);
    });
  });

  it('conv2d gradients through the threaded gemm match the single-threaded backend', () => {
    const one = cpu({ name: 'mm-one-thread', threads: 1 });
    const p = {
      batch: 4,
      inH: 20,
      inW: 20,
      inC: 16,
      outH: 20,
      outW: 20,
      outC: 33,
      kH: 3,
      kW: 3,
      strideH: 1,
      strideW: 1,
      dilationH: 1,
      dilationW: 1,
      padTop: 1,
      padLeft: 1,
    };
    const x = Float32Array.from(seededNumbers(4 * 20 * 20 * 16, 23));
    const dy = Float32Array.from(seededNumbers(4 * 20 * 20 * 33, 24));
    const mk = (bk: CpuBackend, v: Float32Array, shape: number[]): View => ({
      data: bk.write(v, 'float32'),
      dtype: 'float32',
      shape,
      strides: contiguousStrides(shape),
      offset: 0,
    });
    const chunks = pool()?.workerChunks ?? 0;
    const threaded = be.readSync(be.conv2dGradFilter(mk(be, x, [4, 20, 20, 16]), mk(be, dy, [4, 20, 20, 33]), p));
    const single = one.readSync(one.conv2dGradFilter(mk(one, x, [4, 20, 20, 16]), mk(one, dy, [4, 20, 20, 33]), p));
    expect(pool()?.workerChunks).toBeGreaterThan(chunks);
    // Chunks are whole micro-tiles and every element sums over k in the same order: the same bits.
    expect(Array.from(threaded)).toEqual(Array.from(single));
  });
});
