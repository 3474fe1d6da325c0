import type { Conv2dParams, View } from '@tsdl/tensor/backend';
import { dense } from '../data';
import { type GemmContext, jsGemmContext } from './gemm';

/**
 * Convolution by im2col: each image's receptive fields become rows of a
 * [outH·outW, kH·kW·C] matrix in a scratch buffer, several images per chunk
 * so one product has many rows, multiplied by the [kH·kW·C, O] filter. The
 * gradients are the same products with an operand read transposed (strides,
 * no copies), with col2im scattering back into the input's shape. The
 * products go through the context's gemm: the SIMD one or plain JS.
 */

function im2col(x: ArrayLike<number>, n: number, p: Conv2dParams, cols: Float32Array, colsOff: number): void {
  const { inH, inW, inC, outH, outW, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft } = p;
  const img = n * inH * inW * inC;
  let q = colsOff;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let ky = 0; ky < kH; ky++) {
        const iy = oy * strideH - padTop + ky * dilationH;
        for (let kx = 0; kx < kW; kx++) {
          const ix = ox * strideW - padLeft + kx * dilationW;
          if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) {
            for (let c = 0; c < inC; c++) cols[q++] = 0;
          } else {
            const base = img + (iy * inW + ix) * inC;
            for (let c = 0; c < inC; c++) cols[q++] = x[base + c];
          }
        }
      }
    }
  }
}

function col2im(cols: Float32Array, colsOff: number, n: number, p: Conv2dParams, dx: Float32Array): void {
  const { inH, inW, inC, outH, outW, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft } = p;
  const img = n * inH * inW * inC;
  let q = colsOff;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let ky = 0; ky < kH; ky++) {
        const iy = oy * strideH - padTop + ky * dilationH;
        for (let kx = 0; kx < kW; kx++) {
          const ix = ox * strideW - padLeft + kx * dilationW;
          if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) {
            q += inC;
          } else {
            const base = img + (iy * inW + ix) * inC;
            for (let c = 0; c < inC; c++) dx[base + c] += cols[q++];
          }
        }
      }
    }
  }
}

/**
 * Below this many input channels, im2col copies along output columns instead of along channels:
 * with one channel (a grayscale first layer) a tap is a single float, which the channel-wise copy
 * (four floats at a time, then a scalar tail) moves one at a time.
 */
const TAP_MAJOR_BELOW_CHANNELS = 4;

/**
 * im2col transposed, as [kH·kW·inC, cn·outH·outW]: row k = (ky·kW + kx)·inC + c holds that tap's
 * value for every output position of the chunk, so each run along an output row reads the input
 * at a fixed stride (contiguous for strideW 1 and one channel). The products read it through
 * strides, as they read any transposed operand.
 */
function im2colTapMajor(x: ArrayLike<number>, n0: number, cn: number, p: Conv2dParams, cols: Float32Array): void {
  const { inH, inW, inC, outH, outW, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft } = p;
  const rows = outH * outW;
  const R = cn * rows;
  const step = strideW * inC;
  for (let ky = 0; ky < kH; ky++) {
    for (let kx = 0; kx < kW; kx++) {
      // The output columns whose tap lands inside the input: ox in [oxa, oxb).
      const x0 = kx * dilationW - padLeft;
      const oxa = Math.min(outW, Math.max(0, Math.ceil(-x0 / strideW)));
      const oxb = Math.max(oxa, Math.min(outW, Math.floor((inW - 1 - x0) / strideW) + 1));
      for (let c = 0; c < inC; c++) {
        const rowBase = ((ky * kW + kx) * inC + c) * R;
        for (let n = 0; n < cn; n++) {
          const img = (n0 + n) * inH * inW * inC;
          for (let oy = 0; oy < outH; oy++) {
            const q = rowBase + n * rows + oy * outW;
            const iy = oy * strideH - padTop + ky * dilationH;
            if (iy < 0 || iy >= inH) {
              for (let ox = 0; ox < outW; ox++) cols[q + ox] = 0;
              continue;
            }
            for (let ox = 0; ox < oxa; ox++) cols[q + ox] = 0;
            let src = img + (iy * inW + oxa * strideW + x0) * inC + c;
            for (let ox = oxa; ox < oxb; ox++, src += step) cols[q + ox] = x[src];
            for (let ox = oxb; ox < outW; ox++) cols[q + ox] = 0;
          }
        }
      }
    }
  }
}

/** Images per im2col chunk: enough rows to make one large product, at most about 4 MiB of columns. */
function chunkImages(p: Conv2dParams, depth: number): number {
  return Math.max(1, Math.min(p.batch, Math.floor((1 << 20) / Math.max(1, p.outH * p.outW * depth))));
}

