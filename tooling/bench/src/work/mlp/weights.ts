import type { Weight } from '../../run/session';
import { glorotUniform } from '../../seeded';

/**
 * Initial weights of the MNIST MLP (Flatten → Dense 128 relu → Dropout 0.2 →
 * Dense 10 softmax): Glorot-uniform kernels and zero biases, as Keras draws them.
 */
export function mlpWeights(seed = 1): Weight[] {
  return [
    { name: 'dense/kernel', shape: [784, 128], values: glorotUniform(784 * 128, 784, 128, seed) },
    { name: 'dense/bias', shape: [128], values: new Float32Array(128) },
    { name: 'dense_1/kernel', shape: [128, 10], values: glorotUniform(128 * 10, 128, 10, seed + 1) },
    { name: 'dense_1/bias', shape: [10], values: new Float32Array(10) },
  ];
}
