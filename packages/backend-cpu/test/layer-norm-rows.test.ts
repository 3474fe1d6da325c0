import { type Tensor, layerNorm, setBackend, tensor, tidy } from '@tsdl/tensor';
import { layerNormGrad } from '@tsdl/tensor/internal';
import { expectAllClose, seededNumbers } from '@tsdl/test-utils';
import { describe, expect, it } from 'vitest';
import { cpu } from '../src/index';
import { LAYER_NORM_VARIANTS } from '../src/wasm/layer-norm-module';
import { wasmRuntime } from '../src/wasm/runtime';
import type { WorkerPool } from '../src/wasm/worker-pool';

/**
 * Layer norm rows through the wasm SIMD kernels (layer-norm-module.ts) against the
 * JavaScript kernels (float64 throughout): every combination of gamma and beta, the
 * gradient with and without gamma, rows near 1e3 (where a float32 mean alone would cost
 * digits), row lengths not divisible by 4, which stay in JavaScript, and ranges of rows
 * on the worker threads (the caller kept out of the chunks), equal to one thread's results.
 */

const simd = cpu({ name: 'layer-norm-simd', threads: 1 });
const js = cpu({ name: 'layer-norm-js', simd: false });

let kernelCalls = 0;
const rt = wasmRuntime();
if (rt !== null) {
  const wrapped = { ...rt.layerNorm };
  for (const v of LAYER_NORM_VARIANTS) {
    const { run } = rt.layerNorm[v];
    wrapped[v] = { run: (...a) => (kernelCalls++, run(...a)) };
  }
  rt.layerNorm = wrapped;
}

/** Every output of f, read, on both backends for the same values. */
function both(f: () => Tensor[]): [Float32Array[], Float32Array[]] {
  const run = (b: ReturnType<typeof cpu>): Float32Array[] => {
    setBackend(b);
    let out: Float32Array[] = [];
    tidy(() => {
      out = f().map((t) => t.dataSync() as Float32Array);
    });
    return out;
  };
  return [run(simd), run(js)];
}

function compare(n: number, d: number, offset: number, seed: number): void {
  const x = seededNumbers(n * d, seed, -2, 2).map((v) => v + offset);
  const g = seededNumbers(d, seed + 1, 0.5, 1.5);
  const b = seededNumbers(d, seed + 2, -1, 1);
  const dy = seededNumbers(n * d, seed + 3, -1, 1);
  const [got, want] = both(() => {
    const xt = tensor(x, [n, d]);
    const gt = tensor(g);
    const bt = tensor(b);
    const dyt = tensor(dy, [n, d]);
    return [
      layerNorm(xt, d, { gamma: gt, beta: bt }),
      layerNorm(xt, d, { gamma: gt }),
      layerNorm(xt, d, { beta: bt }),
      layerNorm(xt, d),
      ...layerNormGrad(xt, gt, dyt, 1e-5),
      ...layerNormGrad(xt, null, dyt, 1e-5),
    ];
  });
  const what = ['y (γ, β)', 'y (γ)', 'y (β)', 'y', 'dx (γ)', 'dγ (γ)', 'dβ (γ)', 'dx', 'dγ', 'dβ'];
  got.forEach((v, i) => expectAllClose(v, want[i], { atol: 2e-6, rtol: 1e-5 }, `${what[i]} [${n},${d}]+${offset}`));
}

describe.skipIf(rt === null)('layer norm rows (wasm SIMD)', () => {
  it('match the JavaScript kernels for every gamma/beta combination, forward and backward', () => {
    const before = kernelCalls;
    compare(5, 8, 0, 1);
    compare(7, 128, 0, 2);
    compare(3, 4, 0, 3);
    expect(kernelCalls - before).toBe(3 * 6);
  });

  it('rows near 1e3 keep the mean`s float64 digits', () => {
    compare(4, 16, 1000, 4);
  });

  it('rows of a length not divisible by 4 run in the JavaScript kernels', () => {
    const before = kernelCalls;
    compare(3, 6, 0, 5);
    compare(2, 130, 0, 6);
    expect(kernelCalls).toBe(before);
  });

  it('ranges of rows on the worker threads give what one thread gives (dx to the bit)', async () => {
    const threaded = cpu({ name: 'layer-norm-threads', threads: 2 });
    expect(await threaded.whenThreadsReady()).toBe(true);
    const pool = rt?.gemm.workers(2) as WorkerPool;
    const n = 300;
    const d = 132;
    const x = seededNumbers(n * d, 7, -2, 2);
    const g = seededNumbers(d, 8, 0.5, 1.5);
    const b = seededNumbers(d, 9, -1, 1);
    const dy = seededNumbers(n * d, 10, -1, 1);
    const outputs = (be: ReturnType<typeof cpu>): Float32Array[] => {
      setBackend(be);
      let out: Float32Array[] = [];
      tidy(() => {
        const xt = tensor(x, [n, d]);
        const gt = tensor(g);
        out = [
          layerNorm(xt, d, { gamma: gt, beta: tensor(b) }),
          ...layerNormGrad(xt, gt, tensor(dy, [n, d]), 1e-5),
          ...layerNormGrad(xt, null, tensor(dy, [n, d]), 1e-5),
        ].map((t) => t.dataSync() as Float32Array);
      });
      return out;
    };
    pool.callerHelps = false;
    try {
      const chunks = pool.workerChunks;
      const got = outputs(threaded);
      expect(pool.workerChunks - chunks).toBeGreaterThanOrEqual(3 * 4);
      const want = outputs(simd);
      const what = ['y', 'dx (γ)', 'dγ', 'dβ', 'dx', 'dγ (no γ)', 'dβ (no γ)'];
      // Rows are the same code either way; only the column sums are added in another order.
      got.forEach((v, i) =>
        expectAllClose(
          v,
          want[i],
          [2, 3, 5, 6].includes(i) ? { atol: 1e-5, rtol: 1e-6 } : { atol: 0, rtol: 0 },
          what[i],
        ),
      );
    } finally {
      pool.callerHelps = true;
    }
  });
});
