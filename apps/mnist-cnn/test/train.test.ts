import { memory } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { useBackend } from '@tsdl/app-cli';
import { buildCnn } from '../src/model';
import { trainMnistCnn } from '../src/train';

describe('mnist-cnn', () => {
  it('builds the Keras convnet: 225,034 parameters, (None, 10) output', async () => {
    await useBackend('cpu');
    const model = buildCnn();
    // 3·3·1·32 + 32, 3·3·32·64 + 64, 1600·128 + 128, 128·10 + 10: the Keras counts for these layers.
    expect(model.numParameters()).toBe(320 + 18_496 + 204_928 + 1_290);
    expect(model.outputShape).toEqual([null, 10]);
    model.dispose();
  });

  it('reaches at least 80% on the real 10,000-image test set after 1 epoch on 2,000 training images', async () => {
    await useBackend('cpu');
    const before = memory().numTensors;
    // Seeds 0, 1 and 2 give 86.75%, 89.43% and 88.94%.
    const { history, test, epochSeconds, trainImages } = await trainMnistCnn({
      epochs: 1,
      batchSize: 32,
      seed: 0,
      limit: 2000,
      verbose: 0,
    });
    expect(trainImages).toBe(2000);
    expect(epochSeconds).toHaveLength(1);
    const [loss] = history.history.loss;
    // Untrained, the loss is about ln 10 = 2.30; one epoch must bring it well below.
    expect(loss).toBeLessThan(1.5);
    expect(test.accuracy).toBeGreaterThanOrEqual(0.8);
    // Data, model and optimizer state are all released.
    expect(memory().numTensors).toBe(before);
    console.log(
      `mnist-cnn: test accuracy ${(test.accuracy * 100).toFixed(2)}% after 1 epoch on 2,000 images (train loss ${loss.toFixed(4)}, epoch ${epochSeconds[0].toFixed(1)}s)`,
    );
  }, 300_000);
});
