import { join } from 'node:path';
import { ArgumentError, type Tensor, memory } from '@tsdl/tensor';
import { describe, expect, it, vi } from 'vitest';
import { BatchNormalization, Dense, Sequential, loadModel, optimizers } from '../src/index';
import { blobs, flat, seeded, useCpu, useTempDir } from './helpers';

useCpu();
const tempDir = useTempDir();

/** A "pretrained" base (Dense + BatchNormalization) and a new head, as Keras' transfer-learning guide. */
function baseAndHead(): { m: Sequential; base: [Dense, BatchNormalization]; head: Dense } {
  const dense = new Dense({ units: 6, activation: 'relu', inputShape: [2], seed: 1, name: 'base_dense' });
  const bn = new BatchNormalization({ name: 'base_bn' });
  const head = new Dense({ units: 2, activation: 'softmax', seed: 2, name: 'head' });
  return { m: new Sequential({ name: 'fine_tune', layers: [dense, bn, head] }), base: [dense, bn], head };
}

/** The bytes of every weight of `layers`, to compare bit for bit. */
const bytes = (ws: Tensor[]): number[][] =>
  ws.map((w) => Array.from(new Uint8Array((w.dataSync() as Float32Array).slice().buffer)));

describe('trainable', () => {
  it('freezing a built layer moves its weights to non-trainable; summary counts them', () => {
    const d = new Dense({ units: 3, inputShape: [4] });
    expect(d.trainableWeights).toHaveLength(2);
    d.trainable = false;
    expect(d.trainable).toBe(false);
    expect(d.trainableWeights).toHaveLength(0);
    expect(d.nonTrainableWeights.map((w) => w.shape)).toEqual([[4, 3], [3]]);
    expect(d.kernel.requiresGrad).toBe(false);
    d.trainable = true;
    expect(d.kernel.requiresGrad).toBe(true);
    expect(() => {
      d.trainable = 'no' as never;
    }).toThrow(ArgumentError);
    d.dispose();

    const { m, base } = baseAndHead();
    for (const l of base) l.trainable = false;
    // base_dense 2·6+6 = 18, base_bn 4·6 = 24 (12 trainable when not frozen), head 6·2+2 = 14.
    const text = m.summary(false);
    expect(text).toContain('Total params: 56');
    expect(text).toContain('Trainable params: 14');
    expect(text).toContain('Non-trainable params: 42');
    m.trainable = false;
    expect(m.summary(false)).toContain('Trainable params: 0');
    expect(m.trainableWeights).toHaveLength(0);
    m.trainable = true;
    expect(m.summary(false)).toContain('Trainable params: 44');
    m.dispose();
  });

  it('fine-tuning: the frozen base (BatchNormalization statistics included) stays bit-identical, the head trains', async () => {
    const { m, base, head } = baseAndHead();
    const { x, y } = blobs(32, 3);
    // First train everything a little (the optimizer then exists, with state for every weight).
    m.compile({ optimizer: optimizers.Adam({ learningRate: 0.05 }), loss: 'sparse_categorical_crossentropy' });
    await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    for (const l of base) l.trainable = false;
    const baseBefore = bytes(base.flatMap((l) => l.weights));
    const headBefore = bytes(head.weights);
    const before = memory().numTensors;
    await m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    expect(memory().numTensors).toBe(before);
    expect(bytes(base.flatMap((l) => l.weights))).toEqual(baseBefore);
    expect(bytes(head.weights)).not.toEqual(headBefore);
    // A frozen BatchNormalization runs in inference mode even in training mode (Keras 3).
    m.train();
    const h = seeded([4, 6], 5);
    const trainOut = base[1].call(h);
    m.eval();
    const evalOut = base[1].call(h);
    expect(flat(trainOut)).toEqual(flat(evalOut));
    for (const t of [x, y, h, trainOut, evalOut]) t.dispose();
    m.optimizer?.dispose();
    m.dispose();
  });

  it('a layer made frozen starts frozen, and freezing round-trips through save and load', async () => {
    const frozen = new Dense({ units: 2, inputShape: [3], trainable: false, name: 'frozen' });
    expect(frozen.kernel.requiresGrad).toBe(false);
    const m = new Sequential({ layers: [frozen, new Dense({ units: 1, name: 'free' })] });
    const dir = join(tempDir(), 'frozen');
    await m.save(dir);
    const loaded = await loadModel(dir);
    expect(loaded.layers.map((l) => l.trainable)).toEqual([false, true]);
    expect(loaded.layers[0].getConfig().trainable).toBe(false);
    expect(loaded.summary(false)).toContain('Non-trainable params: 8');
    expect(loaded.summary(false)).toContain('Trainable params: 3');
    // Frozen after construction, then saved: the config says so too.
    m.layers[1].trainable = false;
    await m.save(dir);
    const again = await loadModel(dir);
    expect(again.trainableWeights).toHaveLength(0);
    m.dispose();
    loaded.dispose();
    again.dispose();
  });

  it('fit of a model with every weight frozen computes the loss, changes nothing and says so', async () => {
    const { m } = baseAndHead();
    m.trainable = false;
    m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    const { x, y } = blobs(16);
    const before = bytes(m.getWeights());
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const h = await m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
      expect(h.history.loss.length).toBe(2);
      expect(Number.isFinite(h.history.loss[0])).toBe(true);
      expect(h.history.loss[1]).toBe(h.history.loss[0]);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/fine_tune\.fit: the model has no trainable weights/));
    } finally {
      warn.mockRestore();
    }
    expect(bytes(m.getWeights())).toEqual(before);
    m.dispose();
  });
});
