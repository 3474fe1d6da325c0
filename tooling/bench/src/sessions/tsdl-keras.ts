import type { Sequential } from '@tsdl/keras';
import { type Tensor, dispose, tensor } from '@tsdl/tensor';
import type { TrainData } from '../data';
import { type TsdlBackend, useTsdl } from '../frameworks/tsdl';
import { ADAM, type TrainSession, type Weight } from '../run/session';

/**
 * A tsdl Keras model trained with model.fit (no shuffling, so every
 * framework sees the same batches in the same order), from the shared weights,
 * on the given backend.
 */
export async function tsdlKerasSession(
  backend: TsdlBackend,
  build: () => Sequential,
  data: TrainData,
  sampleShape: number[],
  batchSize: number,
  weights: readonly Weight[],
): Promise<TrainSession> {
  await useTsdl(backend);
  const model = build();
  model.compile({ optimizer: { className: 'Adam', config: { ...ADAM } }, loss: 'sparse_categorical_crossentropy' });
  const initial = weights.map((w) => tensor(w.values, w.shape, 'float32'));
  model.setWeights(initial);
  dispose(initial);
  const x = tensor(data.images, [data.samples, ...sampleShape], 'float32');
  const y = tensor(data.labels, [data.samples], 'int32');
  return {
    async train(batches) {
      const n = Math.min(batches * batchSize, data.samples);
      // Row slices are views: no copy, nothing to exclude from the time.
      const xs: Tensor = x.slice([0], [n]);
      const ys: Tensor = y.slice([0], [n]);
      const t0 = performance.now();
      // fit keeps its loss sum on the device and reads it at the end of the epoch,
      // so it returns synced (on webgpu the whole run is queued without a read).
      const history = await model.fit(xs, ys, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
      const seconds = (performance.now() - t0) / 1000;
      dispose([xs, ys]);
      return { seconds, loss: history.history.loss[0] };
    },
    dispose() {
      model.dispose();
      dispose([x, y]);
    },
  };
}
