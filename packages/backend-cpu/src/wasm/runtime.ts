import type { GemmContext } from '../kernels/gemm';
import { sharedMemorySupported, simdSupported, WasmHeap } from './heap';
import { SimdElementwise } from './simd-elementwise';
import { SimdGemm } from './simd-gemm';

/**
 * The process-wide wasm state: one heap (one WebAssembly.Memory) and the
 * compiled kernels bound to it. Backend instances share it, so a second
 * backend costs no second memory or compilation; the kernels run
 * synchronously on the calling thread, so sharing their scratch is safe.
 */
export interface WasmRuntime {
  heap: WasmHeap;
  gemm: SimdGemm;
  elementwise: SimdElementwise;
  /** Heap allocation and the SIMD gemm, for kernels built on products (convolution). */
  ctx: GemmContext;
}

const runtimes = new Map<boolean, WasmRuntime>();

/**
 * The runtime, created on first use; null where WebAssembly SIMD is
 * unavailable. Storage lives in the wasm memory only when it is shared
 * (`shared` defaults to whether SharedArrayBuffer exists); otherwise kernels
 * copy operands in and results out.
 */
export function wasmRuntime(shared?: boolean): WasmRuntime | null {
  if (!simdSupported()) return null;
  const mode = (shared ?? true) && sharedMemorySupported();
  let rt = runtimes.get(mode);
  if (rt === undefined) {
    const heap = new WasmHeap(mode);
    const gemm = new SimdGemm(heap);
    const ctx: GemmContext = {
      alloc: (dtype, n, zero) => heap.alloc(dtype, n, zero),
      release: (a) => heap.free(a),
      gemm: (A, aOff, ars, acs, B, bOff, brs, bcs, C, cOff, M, K, N, accumulate) =>
        gemm.gemm({ data: A, rs: ars, cs: acs }, { data: B, rs: brs, cs: bcs }, C, cOff, M, K, N, [aOff], [bOff], accumulate),
    };
    rt = { heap, gemm, ctx, elementwise: new SimdElementwise(heap) };
    runtimes.set(mode, rt);
  }
  return rt;
}
