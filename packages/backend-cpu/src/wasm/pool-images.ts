import type { Pool2dParams } from '@tsdl/tensor/backend';
import { JOB_ELEMENTWISE, elementwiseChunk } from './chunks';
import { type PoolKind, poolRunModuleBytes } from './pool-module';
import type { WasmRuntime } from './runtime';

/** Below this many input elements a pooling kernel runs on the calling thread. */
const PARALLEL_MIN_ELEMENTS = 1 << 15;
/** Element ranges cut at multiples of 16 (chunks.ts): here 16 images, so a smaller batch runs on one thread. */
const IMAGES_PER_CHUNK = 16;
/** Worker kernel ids: above softmax's and layer norm's (softmax-rows.ts, layer-norm-rows.ts). */
const KERNEL_ID = (1 << 30) + 64;
const KINDS: readonly PoolKind[] = ['maxPool', 'avgPool', 'avgPoolGrad', 'maxPoolGrad', 'maxPoolGradTiled'];

interface RuntimeState {
  /** The geometry block: calls run to completion, so one serves them all. */
  params: number;
  /** Each kind's run module in the heap, for the workers, once a threaded call needs it. */
  bytes: Map<PoolKind, { at: number; length: number }>;
}
// One per runtime, shared by its backend instances (a backend made per test must not take heap room for good).
const states = new WeakMap<WasmRuntime, RuntimeState>();
function runtimeState(rt: WasmRuntime): RuntimeState {
  let st = states.get(rt);
  if (st === undefined) states.set(rt, (st = { params: rt.heap.malloc(4 * 11), bytes: new Map() }));
  return st;
}

/** Runs `kind` on `addresses` (byte addresses, as pool-module.ts orders them), each `imageBytes[i]` bytes an image. */
export type PoolImages = (kind: PoolKind, p: Pool2dParams, addresses: number[], imageBytes: number[]) => void;

/**
 * The wasm pooling kernels (pool-module.ts) over a batch: on the calling thread, or, for 32k
 * input elements or more in batches of 32 images or more with `threads` > 1, as ranges of
 * images shared with the worker pool through the elementwise kernels' job layout (each kind
 * has a module with their `run` signature; workers compile it from its bytes, kept in the
 * heap, the first time a job names it). Images are independent, so ranges never write the
 * same cell.
 */
export function poolImages(rt: WasmRuntime, threads: number): PoolImages {
  const st = runtimeState(rt);
  const moduleBytes = (kind: PoolKind) => {
    let b = st.bytes.get(kind);
    if (b === undefined) {
      const code = poolRunModuleBytes(kind, rt.heap.shared);
      const at = rt.heap.malloc(code.length);
      new Uint8Array(rt.heap.buffer(), at, code.length).set(code);
      st.bytes.set(kind, (b = { at, length: code.length }));
    }
    return b;
  };
  return (kind, p, addresses, imageBytes) => {
    const geometry = [p.inH, p.inW, p.channels, p.outH, p.outW, p.kH, p.kW, p.strideH, p.strideW, p.padTop, p.padLeft];
    const local = rt.pool[kind] as (...a: number[]) => void;
    const parallel =
      threads > 1 && p.batch >= 2 * IMAGES_PER_CHUNK && p.batch * p.inH * p.inW * p.channels >= PARALLEL_MIN_ELEMENTS;
    const pool = parallel ? rt.gemm.workers(threads) : null;
    const helpers = pool === null ? 0 : Math.min(threads - 1, pool.ready());
    if (pool === null || helpers === 0) {
      local(...addresses, p.batch, ...geometry);
      return;
    }
    new Int32Array(rt.heap.buffer(), st.params, geometry.length).set(geometry);
    const b = moduleBytes(kind);
    const P = Math.min(Math.floor(p.batch / IMAGES_PER_CHUNK), 4 * (helpers + 1));
    const job = [JOB_ELEMENTWISE, P, KERNEL_ID + KINDS.indexOf(kind), b.at, b.length, p.batch, st.params];
    addresses.forEach((a, i) => job.push(a, imageBytes[i]));
    pool.run(job, (i) => {
      const a = elementwiseChunk(job, i);
      // [outer, images, params, ...addresses]: the kind takes addresses, then images, then the geometry.
      if (a) local(...a.slice(3), a[1], ...geometry);
    });
  };
}
