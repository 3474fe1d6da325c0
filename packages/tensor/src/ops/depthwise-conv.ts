import { ShapeError, fmtShape } from '../errors';
import { tidy } from '../memory';
import type { Tensor } from '../tensor';
import { type Padding2d, axisGeometry, check4d, pair } from './conv-geometry';
import { checkOptions } from './options';
import { reshape } from './shape';
import { conv2d } from './nn';

export interface DepthwiseConv2dOptions {
  strides?: number | readonly [number, number];
  padding?: Padding2d;
  dilations?: number | readonly [number, number];
}

const OPTIONS = ['strides', 'padding', 'dilations'];

/**
 * Depthwise convolution (TensorFlow's tf.depthwiseConv2d): x [N,H,W,C], filter
 * [kH,kW,C,m]; each input channel c is convolved with its own m filters,
 * giving output channel c·m + k. It is conv2d with groups = C over the filter
 * read as [kH,kW,1,C·m] (the same memory order), so it shares that
 * composition and its gradients.
 */
export function depthwiseConv2d(x: Tensor, w: Tensor, options: DepthwiseConv2dOptions = {}): Tensor {
  checkOptions('depthwiseConv2d', options, OPTIONS);
  check4d('depthwiseConv2d', x, 'input');
  check4d('depthwiseConv2d', w, 'filter');
  const [kH, kW, c, m] = w.shape;
  if (c !== x.shape[3]) {
    throw new ShapeError(
      `depthwiseConv2d: input ${fmtShape(x.shape)} has ${x.shape[3]} channels but filter ${fmtShape(w.shape)} [kH,kW,C,multiplier] expects ${c}`,
    );
  }
  if (m === 0 || c === 0) throw new ShapeError(`depthwiseConv2d: filter ${fmtShape(w.shape)} has no channels`);
  // The geometry is checked under this op's name before conv2d sees it.
  const [sH, sW] = pair('depthwiseConv2d', 'strides', options.strides, 1);
  const [dH, dW] = pair('depthwiseConv2d', 'dilations', options.dilations, 1);
  const padding = options.padding ?? 'valid';
  axisGeometry('depthwiseConv2d', padding, 0, x.shape[1], kH, sH, dH);
  axisGeometry('depthwiseConv2d', padding, 1, x.shape[2], kW, sW, dW);
  return tidy(() => conv2d(x, reshape(w, [kH, kW, 1, c * m]), { ...options, groups: c }));
}
