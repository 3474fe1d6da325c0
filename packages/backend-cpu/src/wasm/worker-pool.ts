import { workerThreadsModule } from '#node-only';
import { BackendError } from '@tsdl/tensor';
import { elementwiseChunk, gemmChunk, JOB_GEMM } from './chunks';
import type { WasmHeap } from './heap';

/**
 * Worker threads that run parts of a wasm gemm or elementwise kernel over the
 * same shared WebAssembly.Memory (worker_threads in Node, Web Workers in browsers).
 *
 * A job is cut into P chunks (chunks.ts: ranges of micro-tiles or of elements).
 * The calling thread publishes the job in a control block in the heap (under
 * a seqlock: SEQ is odd while it writes), wakes any sleeping worker, and then
 * claims chunks itself from a shared counter, as do the workers once they
 * see the job; it finally waits for the chunks others claimed. So a worker
 * that comes late mostly costs nothing: the caller has taken its chunks. The
 * counter carries the job's generation in its high bits, so a worker that
 * copied a finished job cannot claim a chunk of the next one, and the seqlock
 * keeps it from copying half of one job and half of the next.
 *
 * Workers start asynchronously; until one reports ready, products run on the
 * calling thread alone, so nothing ever waits for a worker to boot. Workers
 * are unref'd: they never keep a Node process alive.
 */

/** Control block layout (i32 indices). */
const SEQ = 0; // job number: even once a job is published, odd while one is written; workers sleep on it
const COUNTER = 16; // (generation << 16) | next chunk: its own cache line
const FINISHED = 32; // chunks done in this job
const JOB_LEN = 48; // the job's length in ints, then the job itself
const JOB_AT = 49;
/** The longest job: an elementwise kernel over 40 operands. */
export const MAX_JOB_INTS = 7 + 2 * 40;
const SLEEPERS = 144; // workers blocked in Atomics.wait on SEQ (after the job, 48..136)
const CALLER_WAITS = 148; // 1 while the caller is blocked in Atomics.wait on FINISHED
const FAILED = 152; // 1 once a worker's chunk of this job threw (a trap): the caller throws
const READY_AT = 160; // one flag per worker, 16 ints apart
const STOP = 0x7fffffff;
/**
 * How an idle worker waits for the next job. Waking a sleeping thread
 * (Atomics.notify, a futex syscall) costs the caller tens of microseconds,
 * measured 56 µs a job on a 2-core VM: as much as the half of a product it
 * hands off. So a worker never makes the caller wake it while jobs keep
 * coming: for POLL_MS after a job it polls (a training step often issues the
 * next large kernel within that), then until SLEEP_MS it naps in timed waits
 * of NAP_MS, which yield the core and end on their own (the caller does not
 * wake nappers), and only then sleeps until notified.
 *
 * Measured on the MNIST MLP (epoch at batch 32, 2-core VM): polling for all
 * of SLEEP_MS 1.28 s idle but 3.3 s with one other busy process (the poller
 * takes the caller's core); napping throughout 1.55 s and 1.8 s; this mix
 * 1.28 s and 2.6 s; one thread 2.46 s under the same load.
 */
const POLL_MS = 0.2;
const NAP_MS = 0.05;
const SLEEP_MS = 5;
/** Iterations of Atomics.load the caller polls for the workers' chunks before it blocks. */
const SPIN = 20000;

/**
 * The worker's whole program: plain JavaScript, run as a Node eval worker or
 * a Blob-URL Web Worker. Elementwise kernels are generated at run time, so a
 * worker compiles each from its bytes, which the caller keeps in the shared
 * heap, the first time a job names it.
 */
