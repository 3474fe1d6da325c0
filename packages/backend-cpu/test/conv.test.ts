import type { Conv2dParams, View } from '@tsdl/tensor/backend';
import { contiguousStrides } from '@tsdl/tensor/backend';
import { expectAllClose, seededNumbers } from '@tsdl/test-utils';
import { describe, it } from 'vitest';
import { cpu, type CpuBackend } from '../src/index';

/**
 * conv2d and its two gradients on geometries large enough that im2col works
 * in several chunks of images (the conformance suite's small cases fit one
 * chunk), on every code path, against direct float64 loops.
 */

const backends: [string, () => CpuBackend][] = [
  ['simd', () => cpu({ name: 'conv-simd' })],
  ['simd-unshared', () => cpu({ name: 'conv-unshared', sharedMemory: false })],
  ['js', () => cpu({ name: 'conv-js', simd: false })],
];

function geometry(
  batch: number,
  inH: number,
  inC: number,
  outC: number,
  k: number,
  stride: number,
  dilation: number,
  pad: number,
): Conv2dParams {
  const out = Math.floor((inH + 2 * pad - dilation * (k - 1) - 1) / stride) + 1;
  return {
    batch,
    inH,
    inW: inH,
    inC,
    outH: out,
    outW: out,
    outC,
    kH: k,
    kW: k,
    strideH: stride,
    strideW: stride,
    dilationH: dilation,
    dilationW: dilation,
    padTop: pad,
    padLeft: pad,
  };
}

const CASES: [string, Conv2dParams][] = [
  // 1024 rows × 576 deep per image: one image per chunk.
  ['3×32×32×64 → 5, 3×3, pad 1', geometry(3, 32, 64, 5, 3, 1, 1, 1)],
  // 400 rows × 999 deep: two images per chunk, then one.
  ['3×40×40×111 → 7, 3×3, stride 2, dilation 2, pad 2', geometry(3, 40, 111, 7, 3, 2, 2, 2)],
  // Fewer than 4 channels: im2col along output columns (tap-major). MNIST's first layer, in one chunk.
  ['5×28×28×1 → 32, 3×3', geometry(5, 28, 1, 32, 3, 1, 1, 0)],
  // Windows cut by the padding on both sides of every row and column.
  ['2×17×17×3 → 6, 5×5, stride 2, dilation 2, pad 3', geometry(2, 17, 3, 6, 5, 2, 2, 3)],
  // One channel with padding: contiguous runs cut at both ends; 4 images a chunk, so two chunks.
  ['5×100×100×1 → 3, 5×5, pad 2', geometry(5, 100, 1, 3, 5, 1, 1, 2)],
  // 10,000 rows × 75 deep per image: one image per chunk.
  ['2×100×100×3 → 4, 5×5, pad 2', geometry(2, 100, 3, 4, 5, 1, 1, 2)],
];

/** Calls f(n, oy, ox, ky, kx, xIndex) for every tap that lands inside the image (padding contributes nothing). */
function forEachTap(
  p: Conv2dParams,
  f: (n: number, oy: number, ox: number, ky: number, kx: number, xBase: number) => void,
): void {
  for (let n = 0; n < p.batch; n++)
    for (let oy = 0; oy < p.outH; oy++)
      for (let ox = 0; ox < p.outW; ox++)
        for (let ky = 0; ky < p.kH; ky++) {
          const iy = oy * p.strideH - p.padTop + ky * p.dilationH;
          if (iy < 0 || iy >= p.inH) continue;
          for (let kx = 0; kx < p.kW; kx++) {
            const ix = ox * p.strideW - p.padLeft + kx * p.dilationW;
            if (ix < 0 || ix >= p.inW) continue;
            f(n, oy, ox, ky, kx, ((n * p.inH + iy) * p.inW + ix) * p.inC);
          }
        }
}

function dense(be: CpuBackend, values: Float32Array, shape: number[]): View {
  const strides = contiguousStrides(shape);
  return { data: be.write(values, 'float32'), dtype: 'float32', shape, strides, offset: 0 };
}

describe.each(backends)('conv2d on %s', (_, make) => {
  const be = make();

  describe.each(CASES)('%s', (_, p) => {
    const C = p.inC;
    const O = p.outC;
    const x = Float32Array.from(seededNumbers(p.batch * p.inH * p.inW * C, 11));
    const w = Float32Array.from(seededNumbers(p.kH * p.kW * C * O, 12));
    const dy = Float32Array.from(seededNumbers(p.batch * p.outH * p.outW * O, 13));
    const wAt = (ky: number, kx: number, c: number, o: number) => ((ky * p.kW + kx) * C + c) * O + o;
    const yAt = (n: number, oy: number, ox: number) => ((n * p.outH + oy) * p.outW + ox) * O;
    const xv = dense(be, x, [p.batch, p.inH, p.inW, C]);
    const wv = dense(be, w, [p.kH, p.kW, C, O]);
    const dyv = dense(be, dy, [p.batch, p.outH, p.outW, O]);
    // Sums of up to kH·kW·C (or batch·outH·outW) products of values in [-1, 1].
    const tol = { atol: 2e-4, rtol: 1e-4 };

    it('forward matches float64', () => {
      const ref = new Float64Array(p.batch * p.outH * p.outW * O);
      forEachTap(p, (n, oy, ox, ky, kx, xb) => {
        const yb = yAt(n, oy, ox);
        for (let c = 0; c < C; c++) for (let o = 0; o < O; o++) ref[yb + o] += x[xb + c] * w[wAt(ky, kx, c, o)];
      });
      expectAllClose(be.readSync(be.conv2d(xv, wv, p)), ref, tol);
    });

    it('gradient wrt the input matches float64', () => {
      const ref = new Float64Array(x.length);
      forEachTap(p, (n, oy, ox, ky, kx, xb) => {
        const yb = yAt(n, oy, ox);
        for (let c = 0; c < C; c++) for (let o = 0; o < O; o++) ref[xb + c] += dy[yb + o] * w[wAt(ky, kx, c, o)];
      });
      expectAllClose(be.readSync(be.conv2dGradInput(dyv, wv, p)), ref, tol);
    });

    it('gradient wrt the filter matches float64', () => {
      const ref = new Float64Array(w.length);
      forEachTap(p, (n, oy, ox, ky, kx, xb) => {
        const yb = yAt(n, oy, ox);
        for (let c = 0; c < C; c++) for (let o = 0; o < O; o++) ref[wAt(ky, kx, c, o)] += x[xb + c] * dy[yb + o];
      });
      expectAllClose(be.readSync(be.conv2dGradFilter(xv, dyv, p)), ref, { atol: 1e-3, rtol: 1e-4 });
    });
  });
});
