import { explain } from './explain';
import { etaSeconds, formatDuration } from './eta';
import { toMnist } from './preprocess';
import { readModelFiles, transferables } from './model-files';
import type { FromWorker, LoadedModelInfo, ModelFiles, ModelKind, SavedModel, ToWorker, TrainTarget } from './protocol';
import { downloadFiles, loadFromBrowser, saveToBrowser } from './storage';
import './style.css';
import { TrainingCharts } from './ui/charts';
import { DrawPad } from './ui/draw-pad';
import { paintDigit, renderMistakes } from './ui/images';
import { ProbabilityBars } from './ui/probabilities';
import { backendChoice, readSettings, suggestSizes } from './ui/settings';

/**
 * The page: it draws and listens; the worker (./worker/worker.ts) does every
 * computation. Each message from the worker updates one part of the page.
 */

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const worker = new Worker(new URL('./worker/worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker, transfer: Transferable[] = []) => worker.postMessage(m, transfer);

const charts = new TrainingCharts($('loss-chart'), $('accuracy-chart'));
const bars = new ProbabilityBars($('probabilities'), $('guess'));
const pad = new DrawPad($<HTMLCanvasElement>('pad'), () => requestPrediction());

const state = {
  backend: null as 'webgpu' | 'cpu' | null,
  dataReady: false,
  training: false,
  hasModel: false,
  /** The current model is an ONNX graph: it predicts, but cannot be trained or saved in tsdl's format. */
  onnx: false,
  modelName: '' as string,
  stepsPerEpoch: 1,
  epochs: 1,
  trainStart: 0,
  /** What the next 'saved' message is for. */
  saveFor: null as 'browser' | 'download' | null,
};

// ---- messages shown to the person -----------------------------------------------------------

function setStatus(state: string, text: string): void {
  const el = $('status');
  el.dataset.state = state;
  el.textContent = text;
}

function showError(text: string): void {
  $('error-text').textContent = text;
  $('error').hidden = false;
}
$('error-close').addEventListener('click', () => ($('error').hidden = true));

function showNotice(text: string | undefined): void {
  $('notice').textContent = text ?? '';
  $('notice').hidden = !text;
}

function refreshButtons(): void {
  const target = $<HTMLSelectElement>('model').value as TrainTarget;
  const current = $<HTMLOptionElement>('model-current');
  current.disabled = !state.hasModel;
  current.textContent = !state.hasModel
    ? 'The current model (train or load one first)'
    : state.onnx
      ? 'The current model (ONNX: predicts only)'
      : `The current model, trained further: ${state.modelName}`;
  const cannotTrain = target === 'current' && (!state.hasModel || state.onnx);
  $('train-hint').textContent =
    cannotTrain && state.onnx
      ? 'An ONNX model cannot be trained here: choose the MLP or the CNN to train a new model.'
      : '';
  $<HTMLButtonElement>('train').disabled = !state.dataReady || state.training || cannotTrain;
  $<HTMLButtonElement>('stop').disabled = !state.training;
  for (const id of ['backend', 'model']) $<HTMLSelectElement>(id).disabled = state.training;
  $<HTMLButtonElement>('save-idb').disabled = !state.hasModel || state.onnx || state.training;
  $<HTMLButtonElement>('download').disabled = !state.hasModel || state.onnx || state.training;
  $<HTMLButtonElement>('load-idb').disabled = state.training;
  $<HTMLInputElement>('load-files').disabled = state.training;
}

// ---- drawing → prediction ---------------------------------------------------------------------

let predictionId = 0;
let inFlight = false;
let dirty = false;

/** Sends the drawing to the model; while one prediction is out, later strokes wait for it. */
function requestPrediction(): void {
  if (inFlight) {
    dirty = true;
    markPending();
    return;
  }
  dirty = false;
  markPending();
  const { ink, width, height } = pad.ink();
  const pixels = toMnist(ink, width, height);
  const preview = $<HTMLCanvasElement>('preview');
  if (!pixels) {
    preview.getContext('2d')!.clearRect(0, 0, 28, 28);
    bars.clear();
    return;
  }
  paintDigit(preview, pixels, true);
  if (!state.hasModel) {
    $('guess').textContent = '?';
    $('guess').title = 'Train a model or load a saved one first';
    return;
  }
  inFlight = true;
  markPending();
  send({ type: 'predict', id: ++predictionId, pixels }, [pixels.buffer]);
}

/** `data-pending` says whether the bars may still change (the end-to-end test waits for '0'). */
function markPending(): void {
  $('probabilities').dataset.pending = inFlight || dirty ? '1' : '0';
}

$('clear').addEventListener('click', () => pad.clear());

// ---- training ---------------------------------------------------------------------------------

function resetTraining(): void {
  charts.reset();
  $('epochs-table').querySelector('tbody')!.replaceChildren();
  $<HTMLProgressElement>('train-progress').value = 0;
  $('eta').textContent = '';
}

$('settings').addEventListener('submit', (e) => {
  e.preventDefault();
  let settings;
  try {
    settings = readSettings();
  } catch (err) {
    return showError((err as Error).message);
  }
  $('error').hidden = true;
  resetTraining();
  state.training = true;
  refreshButtons();
  const what = settings.model === 'current' ? state.modelName : settings.model.toUpperCase();
  setStatus('training', `Starting: ${what} on ${settings.trainImages.toLocaleString('en')} images…`);
  send({ type: 'train', settings });
});

$('stop').addEventListener('click', () => {
  send({ type: 'stop' });
  setStatus('training', 'Stopping after this batch…');
});

$('backend').addEventListener('change', () => {
  setStatus($('status').dataset.state ?? 'idle', 'Switching backends…');
  send({ type: 'backend', choice: backendChoice() });
});
$('model').addEventListener('change', () => {
  const target = $<HTMLSelectElement>('model').value as TrainTarget;
  if (target !== 'current') suggestSizes(target, state.backend);
  refreshButtons();
});

function showProgress(epoch: number, step: number): void {
  const done = epoch * state.stepsPerEpoch + step + 1;
  const total = state.epochs * state.stepsPerEpoch;
  $<HTMLProgressElement>('train-progress').value = done / total;
  $('train-text').textContent = `Epoch ${epoch + 1}/${state.epochs} · batch ${step + 1}/${state.stepsPerEpoch}`;
  const eta = etaSeconds((performance.now() - state.trainStart) / 1000, done, total);
  $('eta').textContent = eta === null ? '' : `ETA ${formatDuration(eta)}`;
}

function addEpochRow(m: Extract<FromWorker, { type: 'epoch' }>): void {
  const row = document.createElement('tr');
  row.dataset.loss = String(m.loss);
  row.dataset.valLoss = String(m.valLoss);
  row.dataset.valAccuracy = String(m.valAccuracy);
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  row.innerHTML = `<td>${m.epoch + 1}</td><td>${m.loss.toFixed(4)}</td><td>${pct(m.accuracy)}</td><td>${m.valLoss.toFixed(4)}</td><td>${pct(m.valAccuracy)}</td><td>${m.seconds.toFixed(1)} s</td>`;
  $('epochs-table').querySelector('tbody')!.append(row);
}

// ---- saving and loading -----------------------------------------------------------------------

function describeModel(kind: ModelKind | 'custom', parameters: number): string {
  const name = kind === 'mlp' ? 'MLP' : kind === 'cnn' ? 'CNN' : 'custom model';
  return `${name} (${parameters.toLocaleString('en')} weights)`;
}

/** The model-status line for a loaded model: what it is, where from, and (ONNX) what it cannot do. */
function describeLoaded(m: LoadedModelInfo): { name: string; status: string } {
  if (m.model === 'onnx') {
    const name = `the ONNX model ${m.name}`;
    const outputs = m.softmaxed ? ' Its outputs are not probabilities, so the page shows their softmax.' : '';
    return {
      name,
      status: `Loaded ${name} (input ${m.input}; ${m.detail}). It predicts only: tsdl cannot train it or save it in its own format.${outputs}`,
    };
  }
  const name = describeModel(m.model, m.parameters ?? 0);
  return {
    name,
    status: m.source === 'tfjs' ? `Loaded ${name} from TF.js files (${m.name}, input ${m.input}).` : `Loaded ${name}.`,
  };
}

$('save-idb').addEventListener('click', () => {
  state.saveFor = 'browser';
  send({ type: 'save' });
});
$('download').addEventListener('click', () => {
  state.saveFor = 'download';
  send({ type: 'save' });
});

async function onSaved(model: SavedModel): Promise<void> {
  const target = state.saveFor;
  state.saveFor = null;
  if (target === 'download') {
    downloadFiles(model);
    $('model-status').textContent = `Downloaded ${state.modelName}: config.json and model.safetensors.`;
    return;
  }
  const stored = await saveToBrowser(model, state.modelName);
  $('model-status').textContent =
    `Saved ${state.modelName} in this browser (${new Date(stored.savedAt).toLocaleTimeString()}).`;
  $('model-status').dataset.saved = stored.savedAt;
}

function loadModel(files: ModelFiles, from: string): void {
  $('model-status').textContent = `Loading the model from ${from}…`;
  state.training = true; // blocks the buttons until the worker answers
  refreshButtons();
  send(
    { type: 'load-model', files, validationImages: Number($<HTMLInputElement>('validation-images').value) || 2000 },
    transferables(files),
  );
}

$('load-idb').addEventListener('click', async () => {
  try {
    const stored = await loadFromBrowser();
    if (!stored)
      return showError('There is no model saved in this browser yet: train one and press "Save in this browser".');
    loadModel({ format: 'tsdl', model: { config: stored.config, weights: stored.weights } }, 'this browser');
  } catch (e) {
    showError(`Loading from this browser failed: ${explain(e)}`);
  }
});

$<HTMLInputElement>('load-files').addEventListener('change', async (e) => {
  const el = e.target as HTMLInputElement;
  try {
    if (el.files?.length) loadModel(await readModelFiles(el.files), 'the files');
  } catch (err) {
    showError(`Loading the files failed: ${explain(err)}`);
  } finally {
    el.value = '';
  }
});

// ---- the worker's messages ----------------------------------------------------------------------

const downloaded = new Set<string>();
let lastLivePrediction = 0;

worker.onmessage = (ev: MessageEvent<FromWorker>) => {
  const m = ev.data;
  switch (m.type) {
    case 'backend': {
      state.backend = m.name;
      const pill = $('backend-status');
      pill.dataset.backend = m.name;
      pill.textContent = `Running on ${m.detail}`;
      showNotice(m.fallback);
      if ($('status').textContent === 'Switching backends…')
        setStatus(state.dataReady ? 'ready' : 'idle', `Backend: ${m.name === 'webgpu' ? 'WebGPU' : 'CPU'}.`);
      break;
    }
    case 'download': {
      const mb = (n: number) => (n / 1e6).toFixed(1);
      if (m.total && m.loaded >= m.total) downloaded.add(m.file);
      const fraction = m.total ? Math.min(1, m.loaded / m.total) : 0;
      $<HTMLProgressElement>('download-progress').value = Math.min(
        1,
        (downloaded.size + (downloaded.has(m.file) ? 0 : fraction)) / 4,
      );
      $('download-text').textContent =
        `Downloading MNIST: ${m.file} ${mb(m.loaded)}${m.total ? ` / ${mb(m.total)}` : ''} MB`;
      break;
    }
    case 'data-ready':
      state.dataReady = true;
      $<HTMLProgressElement>('download-progress').value = 1;
      $('download-text').textContent =
        `MNIST ready: ${m.train.toLocaleString('en')} training and ${m.test.toLocaleString('en')} test images`;
      setStatus('ready', 'Ready to train.');
      refreshButtons();
      break;
    case 'train-begin':
      state.stepsPerEpoch = m.stepsPerEpoch;
      state.epochs = m.epochs;
      state.trainStart = performance.now();
      state.hasModel = true;
      state.onnx = false;
      if (!m.continued) state.modelName = describeModel(m.model, m.parameters);
      $('model-status').textContent = `Training ${state.modelName}${m.continued ? ' further' : ''}…`;
      setStatus(
        'training',
        `Training ${state.modelName}${m.continued ? ' further' : ''} on the ${state.backend === 'webgpu' ? 'GPU' : 'CPU'}…`,
      );
      break;
    case 'batches':
      for (const p of m.points) charts.addBatch(m.epoch + (p.step + 1) / state.stepsPerEpoch, p.loss, p.accuracy);
      if (m.points.length) showProgress(m.epoch, m.points[m.points.length - 1].step);
      // Twice a second, the drawing is classified again: watch the guess firm up as it learns.
      if (performance.now() - lastLivePrediction > 500) {
        lastLivePrediction = performance.now();
        requestPrediction();
      }
      break;
    case 'epoch':
      charts.addValidation(m.epoch + 1, m.valLoss, m.valAccuracy);
      addEpochRow(m);
      break;
    case 'train-end':
      $('train-text').textContent = m.stopped
        ? 'Stopped'
        : `Finished ${state.epochs} epoch${state.epochs > 1 ? 's' : ''}`;
      $('eta').textContent = `took ${formatDuration((performance.now() - state.trainStart) / 1000)}`;
      setStatus('training', 'Looking for the test images it gets wrong…');
      $('model-status').textContent = `Trained ${state.modelName}.`;
      break;
    case 'mistakes': {
      renderMistakes($('mistakes'), m.mistakes);
      const acc = ((1 - m.wrong / m.checked) * 100).toFixed(2);
      $('mistakes-summary').textContent =
        `${m.wrong} of ${m.checked.toLocaleString('en')} test images wrong (${acc}% right); the first ${m.mistakes.length} shown as guess (confidence) · true label.`;
      state.training = false;
      refreshButtons();
      setStatus('done', `Done: ${acc}% of ${m.checked.toLocaleString('en')} test images right. Draw a digit!`);
      requestPrediction();
      break;
    }
    case 'prediction':
      inFlight = false;
      if (m.id === predictionId) bars.show(m.probabilities);
      if (dirty) requestPrediction();
      markPending();
      break;
    case 'saved':
      onSaved(m.model).catch((e) => showError(`Saving failed: ${explain(e)}`));
      break;
    case 'model-loaded': {
      const { name, status } = describeLoaded(m);
      state.hasModel = true;
      state.onnx = !m.trainable;
      state.modelName = name;
      $('model-status').textContent = status;
      $('model-status').dataset.loaded = String(Date.now());
      $('model-status').dataset.source = m.source;
      // Train now means this model: further for a keras one, not at all for ONNX (the button says so).
      $<HTMLSelectElement>('model').value = 'current';
      refreshButtons();
      if (!state.dataReady) {
        state.training = false;
        refreshButtons();
      }
      requestPrediction();
      break;
    }
    case 'error':
      inFlight = false;
      dirty = false;
      markPending();
      state.training = false;
      refreshButtons();
      showError(`Something went wrong while ${m.during}: ${m.message}`);
      setStatus('error', `Failed while ${m.during}.`);
      break;
  }
};

worker.onerror = (e) => {
  showError(`The training worker failed to start or crashed: ${e.message || 'no details (see the browser console)'}`);
  setStatus('error', 'The worker stopped.');
};

// With ?debug in the URL, window.playgroundDebug.loseDevice() makes the worker destroy its GPU
// device mid-run, to exercise the fallback to the CPU (the end-to-end test uses it).
if (new URL(location.href).searchParams.has('debug')) {
  (window as unknown as { playgroundDebug: { loseDevice(): void } }).playgroundDebug = {
    loseDevice: () => send({ type: 'lose-device' }),
  };
}

send({ type: 'backend', choice: backendChoice() });
send({ type: 'load-data', baseUrl: new URL('mnist/', location.href).href });
refreshButtons();
