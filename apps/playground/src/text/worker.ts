/**
 * The text page's worker: it fetches the text, trains the char-gpt app's GPT
 * on it a step at a time (reporting every loss), and writes a prompt's
 * continuation a character at a time. It talks to the page only through
 * the messages of ./protocol.ts.
 */
import '@tsdl/autograd';
import { CharVocabulary, splitByPosition } from '@tsdl/data-text';
import { type Backend, DataFormatError, seed as seedAll, setBackend } from '@tsdl/tensor';
import { explain } from '../explain';
import type { BackendChoice } from '../protocol';
import { selectBackend } from '../worker/backend';
import { generate } from './generate';
import type { FromTextWorker, TextTrainSettings, ToTextWorker, WriteSettings } from './protocol';
import { TextTrainer } from './trainer';

const scope = self as unknown as {
  postMessage(message: FromTextWorker): void;
  onmessage: ((ev: MessageEvent<ToTextWorker>) => void) | null;
};
const post = (m: FromTextWorker): void => scope.postMessage(m);

let backend: { backend: Backend; name: 'webgpu' | 'cpu' } | null = null;
let corpus: { vocab: CharVocabulary; train: Int32Array; val: Int32Array } | null = null;
let trainer: TextTrainer | null = null;
let stopRequested = false;

/** Lets a queued Stop in between training steps. */
const yieldToEvents = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

async function useBackend(choice: BackendChoice): Promise<void> {
  const selected = await selectBackend(choice);
  // The model's tensors belong to the old backend: a new backend starts a new model.
  trainer?.dispose();
  trainer = null;
  const old = backend?.backend;
  setBackend(selected.backend);
  backend = selected;
  if (old && old !== selected.backend) (old as { dispose?: () => void }).dispose?.();
  post({ type: 'backend', name: selected.name, detail: selected.detail, fallback: selected.fallback });
}

async function loadText(url: string): Promise<void> {
  const res = await fetch(url);
  if (!res.ok) throw new DataFormatError(`${url}: the server answered ${res.status} ${res.statusText}`);
  const text = await res.text();
  if (text.length < 1000) throw new DataFormatError(`${url}: ${text.length} characters, too short to train on`);
  const vocab = CharVocabulary.fromText(text);
  // nanoGPT's split: the first 90% trains, the rest is held out.
  corpus = { vocab, ...splitByPosition(vocab.encode(text), 0.9) };
  post({ type: 'text-ready', characters: text.length, vocabulary: [...vocab.chars] });
}

async function train(s: TextTrainSettings): Promise<void> {
  if (!corpus) throw new Error('the text has not been loaded yet');
  if (!backend) await useBackend('auto');
  seedAll(s.seed);
  trainer?.dispose();
  trainer = null;
  const t = new TextTrainer(corpus.vocab.size, s.batchSize, s.learningRate, s.seed);
  trainer = t;
  stopRequested = false;
  post({ type: 'train-begin', iterations: s.iterations, parameters: t.parameterCount });
  const start = performance.now();
  let points: { iter: number; loss: number }[] = [];
  let lastFlush = 0;
  let iter = 0;
  while (iter < s.iterations && !stopRequested) {
    points.push({ iter: iter + 1, loss: await t.step(corpus.train) });
    iter++;
    // About ten messages a second, and a chance for Stop to arrive.
    if (performance.now() - lastFlush > 100 || iter === s.iterations) {
      post({ type: 'losses', points });
      points = [];
      lastFlush = performance.now();
      await yieldToEvents();
    }
  }
  if (points.length) post({ type: 'losses', points });
  const seconds = (performance.now() - start) / 1000;
  post({
    type: 'train-end',
    stopped: iter < s.iterations,
    iterations: iter,
    valLoss: await t.meanLoss(corpus.val, 4),
    seconds,
  });
}

async function write(s: WriteSettings): Promise<void> {
  if (!trainer || !corpus) throw new Error('there is no model yet: train one first');
  let buffered = '';
  let count = 0;
  let lastFlush = performance.now();
  for await (const c of generate(trainer.model, corpus.vocab, s)) {
    buffered += c;
    count++;
    // Batched a little so a fast backend does not flood the page with one message per character.
    if (performance.now() - lastFlush > 30) {
      post({ type: 'chars', text: buffered });
      buffered = '';
      lastFlush = performance.now();
    }
  }
  if (buffered) post({ type: 'chars', text: buffered });
  post({ type: 'write-end', chars: count });
}

/** One job at a time (switching backends, loading, training, writing); the next waits its turn. */
let queue: Promise<void> = Promise.resolve();
function exclusive(during: string, job: () => Promise<void>): void {
  queue = queue.then(async () => {
    try {
      await job();
    } catch (e) {
      post({ type: 'error', during, message: explain(e) });
      if (backend?.name === 'webgpu' && /DeviceLost|GpuOutOfMemory|GpuValidation/.test((e as Error).name)) {
        await useBackend('cpu').catch(() => undefined);
      }
    }
  });
}

scope.onmessage = (ev: MessageEvent<ToTextWorker>) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'backend':
      return exclusive('switching backends', () => useBackend(msg.choice));
    case 'load-text':
      return exclusive('loading the text', () => loadText(msg.url));
    case 'train':
      return exclusive('training', () => train(msg.settings));
    case 'stop':
      stopRequested = true;
      return;
    case 'write':
      return exclusive('writing', () => write(msg.settings));
  }
};
