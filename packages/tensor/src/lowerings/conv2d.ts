import type { Conv2dParams } from '../backend';
import type { Tensor } from '../tensor';
import { zeros } from '../ops/creation';
import { matmul } from '../ops/linalg';
import { reshape } from '../ops/shape';
import { col2im, im2col } from './windows';

/**
 * The reference lowerings of Backend.conv2d and its two gradients (NHWC input, HWIO
 * filter): im2col (one gather), one matmul, and for the input gradient col2im (one
 * scatterAdd). Their values are the contract the kernels match.
 */

/** Zeros of `shape` where the output is empty or no product term reaches it (a zero-size operand axis). */
function zerosFor(shape: readonly number[], like: Tensor): Tensor {
  return zeros(shape, 'float32', { backend: like.backend });
}

/** out [N,outH,outW,O] = windows of x [N·outH·outW, kH·kW·C] · w [kH·kW·C, O]. */
export function conv2d(x: Tensor, w: Tensor, p: Conv2dParams): Tensor {
  const shape = [p.batch, p.outH, p.outW, p.outC];
  const depth = p.kH * p.kW * p.inC;
  if (shape.includes(0) || depth === 0) return zerosFor(shape, x);
  const cols = reshape(im2col(x, p, 0), [p.batch * p.outH * p.outW, depth]);
  return reshape(matmul(cols, reshape(w, [depth, p.outC])), shape);
}

/** dx [N,H,W,C] = col2im(dy [N·outH·outW, O] · wᵀ [O, kH·kW·C]). */
export function conv2dGradInput(dy: Tensor, w: Tensor, p: Conv2dParams): Tensor {
  const shape = [p.batch, p.inH, p.inW, p.inC];
  if (shape.includes(0) || p.outC === 0 || p.outH * p.outW === 0) return zerosFor(shape, dy);
  const rows = reshape(dy, [p.batch * p.outH * p.outW, p.outC]);
  const dcols = matmul(rows, reshape(w, [p.kH * p.kW * p.inC, p.outC]), { transposeB: true });
  return col2im(reshape(dcols, [p.batch, p.outH * p.outW * p.kH * p.kW, p.inC]), p, p.inH, p.inW);
}

/** dw [kH,kW,C,O] = windows of xᵀ [kH·kW·C, N·outH·outW] · dy [N·outH·outW, O]. */
export function conv2dGradFilter(x: Tensor, dy: Tensor, p: Conv2dParams): Tensor {
  const shape = [p.kH, p.kW, p.inC, p.outC];
  const rows = p.batch * p.outH * p.outW;
  if (shape.includes(0) || rows === 0) return zerosFor(shape, x);
  const cols = reshape(im2col(x, p, 0), [rows, p.kH * p.kW * p.inC]);
  return reshape(matmul(cols, reshape(dy, [rows, p.outC]), { transposeA: true }), shape);
}
