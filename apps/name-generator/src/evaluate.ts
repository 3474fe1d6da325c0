import { noGrad } from '@tsdl/autograd';
import type { CharVocabulary } from '@tsdl/data-text';
import { crossEntropy } from '@tsdl/nn';
import { tensor, tidy } from '@tsdl/tensor';
import { IGNORE, batchesOf, encodeBatch } from './data';
import type { NameModel } from './model';

/**
 * Nats per character on `names` (each name's characters and its final '.'),
 * summed over every real target and divided by their count, so the result
 * does not depend on how the names are batched.
 */
export async function validationLoss(
  model: NameModel,
  names: readonly string[],
  vocab: CharVocabulary,
  batchSize = 512,
): Promise<number> {
  model.eval();
  let sum = 0;
  let tokens = 0;
  try {
    const order = names.map((_, i) => i);
    for (const batch of batchesOf(names, order, batchSize)) {
      const b = encodeBatch(batch, vocab);
      const total = noGrad(() =>
        tidy(() => {
          const x = tensor(b.inputs, [b.batch, b.steps], 'int32');
          const y = tensor(b.targets, [b.batch * b.steps], 'int32');
          return crossEntropy(model.call(x, b.lengths), y, { ignoreIndex: IGNORE, reduction: 'sum' });
        }),
      );
      try {
        sum += (await total.data())[0];
      } finally {
        total.dispose();
      }
      tokens += b.tokens;
    }
  } finally {
    model.train();
  }
  return sum / tokens;
}
