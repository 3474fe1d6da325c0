import type { Conv2dParams, View } from '@tsdl/tensor';
import { type Alloc, dense, jsAlloc } from '../data';
import { gemm, pack2d } from './gemm';

/**
 * Convolution by im2col: each image's receptive fields become rows of a
 * [outH·outW, kH·kW·C] matrix in a scratch buffer reused across the batch,
 * multiplied by the [kH·kW·C, O] filter. The gradients are the same products
 * transposed, with col2im scattering back into the input's shape.
 */

function im2col(x: ArrayLike<number>, n: number, p: Conv2dParams, cols: Float32Array): void {
  const { inH, inW, inC, outH, outW, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft } = p;
  const img = n * inH * inW * inC;
  let q = 0;
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

function col2im(cols: Float32Array, n: number, p: Conv2dParams, dx: Float32Array): void {
  const { inH, inW, inC, outH, outW, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft } = p;
  const img = n * inH * inW * inC;
  let q = 0;
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

export function conv2d(xv: View, wv: View, p: Conv2dParams, alloc: Alloc = jsAlloc): Float32Array {
  const x = dense(xv);
  const w = dense(wv);
  const rows = p.outH * p.outW;
  const depth = p.kH * p.kW * p.inC;
  const out = alloc('float32', p.batch * rows * p.outC) as Float32Array;
  const cols = new Float32Array(rows * depth);
  for (let n = 0; n < p.batch; n++) {
    im2col(x, n, p, cols);
    gemm(cols, 0, w, 0, out, n * rows * p.outC, rows, depth, p.outC);
  }
  return out;
}

export function conv2dGradInput(dyv: View, wv: View, p: Conv2dParams, alloc: Alloc = jsAlloc): Float32Array {
  const dy = dense(dyv);
  const w = dense(wv);
  const rows = p.outH * p.outW;
  const depth = p.kH * p.kW * p.inC;
  // wT: [O, depth], so dcols = dy [rows, O] · wT.
  const wT = pack2d(w, 0, p.outC, depth, 1, p.outC, new Float32Array(p.outC * depth));
  const dx = alloc('float32', p.batch * p.inH * p.inW * p.inC) as Float32Array;
  const dcols = new Float32Array(rows * depth);
  for (let n = 0; n < p.batch; n++) {
    dcols.fill(0);
    gemm(dy, n * rows * p.outC, wT, 0, dcols, 0, rows, p.outC, depth);
    col2im(dcols, n, p, dx);
  }
  return dx;
}

export function conv2dGradFilter(xv: View, dyv: View, p: Conv2dParams, alloc: Alloc = jsAlloc): Float32Array {
  const x = dense(xv);
  const dy = dense(dyv);
  const rows = p.outH * p.outW;
  const depth = p.kH * p.kW * p.inC;
  const dw = alloc('float32', depth * p.outC) as Float32Array;
  const cols = new Float32Array(rows * depth);
  const colsT = new Float32Array(depth * rows);
  for (let n = 0; n < p.batch; n++) {
    im2col(x, n, p, cols);
    pack2d(cols, 0, depth, rows, 1, depth, colsT);
    gemm(colsT, 0, dy, n * rows * p.outC, dw, 0, depth, rows, p.outC);
  }
  return dw;
}
