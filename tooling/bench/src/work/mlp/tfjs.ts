import type { TfBackend } from '../../frameworks/tfjs';
import type { SessionFactory } from '../../run/session';
import { tfjsKerasSession } from '../../sessions/tfjs-keras';

/** The MLP in TensorFlow.js layers, trained with model.fit on the given backend. */
export const tfjsMlp =
  (backend: TfBackend): SessionFactory =>
  (data, batchSize, weights) =>
    tfjsKerasSession(
      backend,
      (tf) => [
        tf.layers.flatten({ inputShape: [28, 28] }),
        tf.layers.dense({ units: 128, activation: 'relu' }),
        tf.layers.dropout({ rate: 0.2 }),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
      data,
      [data.rows, data.cols],
      batchSize,
      weights,
    );