const WORKER_SOURCE = `
'use strict';
const gemmChunk = ${gemmChunk.toString()};
const elementwiseChunk = ${elementwiseChunk.toString()};
function start(d) {
  const k = new WebAssembly.Instance(d.module, { env: { memory: d.memory } }).exports;
  const i32 = new Int32Array(d.memory.buffer);
  const c = d.control;
  const kernels = new Map();
  const kernel = (id, ptr, len) => {
    let run = kernels.get(id);
    if (run === undefined) {
      // A fresh view: the memory may have grown since start. Modules compile from unshared bytes.
      const bytes = new Uint8Array(d.memory.buffer, ptr, len).slice();
      run = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: d.memory } }).exports.run;
      kernels.set(id, run);
    }
    return run;
  };
  let seen = Atomics.load(i32, c + ${SEQ});
  Atomics.store(i32, c + ${READY_AT} + 16 * d.index, 1);
  let idleSince = performance.now();
  for (;;) {
    let spins = 0;
    while (Atomics.load(i32, c + ${SEQ}) === seen) {
      if ((++spins & 255) !== 0) continue;
      const idle = performance.now() - idleSince;
      if (idle > ${SLEEP_MS}) {
        // Announce the sleep before the wait re-checks SEQ: a caller that published a job
        // after this add sees the count and notifies; one that published before it makes
        // the wait return at once.
        Atomics.add(i32, c + ${SLEEPERS}, 1);
        Atomics.wait(i32, c + ${SEQ}, seen);
        Atomics.sub(i32, c + ${SLEEPERS}, 1);
        idleSince = performance.now();
      } else if (idle > ${POLL_MS}) {
        Atomics.wait(i32, c + ${SEQ}, seen, ${NAP_MS});
      }
    }
    const s = Atomics.load(i32, c + ${SEQ});
    if (s === ${STOP}) return;
    // SEQ is odd while the caller writes a job (a seqlock): wait for it to be published, and
    // take a copy only if SEQ did not move while copying. A worker that woke late could
    // otherwise copy half of the next job, claim a chunk of it under the old generation
    // and count that chunk as finished in the next job.
    if (s & 1) continue;
    const job = i32.slice(c + ${JOB_AT}, c + ${JOB_AT} + Math.min(i32[c + ${JOB_LEN}], ${MAX_JOB_INTS}));
    if (Atomics.load(i32, c + ${SEQ}) !== s) continue;
    seen = s;
    const gen = (s >>> 1) & 0x7fff;
    const P = job[1];
    for (;;) {
      const v = Atomics.load(i32, c + ${COUNTER});
      if ((v >>> 16) !== gen || (v & 0xffff) >= P) break;
      if (Atomics.compareExchange(i32, c + ${COUNTER}, v, v + 1) !== v) continue;
      // A chunk that throws still counts as finished (else the caller would wait forever);
      // FAILED makes the caller throw instead of returning a wrong result.
      try {
        if (job[0] === ${JOB_GEMM}) {
          const a = gemmChunk(job, v & 0xffff);
          if (a) k.gemm(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], d.aPack, d.bPack, d.tile);
        } else {
          const a = elementwiseChunk(job, v & 0xffff);
          if (a) kernel(job[2], job[3], job[4])(...a);
        }
      } catch {
        Atomics.store(i32, c + ${FAILED}, 1);
      }
      Atomics.add(i32, c + ${FINISHED}, 1);
      if (Atomics.load(i32, c + ${CALLER_WAITS}) !== 0) Atomics.notify(i32, c + ${FINISHED});
    }
    idleSince = performance.now();
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
type AnyWorker = { postMessage(v: unknown): void; terminate(): unknown };

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
  const os = nodeProcess()?.getBuiltinModule?.('node:os') as
    | { availableParallelism?: () => number; cpus(): unknown[] }
    | undefined;
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
  private readonly handles: AnyWorker[] = [];
  /** Whether this thread may block in Atomics.wait (not a browser's main thread). */
  private readonly canBlock: boolean;
  private seq = 0;
  /** Chunks that workers (not the caller) ran so far. */
  workerChunks = 0;
  /** Whether the calling thread claims chunks too; tests turn it off to send every chunk through the workers. */
  callerHelps = true;

  private constructor(
    heap: WasmHeap,
    private readonly control: number,
    readonly size: number,
  ) {
    this.i32 = new Int32Array(heap.buffer());
    const browserMain = typeof (globalThis as { document?: unknown }).document !== 'undefined';
    this.canBlock = nodeProcess()?.versions?.node !== undefined || !browserMain;
  }

  /**
   * Starts `count` workers on `module` over the heap's memory; null (with a
   * one-time warning) where shared memory or workers are unavailable.
   */
  static start(
    heap: WasmHeap,
    module: WebAssembly.Module,
    count: number,
    scratch: () => WorkerScratch,
  ): WorkerPool | null {
    if (count < 1) return null;
    if (!heap.shared) {
      warnSingleThreaded('SharedArrayBuffer is unavailable (a page needs cross-origin isolation for it)');
      return null;
    }
    const spawn = spawner();
    if (spawn === null) {
      warnSingleThreaded('no worker threads in this environment');
      return null;
    }
    const ints = READY_AT + 16 * count;
    const controlBytes = heap.malloc(ints * 4);
    new Int32Array(heap.buffer(), controlBytes, ints).fill(0);
    const pool = new WorkerPool(heap, controlBytes >> 2, count);
    for (let w = 0; w < count; w++) {
      const s = scratch();
      spawn((worker) => {
        pool.handles.push(worker);
        worker.postMessage({ memory: heap.memory, module, control: pool.control, index: w, ...s });
      });
    }
    return pool;
  }

  /** Workers that have started. */
  ready(): number {
    let n = 0;
    for (let w = 0; w < this.size; w++) if (Atomics.load(this.i32, this.control + READY_AT + 16 * w) === 1) n++;
    return n;
  }

  /** Resolves once every worker is ready (polls; for tests and benchmarks). */
  async whenReady(timeoutMs = 10000): Promise<boolean> {
    const t0 = Date.now();
    while (this.ready() < this.size) {
      if (Date.now() - t0 > timeoutMs) return false;
      await new Promise((r) => setTimeout(r, 5));
    }
    return true;
  }

  /**
   * Runs a job laid out as chunks.ts says, its chunks shared between the
   * workers and this thread; `local(i)` runs chunk i here. Returns when all
   * P chunks are done.
   */
  run(job: readonly number[], local: (chunk: number) => void): void {
    const i32 = this.i32;
    const c = this.control;
    const P = job[1];
    if (job.length > MAX_JOB_INTS)
      throw new RangeError(`worker pool: a job of ${job.length} ints is longer than ${MAX_JOB_INTS}`);
    // Odd while writing, the next even number once published (see the worker's copy).
    Atomics.store(i32, c + SEQ, this.seq + 1);
    this.seq = (this.seq + 2) & 0x3ffffffe;
    const gen = (this.seq >>> 1) & 0x7fff;
    i32[c + JOB_LEN] = job.length;
    for (let j = 0; j < job.length; j++) i32[c + JOB_AT + j] = job[j];
    Atomics.store(i32, c + FINISHED, 0);
    Atomics.store(i32, c + FAILED, 0);
    Atomics.store(i32, c + COUNTER, gen << 16);
    Atomics.store(i32, c + SEQ, this.seq);
    // Only a sleeping worker needs the (costly) wake-up; polling ones see SEQ change.
    if (Atomics.load(i32, c + SLEEPERS) > 0) Atomics.notify(i32, c + SEQ);
    let mine = 0;
    // A chunk of ours that throws is remembered, and the rest are claimed but not run, so
    // that the job is finished, and no worker is still writing, when the error is rethrown.
    let failure: { error: unknown } | null = null;
    while (this.callerHelps) {
      const i = Atomics.add(i32, c + COUNTER, 1) & 0xffff;
      if (i >= P) break;
      if (failure === null) {
        try {
          local(i);
        } catch (error) {
          failure = { error };
        }
      }
      mine++;
      Atomics.add(i32, c + FINISHED, 1);
    }
    let spins = 0;
    for (;;) {
      const done = Atomics.load(i32, c + FINISHED);
      if (done >= P) break;
      if (this.canBlock && ++spins > SPIN) {
        // Workers notify only while this flag is up; the 1 ms timeout covers a notify
        // that raced with raising it.
        Atomics.store(i32, c + CALLER_WAITS, 1);
        Atomics.wait(i32, c + FINISHED, done, 1);
        Atomics.store(i32, c + CALLER_WAITS, 0);
        spins = 0;
      }
    }
    this.workerChunks += P - mine;
    if (failure !== null) throw failure.error;
    if (Atomics.load(i32, c + FAILED) !== 0) {
      throw new BackendError(
        `cpu backend: a worker thread failed running part of a ${job[0] === JOB_GEMM ? 'matrix product' : 'elementwise kernel'} (a WebAssembly trap)`,
      );
    }
  }

  /** Stops the workers (they are unref'd, so a process may also just exit). */
  stop(): void {
    Atomics.store(this.i32, this.control + SEQ, STOP);
    Atomics.notify(this.i32, this.control + SEQ);
    for (const h of this.handles) void h.terminate();
  }
}

/** A function that creates one worker (possibly later, once node:worker_threads has loaded), or null. */
function spawner(): ((then: (w: AnyWorker) => void) => void) | null {
  const proc = nodeProcess();
  if (proc?.versions?.node !== undefined) {
    const make = (wt: WorkerThreads) => {
      const w = new wt.Worker(WORKER_SOURCE, { eval: true });
      w.unref();
      return w;
    };
    const sync = proc.getBuiltinModule?.('node:worker_threads') as WorkerThreads | undefined;
    if (sync) return (then) => then(make(sync));
    // Node before 20.16: load worker_threads asynchronously; products stay single-threaded until then.
    const pending = workerThreadsModule() as Promise<WorkerThreads>;
    return (then) => void pending.then((wt) => then(make(wt)));
  }
  const W = (globalThis as { Worker?: new (url: string) => AnyWorker }).Worker;
  if (typeof W !== 'function' || typeof Blob !== 'function' || typeof URL?.createObjectURL !== 'function') return null;
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  return (then) => then(new W(url));
}
