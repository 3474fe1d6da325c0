import { loadMnist } from '@tsdl/data-mnist';
import { type Callback, type History, LambdaCallback } from '@tsdl/keras';
import { seed as seedAll, dispose } from '@tsdl/tensor';
import { buildMlp } from './model';

export interface MlpOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  /** Train on the first N training samples only (the test set is always whole). */
  limit?: number;
  /** Evaluate on the first N test samples only (default: all 10,000). */
  testLimit?: number;
  verbose?: 0 | 1 | 2;
  /** More callbacks for fit (the tests record per-batch losses). */
  callbacks?: Callback[];
  /** fit's readEvery: batches between reads of the loss from the device. */
  readEvery?: number;
}

/** The classic Keras MNIST model, trained on the real data; returns the history and the test metrics. */
export async function trainMnistMlp(
  o: MlpOptions,
): Promise<{ history: History; test: Record<string, number>; epochSeconds: number[] }> {
  seedAll(o.seed);
  const { train, test } = await loadMnist({ limit: { train: o.limit, test: o.testLimit } });
  const model = buildMlp();
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  if (o.verbose !== 0) model.summary();
  const epochSeconds: number[] = [];
  let t0 = 0;
  const history = await model.fit(train.images, train.labels, {
    epochs: o.epochs,
    batchSize: o.batchSize,
    seed: o.seed,
    verbose: o.verbose ?? 1,
    readEvery: o.readEvery,
    callbacks: [
      ...(o.callbacks ?? []),
      new LambdaCallback({
        onEpochBegin: () => void (t0 = performance.now()),
        onEpochEnd: () => void epochSeconds.push((performance.now() - t0) / 1000),
      }),
    ],
  });
  const result = await model.evaluate(test.images, test.labels, { batchSize: 256 });
  dispose([train.images, train.labels, test.images, test.labels]);
  model.dispose();
  return { history, test: result, epochSeconds };
}
