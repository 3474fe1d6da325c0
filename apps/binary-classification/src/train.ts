import { Dense, type History, Sequential } from '@tsdl/keras';
import { dispose, seed as seedAll, tidy } from '@tsdl/tensor';
import { teacherData } from './data';

export interface BinaryOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  /** Training samples (default 10,000); the held-out set has 10,000. */
  trainSize?: number;
  verbose?: 0 | 1 | 2;
}

export interface BinaryResult {
  history: History;
  /** Loss and accuracy on the held-out samples. */
  test: Record<string, number>;
  /** Accuracy of always predicting the more frequent held-out class. */
  majorityBaseline: number;
  /** Accuracy on the training samples in the last epoch (as fit logs it, in training mode). */
  trainAccuracy: number;
}

export const DIM = 100;
export const TEST_SIZE = 10_000;

/** 100-64-32-1: two ReLU layers and one sigmoid unit giving P(label = 1). */
export function buildClassifier(): Sequential {
  return new Sequential([
    new Dense({ units: 64, activation: 'relu', inputShape: [DIM] }),
    new Dense({ units: 32, activation: 'relu' }),
    new Dense({ units: 1, activation: 'sigmoid' }),
  ]);
}

/** Trains the classifier on teacher-labelled data and measures it on held-out data from the same teacher. */
export async function trainBinary(o: BinaryOptions): Promise<BinaryResult> {
  seedAll(o.seed);
  const data = teacherData({ dim: DIM, trainSize: o.trainSize ?? 10_000, testSize: TEST_SIZE });
  const model = buildClassifier();
  // binary_crossentropy with a sigmoid output: fit uses the stable from-logits form.
  model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
  try {
    if (o.verbose !== 0) model.summary();
    const history = await model.fit(data.xTrain, data.yTrain, {
      epochs: o.epochs,
      batchSize: o.batchSize,
      seed: o.seed,
      verbose: o.verbose ?? 1,
    });
    const test = await model.evaluate(data.xTest, data.yTest, { batchSize: 1000 });
    const positiveCount = tidy(() => data.yTest.sum());
    const positives = (await positiveCount.data())[0] / TEST_SIZE; // an async read: a GPU has no synchronous one
    positiveCount.dispose();
    return {
      history,
      test,
      majorityBaseline: Math.max(positives, 1 - positives),
      trainAccuracy: history.history.accuracy.at(-1) as number,
    };
  } finally {
    dispose(Object.values(data));
    model.optimizer?.dispose();
    model.dispose();
  }
}
