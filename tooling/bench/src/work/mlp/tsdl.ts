import { Dense, Dropout, Flatten, Sequential } from '@tsdl/keras';
import type { TsdlBackend } from '../../frameworks/tsdl';
import type { SessionFactory } from '../../run/session';
import { tsdlKerasSession } from '../../sessions/tsdl-keras';

/** The MLP in @tsdl/keras, trained with model.fit on the given backend: the API a user of tsdl writes. */
export const tsdlMlp =
  (backend: TsdlBackend): SessionFactory =>
  (data, batchSize, weights) =>
    tsdlKerasSession(
      backend,
      () =>
        new Sequential([
          new Flatten({ inputShape: [28, 28] }),
          new Dense({ units: 128, activation: 'relu' }),
          new Dropout({ rate: 0.2 }),
          new Dense({ units: 10, activation: 'softmax' }),
        ]),
      data,
      [data.rows, data.cols],
      batchSize,
      weights,
    );
