import type { SoftmaxRowsAccel } from '../kernels/softmax';
import { JOB_ELEMENTWISE, elementwiseChunk } from './chunks';
import type { WasmRuntime } from './runtime';
import { softmaxModuleBytes } from './softmax-module';

/** Below this many elements a softmax runs on the calling thread (as the elementwise kernels). */
const PARALLEL_MIN_ELEMENTS = 1 << 15;
/** Elements per chunk, about: a chunk is whole rows, 16 at a time. */
const CHUNK_ELEMENTS = 8192;
/**
 * The workers cache compiled kernels by id, and the elementwise kernels number theirs from 0:
 * the softmax module takes an id far above any count of theirs.
 */
const KERNEL_ID = 1 << 30;

interface RuntimeState {
  /** cols and log: calls run to completion, so one block serves them all. */
  params: number;
  /** The module's bytes in the heap, for the workers, once a threaded call needs them. */
  bytes: { at: number; length: number } | null;
}
// One per runtime, shared by its backend instances (a backend made per test must not take heap room for good).
const states = new WeakMap<WasmRuntime, RuntimeState>();
function runtimeState(rt: WasmRuntime): RuntimeState {
  let st = states.get(rt);
  if (st === undefined) states.set(rt, (st = { params: rt.heap.malloc(8), bytes: null }));
  return st;
}

/**
 * The wasm SIMD softmax rows (softmax-module.ts) for the CPU backend: on the calling thread,
 * or, for 32k elements or more with `threads` > 1, as ranges of rows shared with the worker
 * pool, through the elementwise kernels' job layout (the module has their `run` signature;
 * workers compile it from its bytes, kept in the heap, the first time a job names it).
 */
export function softmaxRows(rt: WasmRuntime, threads: number): SoftmaxRowsAccel {
  const st = runtimeState(rt);
  const params = st.params;
  const run = (x: Float32Array, out: Float32Array, rows: number, cols: number, log: boolean): boolean => {
    if (!rt.heap.contains(x) || !rt.heap.contains(out)) return false;
    const p = new Int32Array(rt.heap.buffer(), params, 2);
    p[0] = cols;
    p[1] = log ? 1 : 0;
    const pool = threads > 1 && rows * cols >= PARALLEL_MIN_ELEMENTS ? rt.gemm.workers(threads) : null;
    const helpers = pool === null ? 0 : Math.min(threads - 1, pool.ready());
    if (pool === null || helpers === 0) {
      rt.softmax.run(1, rows, params, x.byteOffset, out.byteOffset);
      return true;
    }
    if (st.bytes === null) {
      const b = softmaxModuleBytes(rt.heap.shared);
      const at = rt.heap.malloc(b.length);
      new Uint8Array(rt.heap.buffer(), at, b.length).set(b);
      st.bytes = { at, length: b.length };
    }
    const bytes = st.bytes;
    const P = Math.min(Math.ceil((rows * cols) / CHUNK_ELEMENTS), 4 * (helpers + 1));
    const job = [JOB_ELEMENTWISE, P, KERNEL_ID, bytes.at, bytes.length, rows, params];
    job.push(x.byteOffset, 4 * cols, out.byteOffset, 4 * cols);
    pool.run(job, (i) => {
      const a = elementwiseChunk(job, i);
      if (a) rt.softmax.run(a[0], a[1], a[2], a[3], a[4]);
    });
    return true;
  };
  return {
    run,
    accepts: (x) => rt.heap.contains(x),
    scratch: (n) => rt.heap.alloc('float32', n, false) as Float32Array,
    release: (a) => rt.heap.free(a),
  };
}
