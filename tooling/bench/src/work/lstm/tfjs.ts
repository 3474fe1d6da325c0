import { type TfBackend, useTfjs } from '../../frameworks/tfjs';
import { ADAM } from '../../run/session';
import type { StepFactory } from './session';
import { registerWasmSegmentSum } from './tfjs-segment-sum';

/**
 * The model in TensorFlow.js layers (tf.layers.embedding → lstm → dense sigmoid, Adam,
 * binary cross-entropy), one model.trainOnBatch per step on the given backend;
 * trainOnBatch reads the loss back, so each step returns synced. On wasm a missing
 * kernel of the embedding's gradient is filled in first (tfjs-segment-sum.ts).
 */
export const tfjsLstm =
  (backend: TfBackend): StepFactory =>
  async (shape, data, weights) => {
    const tf = await useTfjs(backend);
    if (backend === 'wasm') registerWasmSegmentSum(tf);
    const model = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: shape.vocab, outputDim: shape.embed, inputLength: shape.seqLen }),
        // TF.js defaults the gates to hardSigmoid (Keras 1's default); Keras 2, tsdl and PyTorch use sigmoid.
        tf.layers.lstm({ units: shape.units, recurrentActivation: 'sigmoid' }),
        tf.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(ADAM.learningRate, ADAM.beta1, ADAM.beta2, ADAM.epsilon), loss: 'binaryCrossentropy' });
    const initial = weights.map((w) => tf.tensor(w.values, w.shape, 'float32'));
    model.setWeights(initial);
    tf.dispose(initial);
    const xs = data.tokens.map((t) => tf.tensor2d(t, [shape.batchSize, shape.seqLen], 'int32'));
    const ys = data.labels.map((y) => tf.tensor2d(y, [shape.batchSize, 1], 'float32'));
    let k = 0;
    return {
      async step() {
        const i = k++ % xs.length;
        const t0 = performance.now();
        const loss = await model.trainOnBatch(xs[i], ys[i]);
        return { seconds: (performance.now() - t0) / 1000, loss: Array.isArray(loss) ? loss[0] : loss };
      },
      dispose() {
        model.dispose();
        tf.dispose([...xs, ...ys]);
      },
    };
  };
