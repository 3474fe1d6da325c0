import { describe, expect, it } from 'vitest';
import { useBackend } from '@tsdl/app-cli';
import { trainMnistMlp } from '../src/train';

describe('mnist-mlp (the README main example)', () => {
  it('reaches at least 97.5% accuracy on the real 10,000-digit MNIST test set after 5 epochs', async () => {
    await useBackend('cpu');
    const { history, test } = await trainMnistMlp({ epochs: 5, batchSize: 32, seed: 0, verbose: 0 });
    const losses = history.history.loss;
    expect(losses).toHaveLength(5);
    // The training loss falls every epoch.
    for (let e = 1; e < 5; e++) expect(losses[e]).toBeLessThan(losses[e - 1]);
    expect(test.accuracy).toBeGreaterThanOrEqual(0.975);
    console.log(
      `mnist-mlp: test accuracy ${(test.accuracy * 100).toFixed(2)}% after 5 epochs (losses ${losses.map((l) => l.toFixed(4)).join(', ')})`,
    );
  }, 600_000);
});
