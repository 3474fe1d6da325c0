import type { Pool2dParams, View } from '@tsdl/tensor/backend';
import { contiguousStrides } from '@tsdl/tensor/backend';
import { expectAllClose, seededNumbers } from '@tsdl/test-utils';
import { describe, expect, it } from 'vitest';
import { cpu, type CpuBackend } from '../src/index';
import { wasmRuntime } from '../src/wasm/runtime';
import type { WorkerPool } from '../src/wasm/worker-pool';

/**
 * The wasm SIMD pooling kernels (channels a multiple of 4) against the
 * plain-JS kernels, which the conformance suite checks against float64
 * loops: max results and max gradients must agree exactly (same winners,
 * NaN, the sign of tied zeros), averages to float32 rounding.
 */

const simd = cpu({ name: 'pool-simd' });
const js = cpu({ name: 'pool-js', simd: false });

function geometry(
  kind: 'max' | 'avg',
  batch: number,
  inH: number,
  C: number,
  k: number,
  stride: number,
  pad: number,
): Pool2dParams {
  const out = Math.floor((inH + 2 * pad - k) / stride) + 1;
  return {
    kind,
    batch,
    inH,
    inW: inH,
    channels: C,
    outH: out,
    outW: out,
    kH: k,
    kW: k,
    strideH: stride,
    strideW: stride,
    padTop: pad,
    padLeft: pad,
  };
}

/** Values with repeats (ties), ±0, and a few NaN and ±Infinity. */
function values(n: number, seed: number): Float32Array {
  const v = seededNumbers(n, seed, -2, 2).map((x) => Math.round(x * 2) / 2);
  for (let i = 0; i < n; i += 7) v[i] = i % 2 ? -0 : 0;
  for (let i = 3; i < n; i += 97) v[i] = NaN;
  for (let i = 5; i < n; i += 89) v[i] = i % 2 ? Infinity : -Infinity;
  return Float32Array.from(v);
}

function view(be: CpuBackend, a: Float32Array, shape: number[]): View {
  return { data: be.write(a, 'float32'), dtype: 'float32', shape, strides: contiguousStrides(shape), offset: 0 };
}

const CASES: [string, Pool2dParams][] = [
  ['max 2×2 stride 2, C=32', geometry('max', 2, 8, 32, 2, 2, 0)],
  // Windows that do not overlap take the tiled gradient kernel: cells outside every window stay 0.
  ['max 2×2 stride 2, odd size (last row and column in no window), C=8', geometry('max', 2, 9, 8, 2, 2, 0)],
  ['max 2×2 stride 3 pad 1, C=4', geometry('max', 2, 10, 4, 2, 3, 1)],
  ['max 3×3 stride 2 pad 1, C=4', geometry('max', 3, 9, 4, 3, 2, 1)],
  ['max 3×3 stride 1 pad 1, C=12', geometry('max', 1, 7, 12, 3, 1, 1)],
  ['avg 2×2 stride 2, C=8', geometry('avg', 2, 8, 8, 2, 2, 0)],
  ['avg 3×3 stride 2 pad 1, C=4', geometry('avg', 2, 9, 4, 3, 2, 1)],
];

describe.each(CASES)('pooling %s', (_, p) => {
  const x = values(p.batch * p.inH * p.inW * p.channels, 31);
  const dy = Float32Array.from(seededNumbers(p.batch * p.outH * p.outW * p.channels, 32));
  const xShape = [p.batch, p.inH, p.inW, p.channels];
  const yShape = [p.batch, p.outH, p.outW, p.channels];

  it('forward agrees with the JS kernel', () => {
    const a = simd.readSync(simd.pool2d(view(simd, x, xShape), p));
    const b = js.readSync(js.pool2d(view(js, x, xShape), p));
    if (p.kind === 'max')
      expect(Array.from(a).map((v) => (Object.is(v, -0) ? '-0' : v))).toEqual(
        Array.from(b).map((v) => (Object.is(v, -0) ? '-0' : v)),
      );
    else expectAllClose(a, b, { atol: 1e-6, rtol: 1e-6 });
  });

  it('gradient agrees with the JS kernel', () => {
    const a = simd.readSync(simd.pool2dGrad(view(simd, x, xShape), view(simd, dy, yShape), p));
    const b = js.readSync(js.pool2dGrad(view(js, x, xShape), view(js, dy, yShape), p));
    expectAllClose(a, b, p.kind === 'max' ? { atol: 0, rtol: 0 } : { atol: 1e-6, rtol: 1e-6 });
  });
});

describe('pooling over ranges of images on the worker threads', () => {
  const threaded = cpu({ name: 'pool-threads', threads: 2 });
  const single = cpu({ name: 'pool-one-thread', threads: 1 });
  const pool = () => wasmRuntime()?.gemm.workers(2) as WorkerPool;

  // Batches of 32 or more images over 32k elements split into ranges of 16 images.
  const THREADED: [string, Pool2dParams][] = [
    ['max 2×2 stride 2, batch 40, C=8 (tiled gradient)', geometry('max', 40, 12, 8, 2, 2, 0)],
    ['max 3×3 stride 2 pad 1, batch 33, C=4 (scattered gradient)', geometry('max', 33, 17, 4, 3, 2, 1)],
    ['avg 3×3 stride 2 pad 1, batch 48, C=8', geometry('avg', 48, 11, 8, 3, 2, 1)],
  ];

  it.each(THREADED)('%s: bit for bit what one thread computes', async (_, p) => {
    expect(await threaded.whenThreadsReady()).toBe(true);
    const workers = pool();
    workers.callerHelps = false;
    try {
      const x = values(p.batch * p.inH * p.inW * p.channels, 41);
      const dy = Float32Array.from(seededNumbers(p.batch * p.outH * p.outW * p.channels, 42));
      const xShape = [p.batch, p.inH, p.inW, p.channels];
      const yShape = [p.batch, p.outH, p.outW, p.channels];
      const run = (be: CpuBackend) => [
        be.readSync(be.pool2d(view(be, x, xShape), p)),
        be.readSync(be.pool2dGrad(view(be, x, xShape), view(be, dy, yShape), p)),
      ];
      const chunks = workers.workerChunks;
      const [y, dx] = run(threaded);
      // With the caller not helping, every range ran on the worker.
      expect(workers.workerChunks - chunks).toBe(2 * Math.min(Math.floor(p.batch / 16), 8));
      const [y1, dx1] = run(single);
      expectAllClose(y, y1, { atol: 0, rtol: 0 }, 'forward');
      expectAllClose(dx, dx1, { atol: 0, rtol: 0 }, 'gradient');
    } finally {
      workers.callerHelps = true;
    }
  });
});
