import type { SpamData } from '../src/data';
import type { RecurrentConfig } from '../src/model';
import type { TrainOptions } from '../src/train';

/** The reduced recurrent run the CPU and WebGPU tests share: small vocabulary, 32 tokens an email, tiny BiLSTM. */
export const REDUCED_CONFIG: RecurrentConfig = { maxTokens: 2000, sequenceLength: 32, embeddingDim: 16, lstmUnits: 8 };

/** Two full epochs (patience keeps early stopping out of it), batches of 64. */
export const REDUCED_OPTIONS: TrainOptions & { epochs: number } = {
  epochs: 2,
  batchSize: 64,
  seed: 0,
  learningRate: 1e-2,
  patience: 5,
  verbose: 0,
};

/**
 * The first 400 (shuffled) training emails, and every sixth held-out one (the test split is in
 * corpus order, ham first: its first 200 would all be ham).
 */
export function reducedData(full: SpamData): SpamData {
  const n = 400;
  const m = 200;
  return {
    train: { texts: full.train.texts.slice(0, n), labels: full.train.labels.slice(0, n) },
    test: {
      texts: Array.from({ length: m }, (_, i) => full.test.texts[6 * i]),
      labels: Int32Array.from({ length: m }, (_, i) => full.test.labels[6 * i]),
    },
  };
}
