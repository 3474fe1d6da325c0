import type { TfBackend } from '../../frameworks/tfjs';
import type { SessionFactory } from '../../run/session';
import { tfjsKerasSession } from '../../sessions/tfjs-keras';

/** The convnet in TensorFlow.js layers (NHWC), trained with model.fit on the given backend. */
export const tfjsCnn =
  (backend: TfBackend): SessionFactory =>
  (data, batchSize, weights) =>
    tfjsKerasSession(
      backend,
      (tf) => [
        tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 128, activation: 'relu' }),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
      data,
      [data.rows, data.cols, 1],
      batchSize,
      weights,
    );
