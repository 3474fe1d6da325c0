import { type Tensor, dispose, memory, tensor } from '@tsdl/tensor';
import { seededNumbers } from '@tsdl/test-utils';
import { describe, expect, it } from 'vitest';
import {
  Activation,
  Add,
  BatchNormalization,
  Conv2D,
  Dense,
  Flatten,
  type Functional,
  Input,
  type SymbolicTensor,
  loadModel,
  model,
  optimizers,
} from '../src/index';
import { expectValues, flat, useCpu, useTempDir } from './helpers';

useCpu();

/**
 * The ResNet block of Keras' functional API guide, small: conv → [conv, BN, relu, conv] + the
 * conv's output (the skip connection) → relu → a softmax head.
 */
function resnet(): { m: Functional; skip: SymbolicTensor; residual: SymbolicTensor; block: SymbolicTensor } {
  const x = Input({ shape: [6, 6, 1], name: 'image' });
  const skip = new Conv2D({
    filters: 3,
    kernelSize: 3,
    padding: 'same',
    activation: 'relu',
    name: 'conv_in',
    seed: 1,
  }).apply(x);
  let h = new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', name: 'conv_a', seed: 2 }).apply(skip);
  h = new BatchNormalization({ name: 'bn_a' }).apply(h);
  h = new Activation({ activation: 'relu', name: 'relu_a' }).apply(h);
  const residual = new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', name: 'conv_b', seed: 3 }).apply(h);
  const block = new Add({ name: 'skip_add' }).apply([residual, skip]);
  const out = new Dense({ units: 2, activation: 'softmax', name: 'head', seed: 4 }).apply(
    new Flatten({ name: 'flat' }).apply(new Activation({ activation: 'relu', name: 'relu_out' }).apply(block)),
  );
  return { m: model({ inputs: x, outputs: out, name: 'resnet_block' }), skip, residual, block };
}

/** Images whose class says whether the left half is brighter than the right (a task the skip path alone can learn). */
function images(n: number, seed: number): { x: Tensor; y: Tensor } {
  const v = seededNumbers(n * 36, seed, 0, 1);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    let left = 0;
    let right = 0;
    for (let r = 0; r < 6; r++) {
      for (let col = 0; col < 6; col++) {
        const k = i * 36 + r * 6 + col;
        // Brighten one half so the classes are separable.
        if (col < 3 === (c === 1)) v[k] += 0.6;
        if (col < 3) left += v[k];
        else right += v[k];
      }
    }
    labels.push(left > right ? 1 : 0);
  }
  return { x: tensor(v, [n, 6, 6, 1]), y: tensor(labels, [n], 'int32') };
}

describe('a ResNet-style block with Add', () => {
  const dir = useTempDir();

  it('adds the residual branch to the skip connection', () => {
    const { m, skip, residual, block } = resnet();
    const { x } = images(4, 1);
    m.eval();
    const parts = [
      model({ inputs: m.inputs, outputs: skip }),
      model({ inputs: m.inputs, outputs: residual }),
      model({ inputs: m.inputs, outputs: block }),
    ];
    const [s, r, sum] = parts.map((p) => p.predict(x));
    expect(sum.shape).toEqual([4, 6, 6, 3]);
    const sv = flat(s);
    const rv = flat(r);
    expectValues(
      sum,
      sv.map((v, i) => v + rv[i]),
    );
    dispose([x, s, r, sum]);
  });

  it("summary lists the layers with Keras' 'Connected to' column", () => {
    const { m } = resnet();
    const text = m.summary(false);
    const lines = text.split('\n');
    // Keras 2's layout for graphs: 98 columns, stops at 32, 53 and 65.
    expect(lines[2]).toBe(' Layer (type)                   Output Shape         Param #     Connected to');
    expect(lines).toContain(' image (InputLayer)             (None, 6, 6, 1)      0           []');
    expect(lines).toContain(" conv_in (Conv2D)               (None, 6, 6, 3)      30          ['image[0][0]']");
    // An Add's two inputs wrap after the first, as Keras prints them.
    const add = lines.findIndex((l) => l.startsWith(' skip_add (Add)'));
    expect(lines[add]).toBe(" skip_add (Add)                 (None, 6, 6, 3)      0           ['conv_b[0][0]',");
    expect(lines[add + 1]).toBe("                                                                  'conv_in[0][0]']");
    // 30 + 84 + 12 (BN: gamma, beta trainable; moving mean, variance not) + 84 + (108·2 + 2).
    expect(text).toContain('Total params: 428\nTrainable params: 422\nNon-trainable params: 6\n');
  });

  it('trains to ≥ 90% (gradients reach both branches), frees what it made, and reloads with equal predictions', async () => {
    const { m } = resnet();
    const train = images(96, 2);
    const test = images(48, 3);
    m.compile({
      optimizer: optimizers.Adam({ learningRate: 0.02 }),
      loss: 'sparse_categorical_crossentropy',
      metrics: ['accuracy'],
    });
    const before = m.getWeights();
    const baseline = memory().numTensors;
    await m.fit(train.x, train.y, { epochs: 12, batchSize: 16, verbose: 0, seed: 1 });
    const after = m.getWeights();
    const changed = (name: string): boolean => {
      const i = m.namedModelWeights().findIndex(([k]) => k === name);
      return flat(before[i]).some((v, j) => v !== flat(after[i])[j]);
    };
    expect(changed('conv_in/kernel')).toBe(true);
    expect(changed('conv_b/kernel')).toBe(true);
    dispose([before, after]);
    // The optimizer's state is the only new tensors.
    const optimizerState = memory().numTensors - baseline;
    expect(optimizerState).toBeGreaterThan(0);
    const { accuracy } = await m.evaluate(test.x, test.y);
    expect(accuracy).toBeGreaterThanOrEqual(0.9);
    expect(memory().numTensors - baseline).toBe(optimizerState);

    await m.save(dir());
    const loaded = await loadModel(dir());
    expect(loaded.summary(false)).toBe(m.summary(false));
    expectValues(loaded.predict(test.x), flat(m.predict(test.x)), { atol: 1e-6, rtol: 1e-5 });
  });
});
