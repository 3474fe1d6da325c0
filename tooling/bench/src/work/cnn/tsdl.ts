import { Conv2D, Dense, Flatten, MaxPooling2D, Sequential } from '@tsdl/keras';
import type { TsdlBackend } from '../../frameworks/tsdl';
import type { SessionFactory } from '../../run/session';
import { tsdlKerasSession } from '../../sessions/tsdl-keras';

/** The apps/mnist-cnn convnet in @tsdl/keras, trained with model.fit on the given backend. */
export const tsdlCnn =
  (backend: TsdlBackend): SessionFactory =>
  (data, batchSize, weights) =>
    tsdlKerasSession(
      backend,
      () =>
        new Sequential([
          new Conv2D({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
          new MaxPooling2D({ poolSize: 2 }),
          new Conv2D({ filters: 64, kernelSize: 3, activation: 'relu' }),
          new MaxPooling2D({ poolSize: 2 }),
          new Flatten(),
          new Dense({ units: 128, activation: 'relu' }),
          new Dense({ units: 10, activation: 'softmax' }),
        ]),
      data,
      [data.rows, data.cols, 1],
      batchSize,
      weights,
    );
