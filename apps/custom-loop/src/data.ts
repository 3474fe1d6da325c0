import { type MnistArrays, takeSamples } from '@tsdl/data-mnist';
import { type Tensor, tensor } from '@tsdl/tensor';

const PIXELS = 28 * 28;

/**
 * One batch as tensors: the images at `indices` flattened to [b, 784] and
 * scaled to [0, 1], and their labels as int32 class ids [b]. The raw uint8
 * arrays stay in JavaScript memory; only the batch becomes tensors, so a
 * training step creates (and must free) just these two.
 */
export function batchTensors(split: MnistArrays, indices: Int32Array): { x: Tensor; y: Tensor } {
  const pixels = takeSamples(split.images, PIXELS, indices);
  const scaled = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) scaled[i] = pixels[i] / 255;
  const labels = Int32Array.from(takeSamples(split.labels, 1, indices));
  return { x: tensor(scaled, [indices.length, PIXELS], 'float32'), y: tensor(labels, [indices.length], 'int32') };
}
