/**
 * The messages between the page (src/main.ts) and the training worker
 * (src/worker/worker.ts). Everything that touches tensors runs in the worker,
 * so the page only draws: it never waits on a kernel.
 */

export type BackendChoice = 'auto' | 'webgpu' | 'cpu';
export type ModelKind = 'mlp' | 'cnn';
/** What Train trains: a new MLP or CNN, or the current model further (a keras one: built here, or loaded from tsdl or TF.js files). */
export type TrainTarget = ModelKind | 'current';

export interface TrainSettings {
  model: TrainTarget;
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

/** TF.js' in-memory ModelArtifacts (what `loadTfjsModel` from @tsdl/keras takes), made from model.json and its shards. */
export interface TfjsModelArtifacts {
  modelTopology: object;
  weightSpecs: object[];
  /** Every shard's bytes, in the order model.json's weightsManifest lists them. */
  weightData: ArrayBuffer;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

/** A model chosen as files (or read from IndexedDB), in one of the formats the playground loads. */
export type ModelFiles =
  | { format: 'tsdl'; model: SavedModel }
  | { format: 'tfjs'; name: string; artifacts: TfjsModelArtifacts }
  | { format: 'onnx'; name: string; bytes: Uint8Array };

/** Where the current model came from: built and trained here, or loaded from files of one format. */
export type ModelSource = 'built' | ModelFiles['format'];

/** What the page is told about a model that was loaded. */
export interface LoadedModelInfo {
  source: ModelFiles['format'];
  /** The file it came from (model.json, x.onnx); '' for tsdl's pair. */
  name: string;
  /** Which of the two models it is (by its layers), 'custom', or 'onnx' for an ONNX graph. */
  model: ModelKind | 'custom' | 'onnx';
  /** Weights of a keras model; null for ONNX. */
  parameters: number | null;
  /** Its input as the model declares it, batch axis included: "'image' [batch, 1, 28, 28]". */
  input: string;
  /** A keras model can be trained further and saved; an ONNX graph only predicts. */
  trainable: boolean;
  /** ONNX: opset and producer ("opset 13, pytorch 2.1"). */
  detail?: string;
  /** ONNX: its outputs are not probabilities (logits, log-probabilities), so predictions are their softmax. */
  softmaxed?: boolean;
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
  | { type: 'load-model'; files: ModelFiles; validationImages: number }
  /** Destroys the GPU device in use, as a driver reset would: a testing aid, sent only by `playgroundDebug` (?debug). */
  | { type: 'lose-device' };

export type FromWorker =
  /** Which backend runs, and why it is not the one asked for (`fallback`). */
  | { type: 'backend'; name: 'webgpu' | 'cpu'; detail: string; fallback?: string }
  | { type: 'download'; file: string; loaded: number; total: number }
  | { type: 'data-ready'; train: number; test: number }
  | {
      type: 'train-begin';
      epochs: number;
      stepsPerEpoch: number;
      parameters: number;
      model: ModelKind | 'custom';
      continued: boolean;
    }
  /** Batch logs since the last message: running means over the epoch so far, as Keras reports them. */
  | { type: 'batches'; epoch: number; points: { step: number; loss: number; accuracy: number }[] }
  | {
      type: 'epoch';
      epoch: number;
      loss: number;
      accuracy: number;
      valLoss: number;
      valAccuracy: number;
      seconds: number;
    }
  | { type: 'train-end'; stopped: boolean }
  | { type: 'mistakes'; mistakes: Mistake[]; checked: number; wrong: number }
  | { type: 'prediction'; id: number; probabilities: number[] }
  | { type: 'saved'; model: SavedModel }
  | ({ type: 'model-loaded' } & LoadedModelInfo)
  | { type: 'error'; during: string; message: string };
