import { type Tensor, logSoftmax, setBackend, softmax, softmaxCrossEntropy, tensor, tidy } from '@tsdl/tensor';
import { softmaxCrossEntropyGrad } from '@tsdl/tensor/internal';
import { expectAllClose, seededNumbers } from '@tsdl/test-utils';
import { describe, expect, it } from 'vitest';
import { cpu } from '../src/index';
import { wasmRuntime } from '../src/wasm/runtime';
import type { WorkerPool } from '../src/wasm/worker-pool';

/**
 * Softmax, log-softmax and softmax cross-entropy rows through the wasm SIMD kernel
 * (softmax-module.ts) against the JavaScript kernels (float64 exp and sums): every row
 * length mod 4 (the masked tail vector), rows of ±20 and ±1e4, special rows, and inputs
 * the kernel cannot take (a strided view, copied outside the heap) still answered, and
 * ranges of rows run by the worker threads (the caller kept out of the chunks) equal to the
 * bit what one thread computes.
 */

const simd = cpu({ name: 'softmax-simd', threads: 1 });
const js = cpu({ name: 'softmax-js', simd: false });

let kernelCalls = 0;
const rt = wasmRuntime();
if (rt !== null) {
  const { run } = rt.softmax;
  rt.softmax = { run: (...a) => (kernelCalls++, run(...a)) };
}

/** f's result on both backends for the same values. */
function both(f: () => Tensor): [Float32Array, Float32Array] {
  const run = (b: ReturnType<typeof cpu>): Float32Array => {
    setBackend(b);
    let out = new Float32Array(0) as Float32Array;
    tidy(() => {
      out = f().dataSync() as Float32Array;
    });
    return out;
  };
  return [run(simd), run(js)];
}

/** Compares SIMD with JS values: absolute for probabilities, relative to |x − m| for log-probabilities. */
function agree(shape: [number, number], scale: number, seed: number): void {
  const v = seededNumbers(shape[0] * shape[1], seed, -scale, scale);
  // exp(x − m) with x − m rounded to float32: relative error up to |x − m|·2^-24 besides exp's ulp.
  const tol = { atol: 1e-7, rtol: 2e-7 * Math.max(1, 2 * scale) };
  const [p, q] = both(() => softmax(tensor(v, shape)));
  expectAllClose(p, q, tol, `softmax ${shape}`);
  const [lp, lq] = both(() => logSoftmax(tensor(v, shape)));
  expectAllClose(lp, lq, { atol: 4e-7 * Math.max(1, scale), rtol: 1e-6 }, `logSoftmax ${shape}`);
}

describe.skipIf(rt === null)('softmax rows (wasm SIMD)', () => {
  it('match the JavaScript kernels for every row length mod 4, and run in the SIMD kernel', () => {
    const before = kernelCalls;
    for (const c of [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 64, 80, 1000]) agree([3, c], 3, c);
    agree([2, 1000], 20, 7);
    agree([5, 64], 1e4, 8);
    expect(kernelCalls - before).toBe(2 * 15);
  });

  it('special rows: ±1000, all −Infinity, +Infinity and NaN give what the JavaScript kernel gives', () => {
    const rows = [1000, -1000, 0, -Infinity, -Infinity, -Infinity, 1, Infinity, 1, 2, NaN, 0, -Infinity, 3, -Infinity];
    for (const f of [softmax, logSoftmax]) {
      const [p, q] = both(() => f(tensor(rows, [5, 3])));
      expectAllClose(p, q, { atol: 0, rtol: 0 }, f.name);
    }
    const [p] = both(() => softmax(tensor(rows, [5, 3])));
    expect([...p]).toEqual([1, 0, 0, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN, 0, 1, 0]);
  });

  it('a strided input (not a heap view) runs in the JavaScript kernel with the same values', () => {
    const v = seededNumbers(6 * 5, 3, -3, 3);
    const before = kernelCalls;
    const [got] = both(() => softmax(tensor(v, [5, 6]).transpose()));
    expect(kernelCalls).toBe(before);
    const [want] = both(() => softmax(tensor(v, [5, 6]).transpose().add(0)));
    expectAllClose(got, want, { atol: 1e-7, rtol: 1e-6 }, 'softmax of a transposed view');
  });

  it('softmax cross-entropy and its gradient, index and probability labels, match the JavaScript kernels', () => {
    const n = 7;
    const c = 13;
    const x = seededNumbers(n * c, 11, -5, 5);
    const ids = [0, 12, 5, 3, 3, 7, 11];
    const probs = seededNumbers(n * c, 12, 0, 1);
    const dy = seededNumbers(n, 13, -2, 2);
    const before = kernelCalls;
    for (const labels of [() => tensor(ids, [n], 'int32'), () => softmax(tensor(probs, [n, c]))]) {
      const [l, lw] = both(() => softmaxCrossEntropy(tensor(x, [n, c]), labels()));
      expectAllClose(l, lw, { atol: 2e-6, rtol: 1e-6 }, 'loss');
      const [g, gw] = both(() => softmaxCrossEntropyGrad(tensor(x, [n, c]), labels(), tensor(dy)));
      expectAllClose(g, gw, { atol: 1e-7, rtol: 1e-5 }, 'gradient');
    }
    // Loss and gradient for each kind of labels, and twice the probability labels' own softmax.
    expect(kernelCalls - before).toBe(6);
  });

  it('ranges of rows on the worker threads give what one thread gives, bit for bit', async () => {
    const threaded = cpu({ name: 'softmax-threads', threads: 2 });
    expect(await threaded.whenThreadsReady()).toBe(true);
    const pool = rt?.gemm.workers(2) as WorkerPool;
    pool.callerHelps = false;
    try {
      // 700 rows of 63 (a masked tail in every row) and of 64: over 32k elements, split by rows.
      for (const [n, c] of [
        [700, 63],
        [600, 64],
      ]) {
        const v = seededNumbers(n * c, n, -6, 6);
        for (const f of [softmax, logSoftmax]) {
          const chunks = pool.workerChunks;
          setBackend(threaded);
          let got = new Float32Array(0) as Float32Array;
          tidy(() => {
            got = f(tensor(v, [n, c])).dataSync() as Float32Array;
          });
          expect(pool.workerChunks).toBeGreaterThan(chunks);
          setBackend(simd);
          let want = new Float32Array(0) as Float32Array;
          tidy(() => {
            want = f(tensor(v, [n, c])).dataSync() as Float32Array;
          });
          expectAllClose(got, want, { atol: 0, rtol: 0 }, `${f.name} [${n},${c}] on 2 threads`);
        }
      }
    } finally {
      pool.callerHelps = true;
    }
  });
});
