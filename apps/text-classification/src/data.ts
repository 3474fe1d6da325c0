import { type TextSplit, loadSpamAssassin } from '@tsdl/data-text';
import { ArgumentError, randomPermutation } from '@tsdl/tensor';

/** One side of the split, as the models take it: message bodies and 1 for spam, 0 for ham. */
export interface Emails {
  texts: string[];
  labels: Int32Array;
}

export interface SpamData {
  train: Emails;
  test: Emails;
}

export interface SpamDataOptions {
  /** Seed of the stratified 80/20 split and of the training order. */
  seed: number;
  /** Keep only the first N (shuffled) training emails; the test set stays whole. */
  limit?: number;
}

/**
 * SpamAssassin message bodies (headers stripped: they make the task trivial), split 80/20
 * by class. The loader returns each split in corpus order, which is grouped by class (all
 * ham, then all spam), and Keras' validationSplit takes the last samples before shuffling:
 * so the training emails are shuffled here, or the validation set would be all spam.
 */
export async function loadSpamData(o: SpamDataOptions): Promise<SpamData> {
  const { train, test } = await loadSpamAssassin({ stripHeaders: true, testFraction: 0.2, seed: o.seed });
  if (o.limit !== undefined && (!Number.isInteger(o.limit) || o.limit < 1)) {
    throw new ArgumentError(`loadSpamData: limit must be a positive integer, got ${o.limit}`);
  }
  const order = Array.from(randomPermutation(train.texts.length, (o.seed * 7919 + 17) >>> 0));
  const kept = o.limit === undefined ? order : order.slice(0, o.limit);
  return { train: pick(train, kept), test: { texts: test.texts, labels: test.labels } };
}

function pick(split: TextSplit, indices: number[]): Emails {
  return { texts: indices.map((i) => split.texts[i]), labels: Int32Array.from(indices, (i) => split.labels[i]) };
}
