import { type Tf, type TfBackend, useTfjs } from '../../frameworks/tfjs';
import { ADAM, type Weight } from '../../run/session';
import type { LstmData, LstmShape, StepFactory, StepSession } from './session';
import { SEGMENT_SUM_NOTE, swapSegmentSum } from './tfjs-segment-sum';

/**
 * The model in TensorFlow.js layers (tf.layers.embedding → lstm → dense sigmoid, Adam,
 * binary cross-entropy), one model.trainOnBatch per step on the given backend;
 * trainOnBatch reads the loss back, so each step returns synced. On cpu and wasm the
 * embedding's gradient kernel is the bench's while the session lives (tfjs-segment-sum.ts).
 */
export const tfjsLstm =
  (backend: TfBackend): StepFactory =>
  async (shape, data, weights) => {
    const tf = await useTfjs(backend);
    const restore = backend === 'webgpu' ? null : swapSegmentSum(tf, backend);
    try {
      return session(tf, shape, data, weights, restore);
    } catch (e) {
      restore?.();
      throw e;
    }
  };

/** The session itself; `restore` puts back the kernel swapSegmentSum replaced, when the session ends. */
function session(
  tf: Tf,
  shape: LstmShape,
  data: LstmData,
  weights: readonly Weight[],
  restore: (() => void) | null,
): StepSession {
  const model = tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: shape.vocab, outputDim: shape.embed, inputLength: shape.seqLen }),
      // TF.js defaults the gates to hardSigmoid (Keras 1's default); Keras 2, tsdl and PyTorch use sigmoid.
      // setWeights replaces every weight: skip TF.js's orthogonal draw, which it warns is slow at this size.
      tf.layers.lstm({ units: shape.units, recurrentActivation: 'sigmoid', recurrentInitializer: 'zeros' }),
      tf.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
  model.compile({
    optimizer: tf.train.adam(ADAM.learningRate, ADAM.beta1, ADAM.beta2, ADAM.epsilon),
    loss: 'binaryCrossentropy',
  });
  const initial = weights.map((w) => tf.tensor(w.values, w.shape, 'float32'));
  model.setWeights(initial);
  tf.dispose(initial);
  const xs = data.tokens.map((t) => tf.tensor2d(t, [shape.batchSize, shape.seqLen], 'int32'));
  const ys = data.labels.map((y) => tf.tensor2d(y, [shape.batchSize, 1], 'float32'));
  let k = 0;
  return {
    note: restore ? SEGMENT_SUM_NOTE : undefined,
    async step() {
      const i = k++ % xs.length;
      const t0 = performance.now();
      const loss = await model.trainOnBatch(xs[i], ys[i]);
      return { seconds: (performance.now() - t0) / 1000, loss: Array.isArray(loss) ? loss[0] : loss };
    },
    dispose() {
      model.dispose();
      tf.dispose([...xs, ...ys]);
      restore?.();
    },
  };
}
