import { buildCnn } from '@tsdl/app-mnist-cnn/model';
import type { TsdlBackend } from '../../frameworks/tsdl';
import type { SessionFactory } from '../../run/session';
import { tsdlKerasSession } from '../../sessions/tsdl-keras';

/** The apps/mnist-cnn convnet in @tsdl/keras, trained with model.fit on the given backend. */
export const tsdlCnn =
  (backend: TsdlBackend): SessionFactory =>
  (data, batchSize, weights) =>
    tsdlKerasSession(backend, buildCnn, data, [data.rows, data.cols, 1], batchSize, weights);
