import type { WasmHeap } from './heap';

/**
 * Worker threads that run the wasm gemm on parts of a product, over the same
 * shared WebAssembly.Memory (worker_threads in Node, Web Workers in browsers).
 *
 * Each worker owns a control slot in the heap: [seq, done, state, 15 gemm
 * arguments]. The caller writes the arguments, bumps seq and notifies; the
 * worker runs `gemm(...)`, stores seq into done and notifies back. Both sides
 * spin briefly before sleeping in Atomics.wait, because futex wake-ups cost
 * tens of microseconds and the products worth splitting take only hundreds.
 * Workers start asynchronously; until one reports ready (state 1) kernels run
 * on the calling thread alone, so nothing ever waits for a worker to boot.
 * Workers are unref'd: they never keep a Node process alive.
 */

const SLOT_INTS = 32; // 128 bytes per slot: the slots of two workers never share a cache line
const ARGS = 15;
const STATE_READY = 1;
const STATE_STOP = 2;
/** Iterations of Atomics.load before sleeping: some tens of microseconds. */
const SPIN = 20000;

/** The worker's whole program: plain JavaScript, run as a Node eval worker or a Blob-URL Web Worker. */
const WORKER_SOURCE = `
'use strict';
function start(d) {
  const k = new WebAssembly.Instance(d.module, { env: { memory: d.memory } }).exports;
  const i32 = new Int32Array(d.memory.buffer);
  const base = d.base;
  const p = new Array(${ARGS});
  let seen = Atomics.load(i32, base);
  Atomics.store(i32, base + 2, ${STATE_READY});
  for (;;) {
    let spins = 0;
    while (Atomics.load(i32, base) === seen) {
      if (++spins > ${SPIN}) { Atomics.wait(i32, base, seen); spins = 0; }
    }
    seen = Atomics.load(i32, base);
    if (Atomics.load(i32, base + 2) === ${STATE_STOP}) return;
    for (let j = 0; j < ${ARGS}; j++) p[j] = i32[base + 3 + j];
    k.gemm(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14]);
    Atomics.store(i32, base + 1, seen);
    Atomics.notify(i32, base + 1);
  }
}
if (typeof require === 'function') require('node:worker_threads').parentPort.once('message', start);
else self.onmessage = (e) => start(e.data);
`;

interface NodeWorker {
  postMessage(v: unknown): void;
  unref(): void;
  terminate(): Promise<number>;
}
interface WorkerThreads {
  Worker: new (src: string, opts: { eval: boolean }) => NodeWorker;
}

/** Per-worker scratch: addresses of its packed blocks and edge tile. */
export interface WorkerScratch {
  aPack: number;
  bPack: number;
  tile: number;
}

function nodeProcess(): { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } | undefined {
  const p = (globalThis as { process?: unknown }).process;
  return typeof p === 'object' && p !== null ? (p as ReturnType<typeof nodeProcess>) : undefined;
}

/** Hardware threads of this machine (Node: os.availableParallelism; browsers: navigator.hardwareConcurrency). */
export function hardwareThreads(): number {
  const os = nodeProcess()?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus(): unknown[] } | undefined;
  if (os) return os.availableParallelism?.() ?? os.cpus().length;
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? 1;
}

let warned = false;
/** Says once per process why kernels run on one thread. */
export function warnSingleThreaded(reason: string): void {
  if (warned) return;
  warned = true;
  console.warn(`@tsdl/backend-cpu: ${reason}; running single-threaded.`);
}

export class WorkerPool {
  private readonly i32: Int32Array;
  private readonly bases: number[] = [];
  private readonly seqs: number[] = [];
  private readonly handles: { terminate(): unknown }[] = [];
  /** Whether this thread may block in Atomics.wait (not a browser's main thread). */
  private readonly canBlock: boolean;
  /** Products handed to workers so far (tests check the pool really ran). */
  jobs = 0;

  private constructor(
    heap: WasmHeap,
    readonly scratch: readonly WorkerScratch[],
    control: number,
  ) {
    this.i32 = new Int32Array(heap.buffer());
    for (let w = 0; w < scratch.length; w++) {
      this.bases.push((control >> 2) + w * SLOT_INTS);
      this.seqs.push(0);
    }
    this.canBlock = nodeProcess()?.versions?.node !== undefined || typeof (globalThis as { document?: unknown }).document === 'undefined';
  }

