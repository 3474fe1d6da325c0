import { type Tensor, conv2d, pad, reshape, slice } from '@tsdl/tensor';
import { samePads, windowLength } from '../volume/volume-args';

/**
 * A convolution over 1, 2 or 3 spatial axes of a channels-last tensor [batch, ...spatial,
 * channels] with a Keras kernel [...kernelSize, in, out], from tensor's conv2d: a 1-D one
 * runs on a [batch, 1, length, channels] view, a 3-D one sums one conv2d per depth tap (the
 * planes that tap reads, as Conv3D composes it). Padding is TensorFlow's (the odd cell
 * after), so the result is Keras' on every backend, with conv2d's gradients.
 */
export function convNd(
  x: Tensor,
  kernel: Tensor,
  strides: readonly number[],
  padding: 'valid' | 'same',
  dilations: readonly number[],
): Tensor {
  const rank = strides.length;
  if (rank === 2)
    return conv2d(x, kernel, { strides: [strides[0], strides[1]], padding, dilations: [dilations[0], dilations[1]] });
  if (rank === 1) {
    const [B, L, C] = x.shape;
    const [k, , O] = kernel.shape;
    const y = conv2d(reshape(x, [B, 1, L, C]), reshape(kernel, [1, k, C, O]), {
      strides: [1, strides[0]],
      padding,
      dilations: [1, dilations[0]],
    });
    return reshape(y, [B, y.shape[2], O]);
  }
  const [B, D, H, W, C] = x.shape;
  const [k1, k2, k3, , O] = kernel.shape;
  const [s1] = strides;
  const [d1] = dilations;
  const outD = windowLength(D, k1, s1, padding, d1) as number;
  let v = x;
  if (padding === 'same') {
    const [before, after] = samePads(D, k1, s1, d1);
    if (before + after > 0)
      v = pad(v, [
        [0, 0],
        [before, after],
        [0, 0],
        [0, 0],
        [0, 0],
      ]);
  }
  let sum: Tensor | null = null;
  for (let t = 0; t < k1; t++) {
    const start = t * d1;
    const planes = slice(
      v,
      [0, start, 0, 0, 0],
      [null, start + (outD - 1) * s1 + 1, null, null, null],
      [1, s1, 1, 1, 1],
    );
    const tap = reshape(slice(kernel, [t, 0, 0, 0, 0], [t + 1, null, null, null, null]), [k2, k3, C, O]);
    const y = conv2d(reshape(planes, [B * outD, H, W, C]), tap, {
      strides: [strides[1], strides[2]],
      padding,
      dilations: [dilations[1], dilations[2]],
    });
    sum = sum ? sum.add(y) : y;
  }
  const y = sum as Tensor;
  return reshape(y, [B, outD, y.shape[1], y.shape[2], O]);
}
