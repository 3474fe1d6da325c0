import { noGrad } from '@tsdl/autograd';
import { batches, type MnistArrays } from '@tsdl/data-mnist';
import type { Module } from '@tsdl/nn';
import { argmax, eq, tidy } from '@tsdl/tensor';
import { batchTensors } from './data';

/** The fraction of `split` the model classifies correctly (inference mode, no graph recorded). */
export function accuracy(model: Module, split: MnistArrays, batchSize = 1000): number {
  const wasTraining = model.training;
  model.eval();
  let correct = 0;
  for (const idx of batches(split.count, { batchSize })) {
    correct += noGrad(() =>
      tidy(() => {
        const { x, y } = batchTensors(split, idx);
        return eq(argmax(model.call(x), -1), y).cast('int32').sum().item();
      }),
    );
  }
  model.train(wasTraining);
  return correct / split.count;
}
