import type { Conv2dParams } from '@tsdl/tensor/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { acquireTestGpu, gpuAvailable } from './gpu';
import { gemmPlan, type GemmProfile, TILES } from '../src/kernels/gemm';
import { data, Differential } from './harness';

/** matmul (tiled, strided, batched) and conv2d with both gradients, against the CPU backend. */

const gpu = await acquireTestGpu();
const TOL = { atol: 1e-5, rtol: 1e-5 };

function conv(
  o: Partial<Conv2dParams> & Pick<Conv2dParams, 'batch' | 'inH' | 'inW' | 'inC' | 'outC' | 'kH' | 'kW'>,
): Conv2dParams {
  const p = { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0, ...o };
  const outH = o.outH ?? Math.floor((p.inH + 2 * p.padTop - p.dilationH * (p.kH - 1) - 1) / p.strideH) + 1;
  const outW = o.outW ?? Math.floor((p.inW + 2 * p.padLeft - p.dilationW * (p.kW - 1) - 1) / p.strideW) + 1;
  return { ...p, outH, outW };
}

describe.runIf(gpuAvailable(gpu, it))('webgpu matmul and conv2d', () => {
  let diff: Differential;
  beforeAll(() => {
    diff = new Differential(gpu.backend());
  });

  for (const [M, K, N] of [
    [1, 1, 1],
    [3, 5, 2],
    [64, 16, 64],
    [65, 17, 63],
    [130, 70, 129],
    [1, 300, 7],
  ] as const) {
    it(`multiplies ${M}x${K} by ${K}x${N}`, async () => {
      await diff.check(
        (b, put) =>
          b.matmul(put({ data: data(M * K, 1), shape: [M, K] }), put({ data: data(K * N, 2), shape: [K, N] })),
        TOL,
      );
    });
  }

  it('reads transposed operands through their strides', async () => {
    const [M, K, N] = [33, 20, 45];
    // aᵀ: a [K, M] storage viewed as [M, K]; bᵀ likewise.
    await diff.check(
      (b, put) =>
        b.matmul(
          put({ data: data(M * K, 3), shape: [M, K], strides: [1, M] }),
          put({ data: data(K * N, 4), shape: [K, N], strides: [1, K] }),
        ),
      TOL,
    );
  });

  it('multiplies batches, with a broadcast operand (stride 0) and an offset view', async () => {
    const [B1, B2, M, K, N] = [2, 3, 10, 7, 9];
    await diff.check(
      (b, put) =>
        b.matmul(
          put({ data: data(B1 * B2 * M * K, 5), shape: [B1, B2, M, K] }),
          // One [K, N] matrix shared by every batch, read from the middle of a buffer.
          put({ data: data(K * N + 11, 6), shape: [B1, B2, K, N], strides: [0, 0, N, 1], offset: 11 }),
        ),
      TOL,
    );
  });

  it('gives zeros when K is 0 and nothing when M is 0', async () => {
    const [z] = await diff.check((b, put) =>
      b.matmul(put({ data: [], shape: [3, 0] }), put({ data: [], shape: [0, 4] })),
    );
    expect(Array.from(z)).toEqual(new Array(12).fill(0));
    await diff.check((b, put) => b.matmul(put({ data: [], shape: [0, 5] }), put({ data: data(20, 1), shape: [5, 4] })));
  });

  const CONVS: [string, Conv2dParams][] = [
    ['3x3, stride 1, no padding', conv({ batch: 2, inH: 6, inW: 5, inC: 3, outC: 4, kH: 3, kW: 3 })],
    ['3x3, padding 1 (same)', conv({ batch: 1, inH: 5, inW: 5, inC: 2, outC: 3, kH: 3, kW: 3, padTop: 1, padLeft: 1 })],
    [
      '2x3, stride 2x1, padding',
      conv({ batch: 2, inH: 7, inW: 6, inC: 3, outC: 5, kH: 2, kW: 3, strideH: 2, padTop: 1, padLeft: 1 }),
    ],
    [
      '3x3, dilation 2, stride 2',
      conv({
        batch: 1,
        inH: 9,
        inW: 8,
        inC: 2,
        outC: 2,
        kH: 3,
        kW: 3,
        dilationH: 2,
        dilationW: 2,
        strideH: 2,
        strideW: 2,
      }),
    ],
    ['1x1, many channels', conv({ batch: 3, inH: 4, inW: 4, inC: 70, outC: 66, kH: 1, kW: 1 })],
    [
      '5x5 over 28x28 (MNIST-like)',
      conv({ batch: 2, inH: 28, inW: 28, inC: 1, outC: 8, kH: 5, kW: 5, padTop: 2, padLeft: 2 }),
    ],
  ];

  for (const [name, p] of CONVS) {
    const xShape = [p.batch, p.inH, p.inW, p.inC];
    const wShape = [p.kH, p.kW, p.inC, p.outC];
    const yShape = [p.batch, p.outH, p.outW, p.outC];
    const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
    it(`conv2d ${name}: forward, input gradient and filter gradient`, async () => {
      await diff.check(
        (b, put) =>
          b.conv2d(
            put({ data: data(size(xShape), 1), shape: xShape }),
            put({ data: data(size(wShape), 2), shape: wShape }),
            p,
          ),
        TOL,
      );
      await diff.check(
        (b, put) =>
          b.conv2dGradInput(
            put({ data: data(size(yShape), 3), shape: yShape }),
            put({ data: data(size(wShape), 2), shape: wShape }),
            p,
          ),
        TOL,
      );
      await diff.check(
        (b, put) =>
          b.conv2dGradFilter(
            put({ data: data(size(xShape), 1), shape: xShape }),
            put({ data: data(size(yShape), 3), shape: yShape }),
            p,
          ),
        TOL,
      );
    });
  }

  it('convolves a non-contiguous input (an NCHW tensor viewed as NHWC)', async () => {
    const p = conv({ batch: 2, inH: 5, inW: 4, inC: 3, outC: 2, kH: 3, kW: 2 });
    // Storage in NCHW order [2,3,5,4]; the NHWC view permutes its strides.
    const x = { data: data(120, 7), shape: [2, 5, 4, 3], strides: [60, 4, 1, 20] };
    await diff.check((b, put) => b.conv2d(put(x), put({ data: data(36, 8), shape: [3, 2, 3, 2] }), p), TOL);
    expect(diff.gpu.memory()).toEqual({ buffers: 0, bytes: 0 });
  });
});

