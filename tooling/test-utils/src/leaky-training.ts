import { noGrad } from '@tsdl/autograd';
import { type Backend, type Tensor, matmul, memory, mean, mul, relu, square, sub, tensor, tidy } from '@tsdl/tensor';
import { seededNumbers } from './random-data';

/**
 * A manual training loop that leaks every handle it makes (no tidy, no dispose), for the
 * tests of the GC safety net: memory the GC finds unreachable must come back, and nothing
 * still reachable may be freed (the leaky loop's weights must equal a tidy loop's).
 */

/** Node's `gc()` at run time, as `node --expose-gc` gives it (the flag is read when a context is made). */
export async function exposeGc(): Promise<() => void> {
  const v8 = await import('node:v8');
  const vm = await import('node:vm');
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

const turn = () => new Promise((r) => setTimeout(r, 0));

/**
 * A full collection, then turns of the event loop until FinalizationRegistry callbacks have
 * run: V8 posts them as a task after the GC (never inside synchronous code), which in Node
 * runs a turn or two later. A sentinel registered here says when they have.
 */
export async function collect(gc: () => void): Promise<void> {
  let ran = false;
  const sentinel = new FinalizationRegistry(() => {
    ran = true;
  });
  ((): void => sentinel.register({}, 0))();
  gc();
  for (let i = 0; i < 1000 && !ran; i++) await turn();
  if (!ran) throw new Error('collect: no FinalizationRegistry callback ran after gc()');
  // Registries are cleaned one task each: one more turn for the library's.
  await turn();
}

/** Sizes of the loop: x [BATCH, IN] -> relu(x w1) [BATCH, HIDDEN] -> w2 -> [BATCH, OUT]. */
const BATCH = 32;
const IN = 16;
const HIDDEN = 32;
const OUT = 4;
const LR = 0.05;

export interface Mlp {
  x: Tensor;
  y: Tensor;
  w1: Tensor;
  w2: Tensor;
}

/** Seeded data, a target from a fixed linear map, and the two weights (requiring grad). */
export function makeMlp(backend: Backend): Mlp {
  const opts = { backend };
  const x = tensor(seededNumbers(BATCH * IN, 1), [BATCH, IN], 'float32', opts);
  const target = tensor(seededNumbers(IN * OUT, 2), [IN, OUT], 'float32', opts);
  const y = tidy(() => matmul(x, target));
  target.dispose();
  const w1 = tensor(seededNumbers(IN * HIDDEN, 3, -0.3, 0.3), [IN, HIDDEN], 'float32', opts);
  const w2 = tensor(seededNumbers(HIDDEN * OUT, 4, -0.3, 0.3), [HIDDEN, OUT], 'float32', opts);
  w1.requiresGrad = true;
  w2.requiresGrad = true;
  return { x, y, w1, w2 };
}

/** The loss and its backward pass, then plain SGD on both weights; the gradients stay in .grad. */
function sgdStep({ x, y, w1, w2 }: Mlp): void {
  const loss = mean(square(sub(matmul(relu(matmul(x, w1)), w2), y)));
  loss.backward();
  noGrad(() => {
    w1.assign(sub(w1, mul(w1.grad as Tensor, LR)));
    w2.assign(sub(w2, mul(w2.grad as Tensor, LR)));
  });
}

/** One step that disposes nothing: every handle it makes, gradients included, is left for the GC. */
export function leakyStep(m: Mlp): void {
  sgdStep(m);
  m.w1.grad = null;
  m.w2.grad = null;
}

/** The same step under tidy, disposing the gradients: the reference the leaky loop must match. */
export function tidyStep(m: Mlp): void {
  tidy(() => sgdStep(m));
  m.w1.zeroGrad();
  m.w2.zeroGrad();
}

/** The loss of the current weights (disposed after the read). */
export async function mlpLoss({ x, y, w1, w2 }: Mlp): Promise<number> {
  const loss = tidy(() => noGrad(() => mean(square(sub(matmul(relu(matmul(x, w1)), w2), y)))));
  const v = (await loss.data())[0];
  loss.dispose();
  return v;
}

export function disposeMlp(m: Mlp): void {
  for (const t of [m.x, m.y, m.w1, m.w2]) t.dispose();
}

/** What a leaky run measured, in the backend's bytes (memory().backends[name].bytes). */
export interface LeakyRun {
  /** After the warm-up step and a collection: data and weights. */
  baseBytes: number;
  /** Bytes one step leaves allocated while nothing is collected. */
  stepBytes: number;
  /** Live handles one step leaves while nothing is collected. */
  stepHandles: number;
  /** The most bytes seen just before a collection (collectEvery steps of leaks at most). */
  peakBytes: number;
  /** The most bytes seen just after a collection. */
  settledBytes: number;
  /** After the last step and a collection: bytes and live handles over the warm-up state. */
  endBytes: number;
  endHandles: number;
  /** Growth of memory().reclaimed over the run. */
  reclaimed: number;
  /** The loss before and after training. */
  firstLoss: number;
  lastLoss: number;
}

/**
 * Runs `steps` leaky steps on `backend`, collecting garbage every `collectEvery` steps,
 * and measures the backend's memory around each collection.
 */
export async function runLeakyTraining(
  m: Mlp,
  backend: Backend,
  gc: () => void,
  steps: number,
  collectEvery: number,
): Promise<LeakyRun> {
  // memory() first: it releases what collected handles held, then the backend's count is current.
  const bytes = () => (memory(), backend.memory().bytes);
  const firstLoss = await mlpLoss(m);
  leakyStep(m); // warm-up: kernels compiled, pools filled
  await collect(gc);
  const baseBytes = bytes();
  const baseHandles = memory().numTensors;
  const reclaimed0 = memory().reclaimed;
  // Two steps: from the second on, a step also keeps the weights the previous step's
  // leaked handles still hold (assign() released only the weights' own reference).
  leakyStep(m);
  const oneBytes = bytes();
  const oneHandles = memory().numTensors;
  leakyStep(m);
  const stepBytes = bytes() - oneBytes;
  const stepHandles = memory().numTensors - oneHandles;
  let peakBytes = 0;
  let settledBytes = 0;
  for (let i = 2; i < steps; i++) {
    leakyStep(m);
    if ((i + 1) % collectEvery === 0) {
      peakBytes = Math.max(peakBytes, bytes());
      await collect(gc);
      settledBytes = Math.max(settledBytes, bytes());
    }
  }
  await collect(gc);
  const end = memory();
  return {
    baseBytes,
    stepBytes,
    stepHandles,
    peakBytes,
    settledBytes,
    endBytes: bytes() - baseBytes,
    endHandles: end.numTensors - baseHandles,
    reclaimed: end.reclaimed - reclaimed0,
    firstLoss,
    lastLoss: await mlpLoss(m),
  };
}
