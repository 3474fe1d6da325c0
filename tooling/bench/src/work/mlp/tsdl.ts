import { buildMlp } from '@tsdl/app-mnist-mlp/model';
import type { TsdlBackend } from '../../frameworks/tsdl';
import type { SessionFactory } from '../../run/session';
import { tsdlKerasSession } from '../../sessions/tsdl-keras';

/** The apps/mnist-mlp model in @tsdl/keras, trained with model.fit on the given backend: the API a user of tsdl writes. */
export const tsdlMlp =
  (backend: TsdlBackend): SessionFactory =>
  (data, batchSize, weights) =>
    tsdlKerasSession(backend, () => buildMlp([28, 28]), data, [data.rows, data.cols], batchSize, weights);
