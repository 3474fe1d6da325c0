/**
 * The messages between the page (src/main.ts) and the training worker
 * (src/worker/worker.ts). Everything that touches tensors runs in the worker,
 * so the page only draws: it never waits on a kernel.
 */

export type BackendChoice = 'auto' | 'webgpu' | 'cpu';
export type ModelKind = 'mlp' | 'cnn';

export interface TrainSettings {
  model: ModelKind;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Train on the first N of the 60,000 training images. */
  trainImages: number;
  /** Validate (and look for mistakes) on the first N of the 10,000 test images. */
  validationImages: number;
  seed: number;
}

/** A saved model in the Keras-like API's format: config.json and model.safetensors as bytes. */
export interface SavedModel {
  config: Record<string, unknown>;
  weights: Uint8Array;
}

/** One test image the model got wrong. */
export interface Mistake {
  /** 784 grey levels, 0..255, row-major. */
  pixels: Uint8Array;
  predicted: number;
  label: number;
  /** The probability the model gave its (wrong) answer. */
  confidence: number;
}

export type ToWorker =
  | { type: 'backend'; choice: BackendChoice }
  | { type: 'load-data'; baseUrl: string }
  | { type: 'train'; settings: TrainSettings }
  | { type: 'stop' }
  | { type: 'predict'; id: number; pixels: Float32Array }
  | { type: 'save' }
  | { type: 'load-model'; model: SavedModel; validationImages: number }
  /** Destroys the GPU device in use, as a driver reset would: a testing aid, sent only by `playgroundDebug` (?debug). */
  | { type: 'lose-device' };

export type FromWorker =
  /** Which backend runs, and why it is not the one asked for (`fallback`). */
  | { type: 'backend'; name: 'webgpu' | 'cpu'; detail: string; fallback?: string }
  | { type: 'download'; file: string; loaded: number; total: number }
  | { type: 'data-ready'; train: number; test: number }
  | { type: 'train-begin'; epochs: number; stepsPerEpoch: number; parameters: number; model: ModelKind }
  /** Batch logs since the last message: running means over the epoch so far, as Keras reports them. */
  | { type: 'batches'; epoch: number; points: { step: number; loss: number; accuracy: number }[] }
  | { type: 'epoch'; epoch: number; loss: number; accuracy: number; valLoss: number; valAccuracy: number; seconds: number }
  | { type: 'train-end'; stopped: boolean }
  | { type: 'mistakes'; mistakes: Mistake[]; checked: number; wrong: number }
  | { type: 'prediction'; id: number; probabilities: number[] }
  | { type: 'saved'; model: SavedModel }
  | { type: 'model-loaded'; model: ModelKind | 'custom'; parameters: number }
  | { type: 'error'; during: string; message: string };