/**
 * Every GEMM tile and split-K, whichever profile this adapter gets: the
 * profile is forced, so SwiftShader also runs the GPU's choices (128×128
 * tiles, K split over slices) and a GPU the software ones.
 */
describe.runIf(gpuAvailable(gpu, it))('webgpu GEMM tiles and split-K', () => {
  let diff: Differential;
  beforeAll(() => {
    diff = new Differential(gpu.backend());
  });

  /** Runs `f` with the runtime's GEMM profile set to `profile`, restoring it after. */
  async function withProfile(profile: GemmProfile, f: () => Promise<unknown>): Promise<void> {
    const rt = diff.gpu.rt;
    const saved = rt.gemmProfile;
    rt.gemmProfile = profile;
    try {
      await f();
    } finally {
      rt.gemmProfile = saved;
    }
  }

  // [M, K, N, layout, profile, tile, slices, direct]: the plan each takes is asserted first, so a changed policy cannot silently skip a path.
  const CASES: [number, number, number, 'ab' | 'aTb' | 'abT', GemmProfile, keyof typeof TILES, number, boolean][] = [
    [1440, 5, 1450, 'ab', 'gpu', 'large', 1, false],
    [520, 9, 515, 'aTb', 'gpu', 'medium', 1, false],
    [32, 784, 128, 'ab', 'gpu', 'small', 6, false],
    [784, 32, 128, 'aTb', 'gpu', 'small', 1, false],
    [33, 700, 17, 'abT', 'gpu', 'small', 5, false],
    [32, 784, 128, 'ab', 'software', 'medium', 1, true],
    [784, 32, 128, 'aTb', 'software', 'medium', 1, true],
    [70, 300, 65, 'abT', 'software', 'medium', 1, true],
    [20, 30, 4, 'aTb', 'software', 'small', 1, true],
  ];
  for (const [M, K, N, layout, profile, tile, slices, direct] of CASES) {
    it(`multiplies ${M}x${K} by ${K}x${N} (${layout}) with the ${profile} plan: ${direct ? 'direct' : 'tiled'}, ${tile} tile, ${slices} K slice(s)`, async () => {
      expect(gemmPlan(M, K, N, 1, profile)).toEqual({ tile: TILES[tile], slices, direct });
      // A transposed operand is a [K, M] (or [N, K]) storage viewed through swapped strides.
      const a = layout === 'aTb' ? { shape: [M, K], strides: [1, M] } : { shape: [M, K] };
      const b = layout === 'abT' ? { shape: [K, N], strides: [1, K] } : { shape: [K, N] };
      await withProfile(profile, () =>
        diff.check((be, put) => be.matmul(put({ data: data(M * K, 11), ...a }), put({ data: data(K * N, 12), ...b })), {
          atol: 1e-6 * K,
          rtol: 1e-4,
        }),
      );
    });
  }

  it('multiplies batches with the software plan, a broadcast operand and an offset view', async () => {
    const [B1, B2, M, K, N] = [2, 3, 10, 7, 9];
    await withProfile('software', () =>
      diff.check(
        (b, put) =>
          b.matmul(
            put({ data: data(B1 * B2 * M * K, 5), shape: [B1, B2, M, K] }),
            put({ data: data(K * N + 11, 6), shape: [B1, B2, K, N], strides: [0, 0, N, 1], offset: 11 }),
          ),
        { atol: 1e-5, rtol: 1e-5 },
      ),
    );
  });

  it('splits K in every matrix of a batch', async () => {
    const [B, M, K, N] = [3, 20, 600, 24];
    expect(gemmPlan(M, K, N, B, 'gpu').slices).toBeGreaterThan(1);
    await withProfile('gpu', () =>
      diff.check(
        (be, put) =>
          be.matmul(
            put({ data: data(B * M * K, 13), shape: [B, M, K] }),
            put({ data: data(K * N, 14), shape: [B, K, N], strides: [0, N, 1] }),
          ),
        { atol: 1e-6 * K, rtol: 1e-4 },
      ),
    );
    expect(diff.gpu.memory()).toEqual({ buffers: 0, bytes: 0 });
  });

  for (const profile of ['gpu', 'software'] as const) {
    it(`convolves with the ${profile} plan (forward, input gradient, filter gradient)`, async () => {
      const p = conv({ batch: 2, inH: 12, inW: 12, inC: 16, outC: 24, kH: 3, kW: 3, padTop: 1, padLeft: 1 });
      const xs = [p.batch, p.inH, p.inW, p.inC];
      const ws = [p.kH, p.kW, p.inC, p.outC];
      const ys = [p.batch, p.outH, p.outW, p.outC];
      const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
      const tol = { atol: 1e-4, rtol: 1e-4 };
      await withProfile(profile, async () => {
        await diff.check(
          (b, put) =>
            b.conv2d(put({ data: data(size(xs), 1), shape: xs }), put({ data: data(size(ws), 2), shape: ws }), p),
          tol,
        );
        await diff.check(
          (b, put) =>
            b.conv2dGradInput(
              put({ data: data(size(ys), 3), shape: ys }),
              put({ data: data(size(ws), 2), shape: ws }),
              p,
            ),
          tol,
        );
        // K = batch·oH·oW = 288 over a 144×24 output: the GPU plan splits it over slices.
        if (profile === 'gpu')
          expect(gemmPlan(p.kH * p.kW * p.inC, p.batch * p.outH * p.outW, p.outC, 1, 'gpu').slices).toBeGreaterThan(1);
        await diff.check(
          (b, put) =>
            b.conv2dGradFilter(
              put({ data: data(size(xs), 1), shape: xs }),
              put({ data: data(size(ys), 3), shape: ys }),
              p,
            ),
          tol,
        );
      });
    });
  }
});
