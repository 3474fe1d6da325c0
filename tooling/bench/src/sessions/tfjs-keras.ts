import type { TrainData } from '../data';
import type { Tf, TfBackend } from '../frameworks/tfjs';
import { useTfjs } from '../frameworks/tfjs';
import { ADAM, type TrainSession, type Weight } from '../run/session';

/** A tfjs layer, as tf.sequential takes it. */
export type TfLayer = NonNullable<NonNullable<Parameters<Tf['sequential']>[0]>['layers']>[number];
export type TfLayers = (tf: Tf) => TfLayer[];

/**
 * A TensorFlow.js tf.sequential model trained with model.fit (no shuffling),
 * from the shared weights, on the given backend.
 */
export async function tfjsKerasSession(
  backend: TfBackend,
  layers: TfLayers,
  data: TrainData,
  sampleShape: number[],
  batchSize: number,
  weights: readonly Weight[],
): Promise<TrainSession> {
  const tf = await useTfjs(backend);
  const model = tf.sequential({ layers: layers(tf) });
  model.compile({
    optimizer: tf.train.adam(ADAM.learningRate, ADAM.beta1, ADAM.beta2, ADAM.epsilon),
    loss: 'sparseCategoricalCrossentropy',
  });
  const initial = weights.map((w) => tf.tensor(w.values, w.shape, 'float32'));
  model.setWeights(initial);
  tf.dispose(initial);
  const x = tf.tensor(data.images, [data.samples, ...sampleShape], 'float32');
  // tfjs' sparse cross-entropy floors and casts its targets itself; float ids are its usual input.
  const y = tf.tensor1d(Float32Array.from(data.labels), 'float32');
  return {
    async train(batches) {
      const n = Math.min(batches * batchSize, data.samples);
      // tfjs slices copy: make them before the clock starts.
      const xs = n === data.samples ? x : x.slice(0, n);
      const ys = n === data.samples ? y : y.slice(0, n);
      const t0 = performance.now();
      const history = await model.fit(xs, ys, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
      const seconds = (performance.now() - t0) / 1000;
      if (xs !== x) tf.dispose([xs, ys]);
      return { seconds, loss: history.history.loss[0] as number };
    },
    dispose() {
      model.dispose();
      tf.dispose([x, y]);
    },
  };
}
