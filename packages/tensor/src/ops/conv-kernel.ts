import type { Conv2dParams } from '../backend';
import { dispatch, wrap } from '../engine';
import type { Tensor } from '../tensor';
import { lowerings } from '../lowerings/index';
import { checkSize } from './internal';

/**
 * The recorded conv2d primitive: the backend's conv2d kernel for a geometry already
 * checked (NHWC input, HWIO filter), or its lowering (im2col + matmul) on a backend
 * without one. conv2d, its grouped form and the gradient of conv2dTranspose all run
 * through it, so autograd sees one op.
 */
export function runConv2d(x: Tensor, w: Tensor, params: Conv2dParams): Tensor {
  const shape = [params.batch, params.outH, params.outW, params.outC];
  checkSize('conv2d', x.backend, shape, 'float32');
  return dispatch('conv2d', [x, w], { params }, (backend) =>
    backend.conv2d
      ? wrap(backend, backend.conv2d(x.view(), w.view(), params), shape, 'float32')
      : lowerings.conv2d(x, w, params),
  );
}
