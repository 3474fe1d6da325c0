import '../style.css';
import './text.css';
import { backendChoice, field } from '../ui/settings';
import { LossChart } from './loss-chart';
import type { FromTextWorker, TextTrainSettings, ToTextWorker, WriteSettings } from './protocol';

/**
 * The text page: it draws and listens; the worker (./worker.ts) holds the
 * text, the model and every tensor.
 */

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToTextWorker) => worker.postMessage(m);
const chart = new LossChart($('loss-chart'));

const state = { textReady: false, training: false, writing: false, hasModel: false, iterations: 1, firstLoss: NaN };

function setStatus(s: string, text: string): void {
  $('status').dataset.state = s;
  $('status').textContent = text;
}

function showError(text: string): void {
  $('error-text').textContent = text;
  $('error').hidden = false;
}
$('error-close').addEventListener('click', () => ($('error').hidden = true));

/** A problem with the prompt or the write settings: shown under the prompt, where it was made. */
function showWriteError(text: string | null): void {
  $('write-error').textContent = text ?? '';
  $('write-error').hidden = text === null;
}

function refreshButtons(): void {
  $<HTMLButtonElement>('train').disabled = !state.textReady || state.training || state.writing;
  $<HTMLButtonElement>('stop').disabled = !state.training;
  $<HTMLSelectElement>('backend').disabled = state.training || state.writing;
  $<HTMLButtonElement>('write').disabled = !state.hasModel || state.training || state.writing;
}

$('settings').addEventListener('submit', (e) => {
  e.preventDefault();
  let settings: TextTrainSettings;
  try {
    settings = {
      iterations: field('iterations', 'Iterations', true),
      batchSize: field('batch-size', 'Batch size', true),
      learningRate: field('learning-rate', 'Learning rate', false),
      seed: field('seed', 'Seed', true),
    };
  } catch (err) {
    showError((err as Error).message);
    return;
  }
  $('error').hidden = true;
  chart.reset();
  state.training = true;
  state.hasModel = false;
  state.iterations = settings.iterations;
  state.firstLoss = NaN;
  Object.assign($('loss').dataset, { iter: '0', loss: '', firstLoss: '', valLoss: '' });
  $('loss').textContent = 'No loss yet.';
  $<HTMLProgressElement>('train-progress').value = 0;
  setStatus('training', 'Starting…');
  refreshButtons();
  send({ type: 'train', settings });
});

$('stop').addEventListener('click', () => send({ type: 'stop' }));

$('backend').addEventListener('change', () => {
  setStatus('switching', 'Switching backends…');
  state.hasModel = false;
  refreshButtons();
  send({ type: 'backend', choice: backendChoice() });
});

$('write-form').addEventListener('submit', (e) => {
  e.preventDefault();
  let settings: WriteSettings;
  try {
    settings = {
      prompt: $<HTMLTextAreaElement>('prompt').value,
      chars: field('chars', 'Characters', true),
      temperature: field('temperature', 'Temperature', false),
      topK: field('top-k', 'Top-k', true),
      seed: field('seed', 'Seed', true),
    };
  } catch (err) {
    showWriteError((err as Error).message);
    return;
  }
  showWriteError(null);
  $('output-prompt').textContent = settings.prompt;
  $('output-text').textContent = '';
  Object.assign($('output').dataset, { state: 'writing', chars: '0' });
  state.writing = true;
  refreshButtons();
  send({ type: 'write', settings });
});

/** The loss readout the end-to-end test reads: the latest iteration and loss, and the first loss for comparison. */
function showLoss(iter: number, loss: number): void {
  if (Number.isNaN(state.firstLoss)) state.firstLoss = loss;
  Object.assign($('loss').dataset, { iter: String(iter), loss: String(loss), firstLoss: String(state.firstLoss) });
  const vocab = Number($('loss').dataset.vocab);
  $('loss').textContent =
    `Iteration ${iter}: loss ${loss.toFixed(4)} (first ${state.firstLoss.toFixed(4)}; a uniform guess over the ${vocab} characters scores ln ${vocab} = ${Math.log(vocab).toFixed(4)}).`;
  $('train-text').textContent = `Iteration ${iter} of ${state.iterations}`;
  $<HTMLProgressElement>('train-progress').value = iter / state.iterations;
}

worker.onmessage = (ev: MessageEvent<FromTextWorker>) => {
  const m = ev.data;
  switch (m.type) {
    case 'backend':
      $('backend-status').dataset.backend = m.name;
      $('backend-status').textContent =
        m.name === 'webgpu' ? `WebGPU · ${m.detail.replace(/^WebGPU on /, '')}` : 'CPU backend';
      $('backend-status').title = m.detail;
      $('notice').textContent = m.fallback ?? '';
      $('notice').hidden = !m.fallback;
      if ($('status').dataset.state === 'switching')
        setStatus(state.textReady ? 'ready' : 'idle', `Backend: ${m.name === 'webgpu' ? 'WebGPU' : 'CPU'}.`);
      refreshButtons();
      return;
    case 'text-ready':
      state.textReady = true;
      $('loss').dataset.vocab = String(m.vocabulary.length);
      $('text-info').textContent =
        `The first 20 chapters of Moby-Dick: ${m.characters.toLocaleString('en')} characters, ${m.vocabulary.length} different ones. The first 90% trains the model; the rest measures it.`;
      $('text-info').dataset.vocabulary = m.vocabulary.join('');
      setStatus('ready', 'Ready to train.');
      refreshButtons();
      return;
    case 'train-begin':
      setStatus(
        'training',
        `Training a GPT of ${m.parameters.toLocaleString('en')} weights for ${m.iterations} iterations…`,
      );
      return;
    case 'losses':
      for (const p of m.points) chart.add(p.iter, p.loss);
      if (m.points.length) showLoss(m.points[m.points.length - 1].iter, m.points[m.points.length - 1].loss);
      return;
    case 'train-end':
      state.training = false;
      state.hasModel = true;
      $('loss').dataset.valLoss = String(m.valLoss);
      setStatus(
        'done',
        `${m.stopped ? 'Stopped' : 'Trained'} after ${m.iterations} iterations in ${m.seconds.toFixed(1)} s; loss on held-out text ${m.valLoss.toFixed(4)}. Type a prompt and press Write.`,
      );
      refreshButtons();
      return;
    case 'chars':
      $('output-text').textContent += m.text;
      $('output').dataset.chars = String([...($('output-text').textContent ?? '')].length);
      return;
    case 'write-end':
      state.writing = false;
      $('output').dataset.state = 'done';
      refreshButtons();
      return;
    case 'error':
      if (m.during === 'writing') {
        state.writing = false;
        $('output').dataset.state = 'error';
        showWriteError(m.message);
      } else {
        if (m.during === 'training') state.training = false;
        showError(`While ${m.during}: ${m.message}`);
        setStatus('error', `Something went wrong while ${m.during}.`);
      }
      refreshButtons();
      return;
  }
};

// A worker resolves relative URLs against its own script, so the page sends the text's full address.
send({ type: 'backend', choice: backendChoice() });
send({ type: 'load-text', url: new URL('text/moby-dick.txt', document.baseURI).href });
refreshButtons();
