import type { LayerNormAccel } from '../kernels/layer-norm';
import { JOB_ELEMENTWISE, elementwiseChunk } from './chunks';
import { LAYER_NORM_VARIANTS, type LayerNormVariant, layerNormModuleBytes } from './layer-norm-module';
import type { WasmRuntime } from './runtime';

/** Below this many elements a layer norm runs on the calling thread (as the elementwise kernels). */
const PARALLEL_MIN_ELEMENTS = 1 << 15;
/** Elements per chunk, about: a chunk is whole rows, 16 at a time. */
const CHUNK_ELEMENTS = 8192;
/** Worker kernel ids above the elementwise kernels' (numbered from 0) and the softmax module's (2^30). */
const KERNEL_ID = (1 << 30) + 16;

interface RuntimeState {
  /** d, 1/d and ε (8-byte aligned): calls run to completion, so one block serves them all. */
  params: number;
  /** Each variant's module bytes in the heap, for the workers, once a threaded call needs them. */
  bytes: Map<LayerNormVariant, { at: number; length: number; id: number }>;
}
// One per runtime, shared by its backend instances (a backend made per test must not take heap room for good).
const states = new WeakMap<WasmRuntime, RuntimeState>();
function runtimeState(rt: WasmRuntime): RuntimeState {
  let st = states.get(rt);
  if (st === undefined) states.set(rt, (st = { params: (rt.heap.malloc(32) + 7) & ~7, bytes: new Map() }));
  return st;
}

/**
 * The wasm SIMD layer norm rows (layer-norm-module.ts) for the CPU backend, for rows whose
 * length d is a multiple of 4 and arrays in the heap: on the calling thread, or, for 32k
 * elements or more with `threads` > 1, as ranges of rows shared with the worker pool in the
 * elementwise kernels' job layout. The gradient's column sums go to a float64 block per
 * range of rows (at the range's first row's place in a rows × 2d block), added up here.
 */
export function layerNormRows(rt: WasmRuntime, threads: number): LayerNormAccel {
  const { params, bytes } = runtimeState(rt);
  const moduleBytes = (v: LayerNormVariant) => {
    let b = bytes.get(v);
    if (b === undefined) {
      const code = layerNormModuleBytes(rt.heap.shared, v);
      const at = rt.heap.malloc(code.length);
      new Uint8Array(rt.heap.buffer(), at, code.length).set(code);
      b = { at, length: code.length, id: KERNEL_ID + LAYER_NORM_VARIANTS.indexOf(v) };
      bytes.set(v, b);
    }
    return b;
  };
  const setParams = (d: number, eps: number) => {
    new Int32Array(rt.heap.buffer(), params, 1)[0] = d;
    const f = new Float64Array(rt.heap.buffer(), params + 8, 2);
    f[0] = 1 / d;
    f[1] = eps;
  };
  const inHeap = (...as: (Float32Array | null)[]) => as.every((a) => a === null || rt.heap.contains(a));
  const addr = (a: Float32Array | null) => (a === null ? 0 : a.byteOffset);
  /** The pool and its chunk count for a run over rows × d, or null to run on this thread. */
  const poolFor = (rows: number, d: number) => {
    const pool = threads > 1 && rows * d >= PARALLEL_MIN_ELEMENTS ? rt.gemm.workers(threads) : null;
    const helpers = pool === null ? 0 : Math.min(threads - 1, pool.ready());
    if (pool === null || helpers === 0) return null;
    return { pool, P: Math.min(Math.ceil((rows * d) / CHUNK_ELEMENTS), 4 * (helpers + 1)) };
  };
  /**
   * Runs variant v over `rows` rows: operands are (address, bytes per row) pairs, 0 bytes for
   * one shared by every row. Returns the first row of each range of rows it ran.
   */
  const run = (v: LayerNormVariant, rows: number, operands: number[], par: ReturnType<typeof poolFor>): number[] => {
    const kernel = rt.layerNorm[v].run;
    if (par === null) {
      kernel(1, rows, params, ...operands.filter((_, i) => i % 2 === 0));
      return [0];
    }
    const b = moduleBytes(v);
    const job = [JOB_ELEMENTWISE, par.P, b.id, b.at, b.length, rows, params, ...operands];
    par.pool.run(job, (i) => {
      const a = elementwiseChunk(job, i);
      if (a) kernel(a[0], a[1], a[2], ...a.slice(3));
    });
    const starts: number[] = [];
    for (let i = 0; i < par.P; i++) if (elementwiseChunk(job, i)) starts.push(firstRow(job, i));
    return starts;
  };
  return {
    forward: (x, gamma, beta, y, rows, d, eps) => {
      if (d % 4 !== 0 || !inHeap(x, gamma, beta, y)) return false;
      setParams(d, eps);
      const v = `f${gamma ? 1 : 0}${beta ? 1 : 0}` as LayerNormVariant;
      run(v, rows, [x.byteOffset, 4 * d, addr(gamma), 0, addr(beta), 0, y.byteOffset, 4 * d], poolFor(rows, d));
      return true;
    },
    backward: (x, gamma, dy, dx, dg, db, rows, d, eps) => {
      if (d % 4 !== 0 || !inHeap(x, gamma, dy, dx)) return false;
      setParams(d, eps);
      const par = poolFor(rows, d);
      const threaded = par !== null;
      // Float64 column sums, 2d per range of rows, at the range's first row (rows × 2d when threaded).
      const acc = rt.heap.alloc('float32', 4 * d * (threaded ? rows : 1), false) as Float32Array;
      try {
        if (!rt.heap.contains(acc) || acc.byteOffset % 8 !== 0) return false;
        const v = `g${gamma ? 1 : 0}` as LayerNormVariant;
        const starts = run(
          v,
          rows,
          [
            x.byteOffset,
            4 * d,
            addr(gamma),
            0,
            dy.byteOffset,
            4 * d,
            dx.byteOffset,
            4 * d,
            acc.byteOffset,
            threaded ? 16 * d : 0,
          ],
          par,
        );
        const sums = new Float64Array(acc.buffer, acc.byteOffset, acc.length / 2);
        for (let j = 0; j < d; j++) {
          let sg = 0;
          let sb = 0;
          for (const r of starts) {
            sg += sums[2 * d * r + j];
            sb += sums[2 * d * r + d + j];
          }
          dg[j] = sg;
          db[j] = sb;
        }
        return true;
      } finally {
        rt.heap.free(acc);
      }
    },
  };
}

/** The first row of chunk i of an elementwise-layout job over rows (elementwiseChunk's bound). */
function firstRow(job: readonly number[], i: number): number {
  const P = job[1];
  const total = job[5];
  return i >= P ? total : Math.min(total, Math.floor((i * total) / P / 16) * 16);
}
