import { Dense, EarlyStopping, type History, Sequential, TextVectorization } from '@tsdl/keras';
import { type Tensor, concat, dispose, seed as seedAll, tensor } from '@tsdl/tensor';
import type { Emails, SpamData } from './data';
import { type BinaryMetrics, binaryMetrics, confusion } from './metrics';
import { BAG_DEFAULT_TOKENS, RECURRENT_DEFAULTS, type RecurrentConfig, buildRecurrentModel } from './model';

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  /** Adam's learning rate (default 5e-3). */
  learningRate?: number;
  /** Epochs without a better validation loss before stopping (default 1); the best epoch's weights are kept. */
  patience?: number;
  /** Share of the training emails (the last ones) fit holds out to validate on (default 0.1). */
  validationSplit?: number;
  verbose?: 0 | 1 | 2;
}

export interface ModelResult {
  history: History;
  /** Held-out accuracy, precision, recall and F1 (spam positive) at a 0.5 threshold. */
  test: BinaryMetrics;
  /** Epochs run (early stopping may end training before `epochs`). */
  epochsRun: number;
  /** The epoch (1-based) whose weights were kept: the best validation loss. */
  bestEpoch: number;
  seconds: number;
}

const labelColumn = (labels: Int32Array): Tensor => tensor(Float32Array.from(labels), [labels.length, 1]);

function earlyStopping(o: TrainOptions): EarlyStopping {
  return new EarlyStopping({ monitor: 'val_loss', patience: o.patience ?? 1, restoreBestWeights: true });
}

async function metricsOf(model: Sequential, x: Tensor | string[], labels: Int32Array): Promise<BinaryMetrics> {
  const p = model.predict(x, { batchSize: 256 });
  try {
    return binaryMetrics(confusion(await p.data(), labels));
  } finally {
    p.dispose();
  }
}

async function fitAndScore(
  model: Sequential,
  x: Tensor | string[],
  y: Tensor,
  testX: Tensor | string[],
  test: Emails,
  o: TrainOptions,
): Promise<ModelResult> {
  const t0 = performance.now();
  model.compile({
    optimizer: { className: 'adam', config: { learningRate: o.learningRate ?? 5e-3 } },
    loss: 'binary_crossentropy',
    metrics: ['accuracy'],
  });
  const stop = earlyStopping(o);
  const history = await model.fit(x, y, {
    epochs: o.epochs,
    batchSize: o.batchSize,
    seed: o.seed,
    validationSplit: o.validationSplit ?? 0.1,
    callbacks: [stop],
    verbose: o.verbose ?? 2,
  });
  const scored = await metricsOf(model, testX, test.labels);
  return {
    history,
    test: scored,
    epochsRun: history.epoch.length,
    bestEpoch: stop.bestEpoch + 1,
    seconds: (performance.now() - t0) / 1000,
  };
}

/**
 * Trains TextVectorization → Embedding(maskZero) → Bidirectional(LSTM) → Dense(sigmoid) on
 * the training emails' strings (the model vectorizes them) and scores it on the test emails.
 */
export async function trainRecurrent(
  data: SpamData,
  o: TrainOptions,
  config: RecurrentConfig = RECURRENT_DEFAULTS,
): Promise<ModelResult & { vocabularySize: number }> {
  seedAll(o.seed);
  const model = buildRecurrentModel(data.train.texts, config);
  const y = labelColumn(data.train.labels);
  try {
    const r = await fitAndScore(model, data.train.texts, y, data.test.texts, data.test, o);
    return { ...r, vocabularySize: (model.layers[0] as TextVectorization).vocabularySize() };
  } finally {
    y.dispose();
    model.optimizer?.dispose();
    model.dispose();
  }
}

/**
 * Vectorizes texts to multi_hot rows, a few at a time. A model given strings encodes the
 * whole set up front, and in a bag mode the token indices are padded to the longest email
 * (14,290 tokens in this corpus): 276 MB of indices for the training set, and a slow scatter per
 * batch. In chunks, only the [texts, vocabulary] floats stay.
 */
export function multiHot(vectorizer: TextVectorization, texts: string[], chunk = 64): Tensor {
  const parts: Tensor[] = [];
  try {
    for (let i = 0; i < texts.length; i += chunk) parts.push(vectorizer.call(texts.slice(i, i + chunk)) as Tensor);
    return concat(parts, 0);
  } finally {
    dispose(parts);
  }
}

/**
 * The baseline: TextVectorization(multi_hot) adapted on the training emails, then a Dense
 * sigmoid unit (a logistic regression on binary bag-of-words) trained on the vectorized
 * emails, same split, optimizer and early stopping.
 */
export async function trainBagOfWords(
  data: SpamData,
  o: TrainOptions,
  maxTokens = BAG_DEFAULT_TOKENS,
): Promise<ModelResult & { vocabularySize: number }> {
  seedAll(o.seed);
  const vectorizer = new TextVectorization({ maxTokens, outputMode: 'multi_hot', name: 'bag_of_words' });
  vectorizer.adapt(data.train.texts);
  const width = vectorizer.vocabularySize();
  const model = new Sequential({
    name: 'bag_of_words',
    layers: [new Dense({ units: 1, activation: 'sigmoid', inputShape: [width], name: 'spam' })],
  });
  const tensors: Tensor[] = [];
  try {
    const x = multiHot(vectorizer, data.train.texts);
    tensors.push(x);
    const y = labelColumn(data.train.labels);
    tensors.push(y);
    const testX = multiHot(vectorizer, data.test.texts);
    tensors.push(testX);
    const r = await fitAndScore(model, x, y, testX, data.test, o);
    return { ...r, vocabularySize: width };
  } finally {
    dispose(tensors);
    model.optimizer?.dispose();
    model.dispose();
  }
}
