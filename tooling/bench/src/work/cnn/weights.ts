import type { Weight } from '../../run/session';
import { glorotUniform } from '../../seeded';

/**
 * Initial weights of the apps/mnist-cnn convnet (Conv2D 32 3×3 relu, MaxPool 2,
 * Conv2D 64 3×3 relu, MaxPool 2, Flatten, Dense 128 relu, Dense 10 softmax) in
 * Keras' layout: conv kernels [kH, kW, in, out] with Keras' fans (kH·kW·in,
 * kH·kW·out), dense kernels [in, out], zero biases.
 */
export function cnnWeights(seed = 11): Weight[] {
  return [
    { name: 'conv2d/kernel', shape: [3, 3, 1, 32], values: glorotUniform(3 * 3 * 32, 9, 9 * 32, seed) },
    { name: 'conv2d/bias', shape: [32], values: new Float32Array(32) },
    { name: 'conv2d_1/kernel', shape: [3, 3, 32, 64], values: glorotUniform(9 * 32 * 64, 9 * 32, 9 * 64, seed + 1) },
    { name: 'conv2d_1/bias', shape: [64], values: new Float32Array(64) },
    { name: 'dense/kernel', shape: [1600, 128], values: glorotUniform(1600 * 128, 1600, 128, seed + 2) },
    { name: 'dense/bias', shape: [128], values: new Float32Array(128) },
    { name: 'dense_1/kernel', shape: [128, 10], values: glorotUniform(1280, 128, 10, seed + 3) },
    { name: 'dense_1/bias', shape: [10], values: new Float32Array(10) },
  ];
}
