import { setFlagsFromString } from 'node:v8';
import { expectAllClose, seededNumbers } from '@tsdl/test-utils';
import { describe, expect, it } from 'vitest';
import { WasmHeap } from '../src/wasm/heap';
import { relaxedMaddSupported } from '../src/wasm/relaxed-simd';
import { type Operand, SimdGemm } from '../src/wasm/simd-gemm';

/**
 * Both wasm gemm kernels on the same products: f32x4.mul + add (the 2×16 tile,
 * what engines without relaxed SIMD run) and f32x4.relaxed_madd (the 6×8
 * tile). Node 20 has relaxed SIMD behind a V8 flag, which is set here so this
 * file exercises the fused kernel on every supported Node; where the engine
 * still lacks it, the fused cases are skipped (and say so).
 */

if (!relaxedMaddSupported()) {
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // An engine without the flag: the fused cases are skipped below.
  }
}
const fusedAvailable = relaxedMaddSupported();

/** Float64 C[t] = A[t]·B[t] (+ C0) with element (i, k) of A at a[aAt(t, i, k)]. */
function reference(
  batch: number,
  M: number,
  K: number,
  N: number,
  aAt: (t: number, i: number, k: number) => number,
  bAt: (t: number, k: number, j: number) => number,
  c0?: Float32Array,
): number[] {
  const out = new Array<number>(batch * M * N).fill(0);
  for (let t = 0; t < batch; t++)
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = c0 ? c0[(t * M + i) * N + j] : 0;
        for (let k = 0; k < K; k++) s += aAt(t, i, k) * bAt(t, k, j);
        out[(t * M + i) * N + j] = s;
      }
  return out;
}

// Sizes around both tiles (2×16, 6×8), the A block (126/128 rows), the K block (256) and the B block (2048 columns).
const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [1, 9, 13],
  [6, 8, 8],
  [7, 3, 17],
  [13, 1, 9],
  [25, 31, 23],
  [127, 257, 33],
  [131, 64, 70],
  [5, 513, 2053],
];

describe.each([
  ['mul + add', false],
  ['relaxed madd', true],
])('wasm gemm, %s kernel', (_, fused) => {
  const skip = fused && !fusedAvailable;
  let made: { heap: WasmHeap; gemm: SimdGemm } | undefined;
  const make = () => {
    if (made === undefined) {
      const heap = new WasmHeap(true);
      made = { heap, gemm: new SimdGemm(heap, fused) };
    }
    return made;
  };

  it.skipIf(skip)('builds the kernel asked for, with its tile', () => {
    const { gemm } = make();
    expect(gemm.fused).toBe(fused);
    expect(gemm.shape).toEqual(fused ? { mr: 6, nv: 2, unroll: 1 } : { mr: 2, nv: 4, unroll: 1 });
  });

  it.skipIf(skip).each(SIZES)('M=%i K=%i N=%i, every transpose combination, matches float64', (M, K, N) => {
    const { heap, gemm } = make();
    const a = Float32Array.from(seededNumbers(M * K, M * 31 + K));
    const b = Float32Array.from(seededNumbers(K * N, K * 17 + N));
    const A = heap.alloc('float32', M * K) as Float32Array;
    const B = heap.alloc('float32', K * N) as Float32Array;
    A.set(a);
    B.set(b);
    for (const [ta, tb] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ]) {
      // A transposed is stored [K, M]; B transposed [N, K]: same data, read through strides.
      const aOp: Operand = { data: A, rs: ta ? 1 : K, cs: ta ? M : 1 };
      const bOp: Operand = { data: B, rs: tb ? 1 : N, cs: tb ? K : 1 };
      const c = new Float32Array(M * N).fill(7);
      gemm.gemm(aOp, bOp, c, 0, M, K, N, [0], [0]);
      const ref = reference(
        1,
        M,
        K,
        N,
        (_t, i, k) => a[ta ? k * M + i : i * K + k],
        (_t, k, j) => b[tb ? j * K + k : k * N + j],
      );
      expectAllClose(c, ref, { atol: 1e-5 * Math.sqrt(K) + 1e-6, rtol: 1e-4 }, `transposeA=${ta} transposeB=${tb}`);
    }
  });

  it.skipIf(skip)('batched, a broadcast B, offsets, accumulating into C, from arrays outside the heap', () => {
    const { gemm } = make();
    const [T, M, K, N] = [3, 14, 300, 19];
    // A: 3 items [M, K] after 5 unused elements; B: one [K, N] block every item shares (offset 0 each time).
    const a = Float32Array.from(seededNumbers(5 + T * M * K, 41));
    const b = Float32Array.from(seededNumbers(K * N, 42));
    const c0 = Float32Array.from(seededNumbers(T * M * N + 2, 43));
    const c = c0.slice();
    gemm.gemm(
      { data: a, rs: K, cs: 1 },
      { data: b, rs: N, cs: 1 },
      c,
      2,
      M,
      K,
      N,
      [5, 5 + M * K, 5 + 2 * M * K],
      [0, 0, 0],
      true,
    );
    const ref = reference(
      T,
      M,
      K,
      N,
      (t, i, k) => a[5 + t * M * K + i * K + k],
      (_t, k, j) => b[k * N + j],
      c0.subarray(2),
    );
    expect(Array.from(c.subarray(0, 2))).toEqual(Array.from(c0.subarray(0, 2)));
    expectAllClose(c.subarray(2), ref, { atol: 1e-4, rtol: 1e-4 });
  });

  it.skipIf(skip)('propagates NaN and Infinity (0 · Infinity is NaN, not skipped)', () => {
    const { gemm } = make();
    const [M, K, N] = [7, 20, 10];
    const a = Float32Array.from(seededNumbers(M * K, 5));
    const b = Float32Array.from(seededNumbers(K * N, 6));
    for (let k = 0; k < K; k++) a[k] = 0;
    b[3 * N + 9] = Infinity;
    a[6 * K + 19] = NaN;
    const c = new Float32Array(M * N);
    gemm.gemm({ data: a, rs: K, cs: 1 }, { data: b, rs: N, cs: 1 }, c, 0, M, K, N, [0], [0]);
    expect(Number.isNaN(c[9])).toBe(true);
    for (let j = 0; j < N; j++) expect(Number.isNaN(c[6 * N + j])).toBe(true);
    expect(Number.isFinite(c[1 * N + 0])).toBe(true);
  });
});

describe('both kernels', () => {
  it.skipIf(!fusedAvailable)('agree to float32 rounding on a product ragged for both tiles', () => {
    const [M, K, N] = [37, 300, 45];
    const a = Float32Array.from(seededNumbers(M * K, 51));
    const b = Float32Array.from(seededNumbers(K * N, 52));
    const heap = new WasmHeap(true);
    const run = (fused: boolean) => {
      const c = new Float32Array(M * N);
      new SimdGemm(heap, fused).gemm({ data: a, rs: K, cs: 1 }, { data: b, rs: N, cs: 1 }, c, 0, M, K, N, [0], [0]);
      return c;
    };
    const unfused = run(false);
    const fused = run(true);
    // A fused multiply-add skips one rounding a step: the sums differ in the last bits, not more.
    expectAllClose(fused, unfused, { atol: 1e-5 * Math.sqrt(K), rtol: 1e-5 });
  });
});
