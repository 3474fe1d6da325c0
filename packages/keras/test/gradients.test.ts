import { gradCheck, seededAwayFrom, seededNumbers } from '@tsdl/test-utils';
import { type Tensor, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  Activation,
  AveragePooling2D,
  BatchNormalization,
  Conv2D,
  Dense,
  Dropout,
  Embedding,
  Flatten,
  type Layer,
  MaxPooling2D,
  Reshape,
} from '../src/index';
import { seeded, useCpu } from './helpers';

useCpu();

/**
 * The layer's call as a function of its input and of the given weights:
 * gradCheck hands in fresh leaves, which are swapped into the layer's fields
 * for the duration of the call (the layers read their weights from them).
 */
function asFunction<L extends Layer>(layer: L, fields: (keyof L & string)[]): (x: Tensor, ...ws: Tensor[]) => Tensor {
  return (x, ...ws) => {
    const saved = fields.map((f) => layer[f]);
    fields.forEach((f, i) => ((layer as Record<string, unknown>)[f] = ws[i]));
    try {
      return (layer as Layer).apply(x) as Tensor;
    } finally {
      fields.forEach((f, i) => ((layer as Record<string, unknown>)[f] = saved[i]));
    }
  };
}

/** Distinct values 0.1 apart in a seeded order, so no max-pooling window has a near tie. */
function distinct(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const keys = seededNumbers(n, seed);
  const order = keys.map((k, i) => [k, i] as const).sort((a, b) => a[0] - b[0]);
  const values = new Array<number>(n);
  order.forEach(([, i], rank) => (values[i] = (rank - n / 2) * 0.1));
  return tensor(values, shape);
}

describe('layer gradients match finite differences', () => {
  it('Dense (tanh) w.r.t. input, kernel and bias', async () => {
    const d = new Dense({ units: 3, activation: 'tanh', inputShape: [4], seed: 1 });
    await gradCheck(asFunction(d, ['kernel', 'bias']), [seeded([2, 4], 2), d.kernel, d.bias as Tensor]);
  });

  it('Dense (softmax) on a rank-3 input', async () => {
    const d = new Dense({ units: 3, activation: 'softmax', inputShape: [2, 4], seed: 3 });
    await gradCheck(asFunction(d, ['kernel', 'bias']), [seeded([2, 2, 4], 4), d.kernel, d.bias as Tensor]);
  });

  it('Activation layers, inputs kept away from kinks', async () => {
    for (const name of [
      'relu',
      'sigmoid',
      'tanh',
      'elu',
      'gelu',
      'softplus',
      'leaky_relu',
      'swish',
      'softmax',
      'log_softmax',
    ]) {
      const x = tensor(seededAwayFrom(12, 5, [0], 0.05, -2, 2), [3, 4]);
      await expect(gradCheck(asFunction(new Activation(name), []), [x]), name).resolves.toBeUndefined();
    }
  });

  it('Flatten and Reshape pass gradients through unchanged in position', async () => {
    await gradCheck(asFunction(new Flatten(), []), [seeded([2, 3, 2], 6)]);
    await gradCheck(asFunction(new Reshape([-1, 3]), []), [seeded([2, 6], 7)]);
  });

  it('Dropout scales the gradient of the kept values by 1 / (1 − rate)', async () => {
    // A fresh seeded layer per call gives the same mask every time the function runs.
    await gradCheck((x) => new Dropout({ rate: 0.4, seed: 9 }).call(x), [seeded([4, 5], 8)]);
  });

  it("Conv2D 'valid' and 'same' (strided) w.r.t. input, kernel and bias", async () => {
    const valid = new Conv2D({ filters: 2, kernelSize: [2, 3], activation: 'tanh', inputShape: [4, 5, 2], seed: 1 });
    await gradCheck(asFunction(valid, ['kernel', 'bias']), [
      seeded([1, 4, 5, 2], 10),
      valid.kernel,
      valid.bias as Tensor,
    ]);
    const same = new Conv2D({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', inputShape: [5, 4, 1], seed: 2 });
    await gradCheck(asFunction(same, ['kernel', 'bias']), [seeded([2, 5, 4, 1], 11), same.kernel, same.bias as Tensor]);
  });

  it('MaxPooling2D and AveragePooling2D w.r.t. input', async () => {
    await gradCheck(asFunction(new MaxPooling2D(), []), [distinct([1, 4, 4, 2], 12)]);
    await gradCheck(asFunction(new MaxPooling2D({ poolSize: 2, padding: 'same' }), []), [distinct([1, 3, 3, 1], 13)]);
    await gradCheck(asFunction(new AveragePooling2D({ poolSize: 2, padding: 'same' }), []), [seeded([1, 3, 5, 2], 14)]);
  });

  it('BatchNormalization in training (through the batch statistics) and in inference, w.r.t. input, gamma and beta', async () => {
    const bn = new BatchNormalization({ inputShape: [3] });
    const x = seeded([5, 3], 15, -2, 2);
    const gamma = tensor([1.5, -0.5, 2]);
    const beta = tensor([0.1, 0.2, -0.3]);
    await gradCheck(asFunction(bn, ['gamma', 'beta']), [x, gamma, beta]);
    bn.eval();
    await gradCheck(asFunction(bn, ['gamma', 'beta']), [x, gamma, beta]);
    const images = new BatchNormalization({ inputShape: [2, 2, 2] });
    await gradCheck(asFunction(images, ['gamma', 'beta']), [seeded([2, 2, 2, 2], 16), tensor([1, 2]), tensor([0, 1])]);
  });

  it('Embedding w.r.t. its table (repeated indices accumulate)', async () => {
    const e = new Embedding({ inputDim: 4, outputDim: 3, inputShape: [3], seed: 1 });
    const idx = tensor(
      [
        [0, 2, 2],
        [3, 0, 2],
      ],
      [2, 3],
      'int32',
    );
    await gradCheck((table) => asFunction(e, ['embeddings'])(idx, table), [seeded([4, 3], 17)]);
  });
});
