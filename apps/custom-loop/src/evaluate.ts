import { noGrad } from '@tsdl/autograd';
import { batches, type MnistArrays } from '@tsdl/data-mnist';
import type { Module } from '@tsdl/nn';
import { argmax, eq, tidy } from '@tsdl/tensor';
import { batchTensors } from './data';

/** The fraction of `split` the model classifies correctly (inference mode, no graph recorded). */
export async function accuracy(model: Module, split: MnistArrays, batchSize = 1000): Promise<number> {
  const wasTraining = model.training;
  model.eval();
  let correct = 0;
  for (const idx of batches(split.count, { batchSize })) {
    const batchCorrect = noGrad(() =>
      tidy(() => {
        const { x, y } = batchTensors(split, idx);
        return eq(argmax(model.call(x), -1), y)
          .cast('int32')
          .sum();
      }),
    );
    correct += (await batchCorrect.data())[0]; // an async read: a GPU has no synchronous one
    batchCorrect.dispose();
  }
  model.train(wasTraining);
  return correct / split.count;
}
