import type { Conv2dParams } from '@tsdl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { acquireTestGpu, gpuAvailable } from './gpu';
import { data, Differential } from './harness';

/** matmul (tiled, strided, batched) and conv2d with both gradients, against the CPU backend. */

const gpu = await acquireTestGpu();
const TOL = { atol: 1e-5, rtol: 1e-5 };

function conv(o: Partial<Conv2dParams> & Pick<Conv2dParams, 'batch' | 'inH' | 'inW' | 'inC' | 'outC' | 'kH' | 'kW'>): Conv2dParams {
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
      await diff.check((b, put) => b.matmul(put({ data: data(M * K, 1), shape: [M, K] }), put({ data: data(K * N, 2), shape: [K, N] })), TOL);
    });
  }

  it('reads transposed operands through their strides', async () => {
    const [M, K, N] = [33, 20, 45];
    // aᵀ: a [K, M] storage viewed as [M, K]; bᵀ likewise.
    await diff.check((b, put) => b.matmul(put({ data: data(M * K, 3), shape: [M, K], strides: [1, M] }), put({ data: data(K * N, 4), shape: [K, N], strides: [1, K] })), TOL);
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
    const [z] = await diff.check((b, put) => b.matmul(put({ data: [], shape: [3, 0] }), put({ data: [], shape: [0, 4] })));
    expect(Array.from(z)).toEqual(new Array(12).fill(0));
    await diff.check((b, put) => b.matmul(put({ data: [], shape: [0, 5] }), put({ data: data(20, 1), shape: [5, 4] })));
  });

  const CONVS: [string, Conv2dParams][] = [
    ['3x3, stride 1, no padding', conv({ batch: 2, inH: 6, inW: 5, inC: 3, outC: 4, kH: 3, kW: 3 })],
    ['3x3, padding 1 (same)', conv({ batch: 1, inH: 5, inW: 5, inC: 2, outC: 3, kH: 3, kW: 3, padTop: 1, padLeft: 1 })],
    ['2x3, stride 2x1, padding', conv({ batch: 2, inH: 7, inW: 6, inC: 3, outC: 5, kH: 2, kW: 3, strideH: 2, padTop: 1, padLeft: 1 })],
    ['3x3, dilation 2, stride 2', conv({ batch: 1, inH: 9, inW: 8, inC: 2, outC: 2, kH: 3, kW: 3, dilationH: 2, dilationW: 2, strideH: 2, strideW: 2 })],
    ['1x1, many channels', conv({ batch: 3, inH: 4, inW: 4, inC: 70, outC: 66, kH: 1, kW: 1 })],
    ['5x5 over 28x28 (MNIST-like)', conv({ batch: 2, inH: 28, inW: 28, inC: 1, outC: 8, kH: 5, kW: 5, padTop: 2, padLeft: 2 })],
  ];

  for (const [name, p] of CONVS) {
    const xShape = [p.batch, p.inH, p.inW, p.inC];
    const wShape = [p.kH, p.kW, p.inC, p.outC];
    const yShape = [p.batch, p.outH, p.outW, p.outC];
    const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
    it(`conv2d ${name}: forward, input gradient and filter gradient`, async () => {
      await diff.check((b, put) => b.conv2d(put({ data: data(size(xShape), 1), shape: xShape }), put({ data: data(size(wShape), 2), shape: wShape }), p), TOL);
      await diff.check((b, put) => b.conv2dGradInput(put({ data: data(size(yShape), 3), shape: yShape }), put({ data: data(size(wShape), 2), shape: wShape }), p), TOL);
      await diff.check((b, put) => b.conv2dGradFilter(put({ data: data(size(xShape), 1), shape: xShape }), put({ data: data(size(yShape), 3), shape: yShape }), p), TOL);
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
