import { backward, noGrad } from '@tsdl/autograd';
import { batches, readMnistArrays } from '@tsdl/data-mnist';
import { crossEntropy } from '@tsdl/nn';
import { Adam } from '@tsdl/optim';
import { memory, seed as seedAll, tidy, zeros } from '@tsdl/tensor';
import { batchTensors } from './data';
import { accuracy } from './evaluate';
import { buildMlp } from './model';

export interface LoopOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  /** Train on the first N training images only (the test set is always the full 10,000). */
  limit?: number;
  /** Adam's learning rate (default 1e-3). */
  lr?: number;
  /** Called after each epoch, e.g. to print progress. */
  onEpoch?: (e: EpochResult) => void;
}

export interface EpochResult {
  epoch: number;
  /** Mean training cross-entropy over the epoch's batches, weighted by batch size. */
  loss: number;
  seconds: number;
  testAccuracy: number;
}

export interface LoopResult {
  epochs: EpochResult[];
  /** memory().numTensors after every training step: flat when nothing leaks. */
  tensorsAfterStep: number[];
  trainImages: number;
}

/**
 * A training loop written out by hand, the way PyTorch users write one:
 * forward, loss, backward, optimizer step, zero the gradients. Each step
 * runs inside tidy(), which frees the batch, the activations and the loss;
 * the parameters, their gradients and Adam's state are kept tensors.
 */
export async function trainCustomLoop(o: LoopOptions): Promise<LoopResult> {
  seedAll(o.seed);
  const { train, test } = await readMnistArrays({ limit: o.limit === undefined ? undefined : { train: o.limit } });
  const model = buildMlp(o.seed);
  const optimizer = new Adam(model.parameters(), { lr: o.lr ?? 1e-3 });
  const epochs: EpochResult[] = [];
  const tensorsAfterStep: number[] = [];
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const t0 = performance.now();
      model.train();
      // The epoch's loss is summed on the device and read once at the end: reading
      // it every step would make a GPU wait for each step before queuing the next.
      const lossSum = zeros([]).keep();
      for (const idx of batches(train.count, { batchSize: o.batchSize, shuffle: true, seed: o.seed + epoch })) {
        tidy(() => {
          const { x, y } = batchTensors(train, idx);
          const loss = crossEntropy(model.call(x), y);
          backward(loss);
          optimizer.step();
          optimizer.zeroGrad();
          // assign takes the new sum's storage; every tensor made in this step is freed by the tidy.
          noGrad(() => lossSum.assign(lossSum.add(loss.mul(idx.length))));
        });
        tensorsAfterStep.push(memory().numTensors);
      }
      const loss = (await lossSum.data())[0] / train.count;
      lossSum.dispose();
      const seconds = (performance.now() - t0) / 1000;
      const result = { epoch: epoch + 1, loss, seconds, testAccuracy: await accuracy(model, test) };
      epochs.push(result);
      o.onEpoch?.(result);
    }
    return { epochs, tensorsAfterStep, trainImages: train.count };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