  /**
   * Starts `count` workers on `module` over the heap's memory; null (with a
   * one-time warning) where shared memory or workers are unavailable.
   */
  static start(heap: WasmHeap, module: WebAssembly.Module, count: number, scratch: () => WorkerScratch): WorkerPool | null {
    if (count < 1) return null;
    if (!heap.shared) {
      warnSingleThreaded('SharedArrayBuffer is unavailable (a page needs cross-origin isolation for it)');
      return null;
    }
    const control = heap.malloc(count * SLOT_INTS * 4);
    new Int32Array(heap.buffer(), control, count * SLOT_INTS).fill(0);
    const pool = new WorkerPool(
      heap,
      Array.from({ length: count }, () => scratch()),
      control,
    );
    const spawn = pool.spawner();
    if (spawn === null) {
      warnSingleThreaded('no worker threads in this environment');
      return null;
    }
    for (let w = 0; w < count; w++) {
      spawn((worker) => {
        pool.handles.push(worker);
        worker.postMessage({ memory: heap.memory, module, base: pool.bases[w] });
      });
    }
    return pool;
  }

  /** A function that creates one worker (possibly later, once node:worker_threads has loaded), or null. */
  private spawner(): ((then: (w: { postMessage(v: unknown): void; terminate(): unknown }) => void) => void) | null {
    const proc = nodeProcess();
    if (proc?.versions?.node !== undefined) {
      const make = (wt: WorkerThreads) => {
        const w = new wt.Worker(WORKER_SOURCE, { eval: true });
        w.unref();
        return w;
      };
      const sync = proc.getBuiltinModule?.('node:worker_threads') as WorkerThreads | undefined;
      if (sync) return (then) => then(make(sync));
      // Node before 20.16: load worker_threads asynchronously; kernels stay single-threaded until then.
      const id = 'node:worker_threads'; // a variable, so browser bundlers do not try to resolve it
      const pending = import(id) as Promise<WorkerThreads>;
      return (then) => void pending.then((wt) => then(make(wt)));
    }
    const W = (globalThis as { Worker?: new (url: string) => { postMessage(v: unknown): void; terminate(): unknown } }).Worker;
    if (typeof W !== 'function' || typeof Blob !== 'function' || typeof URL?.createObjectURL !== 'function') return null;
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    return (then) => then(new W(url));
  }

  /** Indices of workers that have started and are idle-ready. */
  readyWorkers(): number[] {
    const out: number[] = [];
    for (let w = 0; w < this.bases.length; w++) if (Atomics.load(this.i32, this.bases[w] + 2) === STATE_READY) out.push(w);
    return out;
  }

  /** Resolves once every worker is ready (polls; for tests and benchmarks). */
  async whenReady(timeoutMs = 10000): Promise<boolean> {
    const t0 = Date.now();
    while (this.readyWorkers().length < this.bases.length) {
      if (Date.now() - t0 > timeoutMs) return false;
      await new Promise((r) => setTimeout(r, 5));
    }
    return true;
  }

  /** Hands worker `w` one gemm call (the 15 arguments of GemmExports.gemm). */
  post(w: number, args: readonly number[]): void {
    const base = this.bases[w];
    for (let j = 0; j < ARGS; j++) this.i32[base + 3 + j] = args[j];
    const seq = ++this.seqs[w];
    this.jobs++;
    Atomics.store(this.i32, base, seq);
    Atomics.notify(this.i32, base, 1);
  }

  /** Waits until worker `w` has finished its last post. */
  wait(w: number): void {
    const base = this.bases[w];
    const seq = this.seqs[w];
    let spins = 0;
    for (;;) {
      const done = Atomics.load(this.i32, base + 1);
      if (done === seq) return;
      if (this.canBlock && ++spins > SPIN) {
        Atomics.wait(this.i32, base + 1, done, 1);
        spins = 0;
      }
    }
  }

  /** Stops the workers (they are unref'd, so a process may also just exit). */
  stop(): void {
    for (let w = 0; w < this.bases.length; w++) {
      Atomics.store(this.i32, this.bases[w] + 2, STATE_STOP);
      Atomics.store(this.i32, this.bases[w], ++this.seqs[w]);
      Atomics.notify(this.i32, this.bases[w]);
    }
    for (const h of this.handles) void h.terminate();
  }
}