export function conv2d(xv: View, wv: View, p: Conv2dParams, ctx: GemmContext = jsGemmContext): Float32Array {
  const x = dense(xv) as Float32Array;
  const w = dense(wv) as Float32Array;
  const rows = p.outH * p.outW;
  const depth = p.kH * p.kW * p.inC;
  const O = p.outC;
  const out = ctx.alloc('float32', p.batch * rows * O, false) as Float32Array;
  const chunk = chunkImages(p, depth);
  const cols = ctx.alloc('float32', chunk * rows * depth, false) as Float32Array;
  const tapMajor = p.inC < TAP_MAJOR_BELOW_CHANNELS;
  for (let n0 = 0; n0 < p.batch; n0 += chunk) {
    const cn = Math.min(chunk, p.batch - n0);
    if (tapMajor) {
      if (!ctx.im2colTaps?.(x, n0, cn, p, cols)) im2colTapMajor(x, n0, cn, p, cols);
      // The same product with cols read transposed from [depth, cn·rows].
      ctx.gemm(cols, 0, 1, cn * rows, w, 0, O, 1, out, n0 * rows * O, cn * rows, depth, O, false);
      continue;
    }
    if (!ctx.im2col?.(x, n0, cn, p, cols)) for (let n = 0; n < cn; n++) im2col(x, n0 + n, p, cols, n * rows * depth);
    // out[n0…] = cols [cn·rows, depth] · w [depth, O]
    ctx.gemm(cols, 0, depth, 1, w, 0, O, 1, out, n0 * rows * O, cn * rows, depth, O, false);
  }
  ctx.release(cols);
  return out;
}

export function conv2dGradInput(dyv: View, wv: View, p: Conv2dParams, ctx: GemmContext = jsGemmContext): Float32Array {
  const dy = dense(dyv) as Float32Array;
  const w = dense(wv) as Float32Array;
  const rows = p.outH * p.outW;
  const depth = p.kH * p.kW * p.inC;
  const O = p.outC;
  const dx = ctx.alloc('float32', p.batch * p.inH * p.inW * p.inC) as Float32Array;
  const chunk = chunkImages(p, depth);
  const dcols = ctx.alloc('float32', chunk * rows * depth, false) as Float32Array;
  for (let n0 = 0; n0 < p.batch; n0 += chunk) {
    const cn = Math.min(chunk, p.batch - n0);
    // dcols [cn·rows, depth] = dy [cn·rows, O] · wᵀ, wᵀ read in place from w [depth, O] (row stride 1, column stride O).
    ctx.gemm(dy, n0 * rows * O, O, 1, w, 0, 1, O, dcols, 0, cn * rows, O, depth, false);
    if (!ctx.col2im?.(dcols, n0, cn, p, dx))
      for (let n = 0; n < cn; n++) col2im(dcols, n * rows * depth, n0 + n, p, dx);
  }
  ctx.release(dcols);
  return dx;
}

export function conv2dGradFilter(xv: View, dyv: View, p: Conv2dParams, ctx: GemmContext = jsGemmContext): Float32Array {
  const x = dense(xv) as Float32Array;
  const dy = dense(dyv) as Float32Array;
  const rows = p.outH * p.outW;
  const depth = p.kH * p.kW * p.inC;
  const O = p.outC;
  const dw = ctx.alloc('float32', depth * O) as Float32Array;
  const chunk = chunkImages(p, depth);
  const cols = ctx.alloc('float32', chunk * rows * depth, false) as Float32Array;
  const tapMajor = p.inC < TAP_MAJOR_BELOW_CHANNELS;
  for (let n0 = 0; n0 < p.batch; n0 += chunk) {
    const cn = Math.min(chunk, p.batch - n0);
    if (tapMajor) {
      if (!ctx.im2colTaps?.(x, n0, cn, p, cols)) im2colTapMajor(x, n0, cn, p, cols);
      // colsᵀ is cols itself here: [depth, cn·rows] row-major.
      ctx.gemm(cols, 0, cn * rows, 1, dy, n0 * rows * O, O, 1, dw, 0, depth, cn * rows, O, true);
      continue;
    }
    if (!ctx.im2col?.(x, n0, cn, p, cols)) for (let n = 0; n < cn; n++) im2col(x, n0 + n, p, cols, n * rows * depth);
    // dw [depth, O] += colsᵀ · dy, colsᵀ read in place (row stride 1, column stride depth).
    ctx.gemm(cols, 0, 1, depth, dy, n0 * rows * O, O, 1, dw, 0, depth, cn * rows, O, true);
  }
  ctx.release(cols);
  return dw;
}
