import type { Pool2dParams } from '@tsdl/tensor/backend';
import { randomNormal, randomUniform } from '@tsdl/tensor/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { acquireTestGpu, gpuAvailable } from './gpu';
import { data, Differential, ints } from './harness';

/** Pooling and its gradient, softmax / log-softmax and counter-based random, against the CPU backend and random.ts. */

const gpu = await acquireTestGpu();

function pool(kind: 'max' | 'avg', o: Omit<Pool2dParams, 'kind' | 'outH' | 'outW'>): Pool2dParams {
  const outH = Math.floor((o.inH + 2 * o.padTop - o.kH) / o.strideH) + 1;
  const outW = Math.floor((o.inW + 2 * o.padLeft - o.kW) / o.strideW) + 1;
  return { kind, ...o, outH, outW };
}

describe.runIf(gpuAvailable(gpu, it))('webgpu pooling, softmax, random', () => {
  let diff: Differential;
  beforeAll(() => {
    diff = new Differential(gpu.backend());
  });

  const GEOMS = [
    [
      '2x2 stride 2',
      { batch: 2, inH: 6, inW: 6, channels: 3, kH: 2, kW: 2, strideH: 2, strideW: 2, padTop: 0, padLeft: 0 },
    ],
    [
      '3x3 stride 1 padding 1',
      { batch: 1, inH: 5, inW: 4, channels: 2, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1 },
    ],
    [
      '3x2 stride 2x1, overlapping, odd sizes',
      { batch: 2, inH: 7, inW: 5, channels: 4, kH: 3, kW: 2, strideH: 2, strideW: 1, padTop: 1, padLeft: 0 },
    ],
  ] as const;

  for (const kind of ['max', 'avg'] as const) {
    for (const [name, g] of GEOMS) {
      it(`${kind} pool ${name}: forward and gradient`, async () => {
        const p = pool(kind, g);
        const xShape = [p.batch, p.inH, p.inW, p.channels];
        const yShape = [p.batch, p.outH, p.outW, p.channels];
        // Rounded values make ties, so "the gradient goes to the first maximum" is exercised.
        const x = data(
          xShape.reduce((a, b) => a * b, 1),
          4,
          -3,
          3,
        ).map(Math.round);
        const dy = data(
          yShape.reduce((a, b) => a * b, 1),
          5,
        );
        await diff.check((b, put) => b.pool2d(put({ data: x, shape: xShape }), p));
        await diff.check(
          (b, put) => b.pool2dGrad(put({ data: x, shape: xShape }), put({ data: dy, shape: yShape }), p),
          { atol: 1e-6, rtol: 1e-6 },
        );
      });
    }
  }

  it('max pooling propagates NaN forward; the gradient follows the CPU scan (a NaN wins only as the first cell)', async () => {
    const p = pool('max', {
      batch: 1,
      inH: 2,
      inW: 4,
      channels: 1,
      kH: 2,
      kW: 2,
      strideH: 2,
      strideW: 2,
      padTop: 0,
      padLeft: 0,
    });
    const x = [1, NaN, 5, 2, NaN, 3, 2, 5];
    const [y] = await diff.check((b, put) => b.pool2d(put({ data: x, shape: [1, 2, 4, 1] }), p));
    expect(Array.from(y)).toEqual([NaN, 5]);
    const [dx] = await diff.check((b, put) =>
      b.pool2dGrad(put({ data: x, shape: [1, 2, 4, 1] }), put({ data: [10, 20], shape: [1, 1, 2, 1] }), p),
    );
    expect(Array.from(dx)).toEqual([0, 0, 20, 0, 0, 10, 0, 0]);
  });

  for (const log of [false, true]) {
    it(`${log ? 'log-softmax' : 'softmax'} over short and long rows, extreme values and -Infinity rows`, async () => {
      await diff.check((b, put) => b.softmax(put({ data: data(40, 1, -5, 5), shape: [4, 10] }), log), {
        atol: 1e-6,
        rtol: 1e-5,
      });
      await diff.check((b, put) => b.softmax(put({ data: data(3 * 1000, 2, -20, 20), shape: [3, 1000] }), log), {
        atol: 1e-6,
        rtol: 1e-5,
      });
      await diff.check((b, put) =>
        b.softmax(put({ data: [1000, -1000, 0, -Infinity, -Infinity, -Infinity, 1, 1, 1], shape: [3, 3] }), log),
      );
      // A transposed view: softmax over the first axis of the storage.
      await diff.check((b, put) => b.softmax(put({ data: data(12, 3), shape: [4, 3], strides: [1, 4] }), log), {
        atol: 1e-6,
        rtol: 1e-5,
      });
    });
  }

  it('softmax over many short rows (a thread per row, several workgroups)', async () => {
    await diff.check((b, put) => b.softmax(put({ data: data(150 * 10, 4, -5, 5), shape: [150, 10] }), false), {
      atol: 1e-6,
      rtol: 1e-5,
    });
  });

  // Short rows (C = 10, a thread per row; 150 rows span three workgroups) and long rows (C = 300, a workgroup per row).
  for (const [rows, c] of [
    [150, 10],
    [5, 300],
  ] as const) {
    it(`softmax cross-entropy and its gradient, [${rows}, ${c}], index and probability labels`, async () => {
      const tol = { atol: 1e-5, rtol: 1e-5 };
      const logits = { data: data(rows * c, 5, -4, 4), shape: [rows, c] };
      const labels = { data: ints(rows, 6, 0, c), dtype: 'int32' as const, shape: [rows] };
      const probs = { data: data(rows * c, 7, 0, 1), shape: [rows, c] };
      const dy = { data: data(rows, 8, -2, 2), shape: [rows] };
      for (const [t, sparse] of [
        [labels, true],
        [probs, false],
      ] as const) {
        await diff.check((b, put) => b.softmaxCrossEntropy!(put(logits), put(t), sparse), tol);
        await diff.check((b, put) => b.softmaxCrossEntropyGrad!(put(logits), put(t), put(dy), sparse), tol);
        // dy read through its stride: a broadcast scalar (fit's 1/m seed, stride 0) and every other value of an offset vector.
        await diff.check(
          (b, put) =>
            b.softmaxCrossEntropyGrad!(put(logits), put(t), put({ data: [0.25], shape: [rows], strides: [0] }), sparse),
          tol,
        );
        await diff.check(
          (b, put) =>
            b.softmaxCrossEntropyGrad!(
              put(logits),
              put(t),
              put({ data: data(2 * rows + 1, 9, -2, 2), shape: [rows], strides: [2], offset: 1 }),
              sparse,
            ),
          tol,
        );
      }
    });
  }

  it('draws the same uniform numbers as random.ts, bit for bit', async () => {
    const g = diff.gpu;
    const key = 0x9e3779b9;
    const id = g.random('uniform', 5000, key);
    const got = (await g.read(id)) as Float32Array;
    g.free(id);
    const want = Float32Array.from({ length: 5000 }, (_, i) => randomUniform(key, i));
    expect(Array.from(got)).toEqual(Array.from(want));
  });

  it('draws normal numbers equal to random.ts up to float32 rounding of log, sqrt and cos', async () => {
    const g = diff.gpu;
    const key = 12345;
    const id = g.random('normal', 5000, key);
    const got = (await g.read(id)) as Float32Array;
    g.free(id);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - randomNormal(key, i)));
    expect(worst).toBeLessThan(1e-5);
    const mean = got.reduce((a, b) => a + b, 0) / got.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
  });

  it('leaves no live storage', () => {
    expect(diff.gpu.memory()).toEqual({ buffers: 0, bytes: 0 });
  });
});
