import { loadMnist } from '@tsdl/data-mnist';
import { type History, LambdaCallback } from '@tsdl/keras';
import { dispose, seed as seedAll } from '@tsdl/tensor';
import { buildCnn } from './model';

export interface CnnOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  /** Train on the first N training images only (the test set is always the full 10,000). */
  limit?: number;
  /** 0 silent, 1 Keras progress (a bar in a terminal, a line per epoch otherwise), 2 a line per epoch. */
  verbose?: 0 | 1 | 2;
}

export interface CnnResult {
  history: History;
  /** Loss and accuracy on the 10,000 test images. */
  test: Record<string, number>;
  epochSeconds: number[];
  trainImages: number;
}

/** Trains the convnet on real MNIST and evaluates it on the test set. */
export async function trainMnistCnn(o: CnnOptions): Promise<CnnResult> {
  seedAll(o.seed);
  const { train, test } = await loadMnist({ limit: o.limit === undefined ? undefined : { train: o.limit } });
  // Conv2D wants channels-last images [n, 28, 28, 1]; a reshape is a free view.
  const xTrain = train.images.reshape([...train.images.shape, 1]);
  const xTest = test.images.reshape([...test.images.shape, 1]);
  const model = buildCnn();
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  if (o.verbose !== 0) model.summary();
  const epochSeconds: number[] = [];
  let t0 = 0;
  try {
    const history = await model.fit(xTrain, train.labels, {
      epochs: o.epochs,
      batchSize: o.batchSize,
      seed: o.seed,
      verbose: o.verbose ?? 1,
      callbacks: [
        new LambdaCallback({
          onEpochBegin: () => void (t0 = performance.now()),
          onEpochEnd: () => void epochSeconds.push((performance.now() - t0) / 1000),
        }),
      ],
    });
    const result = await model.evaluate(xTest, test.labels, { batchSize: 256 });
    return { history, test: result, epochSeconds, trainImages: xTrain.shape[0] };
  } finally {
    dispose([xTrain, xTest, train.images, train.labels, test.images, test.labels]);
    model.optimizer?.dispose();
    model.dispose();
  }
}
