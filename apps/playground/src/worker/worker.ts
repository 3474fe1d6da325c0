/**
 * The training worker: it owns the backend, the data, the model and every
 * tensor, so the page stays responsive however long a kernel runs. It talks
 * to the page only through the messages of ../protocol.ts.
 */
import '@tsdl/autograd';
import { type MnistArrays } from '@tsdl/data-mnist';
import { LambdaCallback, modelFromArtifacts, modelToArtifacts, optimizers } from '@tsdl/keras';
import { type Backend, dispose, seed as seedAll, setBackend } from '@tsdl/tensor';
import { explain } from '../explain';
import type { BackendChoice, FromWorker, Mistake, ModelFiles, SavedModel, ToWorker, TrainSettings } from '../protocol';
import { selectBackend } from './backend';
import { type CurrentModel, classify, describeLoaded, disposeModel, openModel, openOnnx } from './current-model';
import { loadMnistFromUrl, toTensors } from './data';
import { buildModel, countParameters, recognise } from './models';

// The DOM and WebWorker libs cannot both be loaded in one program; this is the part of the worker's global scope used here.
const scope = self as unknown as {
  postMessage(message: FromWorker, transfer: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ToWorker>) => void) | null;
};
const post = (m: FromWorker, transfer: Transferable[] = []): void => scope.postMessage(m, transfer);

let backend: { backend: Backend; name: 'webgpu' | 'cpu' } | null = null;
let data: { train: MnistArrays; test: MnistArrays } | null = null;
/** The model the page predicts with: built here, or loaded (see ./current-model.ts). */
let current: CurrentModel | null = null;
let busy = false;

/** Lets queued messages (stop, predict) run between training steps. */
const yieldToEvents = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

async function useBackend(choice: BackendChoice): Promise<void> {
  const selected = await selectBackend(choice);
  // A keras model on the old backend moves over through its saved form; an ONNX graph is loaded again from its file.
  const was = current;
  const carried = was?.kind === 'keras' ? await modelToArtifacts(was.model) : null;
  freeModel();
  const old = backend?.backend;
  setBackend(selected.backend);
  backend = selected;
  if (old && old !== selected.backend) (old as { dispose?: () => void }).dispose?.();
  if (was?.kind === 'keras' && carried) current = { ...was, model: modelFromArtifacts(carried, 'model') };
  if (was?.kind === 'onnx') current = await openOnnx(was.bytes, was.name);
  post({ type: 'backend', name: selected.name, detail: selected.detail, fallback: selected.fallback });
}

function freeModel(): void {
  disposeModel(current);
  current = null;
}

async function train(s: TrainSettings): Promise<void> {
  if (!data) throw new Error('the MNIST data has not been downloaded yet');
  if (!backend) await useBackend('auto');
  seedAll(s.seed);
  const target = s.model;
  const continued = target === 'current';
  if (target === 'current') {
    if (!current) throw new Error('there is no model to train further yet: train one or load one first');
    if (current.kind !== 'keras')
      throw new Error(
        `${current.name} is an ONNX model: tsdl runs it but cannot train it; choose the MLP or the CNN to train a new model`,
      );
    // A loaded model comes without an optimizer; one trained here gets a fresh Adam with the chosen rate.
    current.model.optimizer?.dispose();
  } else {
    freeModel();
    current = { kind: 'keras', model: buildModel(target), source: 'built', name: '', sample: [28, 28, 1] };
  }
  const { model: m, sample } = current;
  const train = toTensors(data.train, s.trainImages, sample);
  const val = toTensors(data.test, s.validationImages, sample);
  m.compile({
    optimizer: optimizers.Adam({ learningRate: s.learningRate }),
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy'],
  });
  const stepsPerEpoch = Math.ceil(train.x.shape[0] / s.batchSize);
  post({
    type: 'train-begin',
    epochs: s.epochs,
    stepsPerEpoch,
    parameters: countParameters(m),
    model: recognise(m),
    continued,
  });
  let points: { step: number; loss: number; accuracy: number }[] = [];
  let lastFlush = 0;
  let epochStart = 0;
  const flush = (epoch: number) => {
    if (points.length) post({ type: 'batches', epoch, points });
    points = [];
    lastFlush = performance.now();
  };
  let currentEpoch = 0;
  try {
    await m.fit(train.x, train.y, {
      epochs: s.epochs,
      batchSize: s.batchSize,
      seed: s.seed,
      validationData: [val.x, val.y],
      verbose: 0,
      callbacks: [
        new LambdaCallback({
          onEpochBegin: (epoch) => {
            currentEpoch = epoch;
            epochStart = performance.now();
          },
          onBatchEnd: async (step, logs) => {
            points.push({ step, loss: logs?.loss ?? NaN, accuracy: logs?.accuracy ?? NaN });
            // About ten messages a second: enough for smooth charts, and a
            // chance for a Stop or a drawing's prediction to get in.
            if (performance.now() - lastFlush > 100 || step === stepsPerEpoch - 1) {
              flush(currentEpoch);
              await yieldToEvents();
            }
          },
          onEpochEnd: (epoch, logs = {}) => {
            flush(epoch);
            post({
              type: 'epoch',
              epoch,
              loss: logs.loss,
              accuracy: logs.accuracy,
              valLoss: logs.val_loss,
              valAccuracy: logs.val_accuracy,
              seconds: (performance.now() - epochStart) / 1000,
            });
          },
        }),
      ],
    });
    post({ type: 'train-end', stopped: m.stopTraining });
  } finally {
    dispose([train.x, train.y, val.x, val.y]);
  }
  await reportMistakes(s.validationImages);
}

