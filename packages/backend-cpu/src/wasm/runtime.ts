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
    rt = { heap, gemm: new SimdGemm(heap), elementwise: new SimdElementwise(heap) };
    runtimes.set(mode, rt);
  }
  return rt;
}