/** Runs the model over the first `count` test images and sends the ones it gets wrong. */
async function reportMistakes(count: number, limit = 60): Promise<void> {
  if (!current || !data) return;
  const n = Math.min(count, data.test.count);
  const pixels = new Float32Array(n * 784);
  for (let i = 0; i < pixels.length; i++) pixels[i] = data.test.images[i] / 255;
  const p = await classify(current, pixels, n);
  const labels = data.test.labels.subarray(0, n);
  const mistakes: Mistake[] = [];
  let wrong = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let k = 1; k < 10; k++) if (p[i * 10 + k] > p[i * 10 + best]) best = k;
    if (best === labels[i]) continue;
    wrong++;
    if (mistakes.length < limit) {
      mistakes.push({
        pixels: data.test.images.slice(i * 784, (i + 1) * 784),
        predicted: best,
        label: labels[i],
        confidence: p[i * 10 + best],
      });
    }
  }
  post(
    { type: 'mistakes', mistakes, checked: labels.length, wrong },
    mistakes.map((m) => m.pixels.buffer),
  );
}

async function predict(id: number, pixels: Float32Array): Promise<void> {
  if (!current) throw new Error('there is no model yet: train one or load a saved one first');
  const probabilities = Array.from(await classify(current, pixels, 1));
  post({ type: 'prediction', id, probabilities });
}

async function save(): Promise<void> {
  if (!current) throw new Error('there is no model to save yet: train one first');
  if (current.kind !== 'keras')
    throw new Error(`${current.name} is an ONNX model: it cannot be saved in tsdl's format (keep the .onnx file)`);
  const a = await modelToArtifacts(current.model);
  const saved: SavedModel = { config: a.config, weights: a.weights };
  post({ type: 'saved', model: saved });
}

async function loadModel(files: ModelFiles, validationImages: number): Promise<void> {
  if (!backend) await useBackend('auto');
  // The old model stays until the new one has loaded and passed the checks.
  const loaded = await openModel(files);
  freeModel();
  current = loaded;
  post({ type: 'model-loaded', ...describeLoaded(loaded) });
  await reportMistakes(validationImages);
}

/** Runs one exclusive job (training, loading, switching backends); a second one waits its turn. */
let queue: Promise<void> = Promise.resolve();
function exclusive(during: string, job: () => Promise<void>): void {
  queue = queue.then(async () => {
    busy = true;
    try {
      await job();
    } catch (e) {
      post({ type: 'error', during, message: explain(e) });
      // A GPU that failed mid-run is replaced by the CPU so the next try works.
      if (backend?.name === 'webgpu' && /DeviceLost|GpuOutOfMemory|GpuValidation/.test((e as Error).name)) {
        current = null;
        await useBackend('cpu').catch(() => undefined);
      }
    } finally {
      busy = false;
    }
  });
}

scope.onmessage = (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'backend':
      return exclusive('switching backends', () => useBackend(msg.choice));
    case 'load-data':
      return exclusive('downloading MNIST', async () => {
        data = await loadMnistFromUrl(msg.baseUrl, (file, loaded, total) =>
          post({ type: 'download', file, loaded, total }),
        );
        post({ type: 'data-ready', train: data.train.count, test: data.test.count });
      });
    case 'train':
      return exclusive('training', () => train(msg.settings));
    case 'stop':
      if (current?.kind === 'keras' && busy) current.model.stopTraining = true;
      return;
    case 'predict':
      // Not queued: a drawing is classified between training steps too, so it
      // shows the model as it learns.
      predict(msg.id, msg.pixels).catch((e) => post({ type: 'error', during: 'predicting', message: explain(e) }));
      return;
    case 'save':
      save().catch((e) => post({ type: 'error', during: 'saving', message: explain(e) }));
      return;
    case 'load-model':
      return exclusive('loading the model', () => loadModel(msg.files, msg.validationImages));
    case 'lose-device':
      // Not queued: it lands mid-training, where a real device loss would, and the job's own
      // error handling switches to the CPU.
      if (backend?.name === 'webgpu') (backend.backend as { device?: GPUDevice }).device?.destroy();
      return;
  }
};
