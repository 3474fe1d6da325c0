import { sharedMemorySupported, simdSupported, WasmHeap } from './heap';
import { type ColumnSumExports, columnSumModuleBytes } from './column-sum-module';
import { type Im2colExports, im2colModuleBytes } from './im2col-module';
import { type PoolExports, poolModuleBytes } from './pool-module';
import { type RandomExports, randomModuleBytes } from './random-module';
import { SimdElementwise } from './simd-elementwise';
import { SimdGemm } from './simd-gemm';
import { type SoftmaxExports, softmaxModuleBytes } from './softmax-module';
import { LAYER_NORM_VARIANTS, type LayerNormExports, layerNormModuleBytes } from './layer-norm-module';

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
  /** NHWC im2col / col2im kernels (operands must be heap views). */
  im2col: Im2colExports;
  /** NHWC pooling kernels and gradients (operands must be heap views, channels a multiple of 4). */
  pool: PoolExports;
  /** Uniform random floats, four at a time (operands must be heap views). */
  random: RandomExports;
  /** Column sums into float64 (operands must be heap views): a broadcast bias's gradient. */
  columnSum: ColumnSumExports;
  /** Softmax / log-softmax rows with SIMD exp (operands must be heap views). */
  softmax: SoftmaxExports;
  /** Layer norm rows of a length divisible by 4, and their gradient, one module per variant (operands must be heap views). */
  layerNorm: LayerNormExports;
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
    try {
      const heap = new WasmHeap(mode);
      const instantiate = (bytes: Uint8Array<ArrayBuffer>) =>
        new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: heap.memory } }).exports;
      const im2col = instantiate(im2colModuleBytes(mode)) as unknown as Im2colExports;
      const pool = instantiate(poolModuleBytes(mode)) as unknown as PoolExports;
      const random = instantiate(randomModuleBytes(mode)) as unknown as RandomExports;
      const columnSum = instantiate(columnSumModuleBytes(mode)) as unknown as ColumnSumExports;
      const softmax = instantiate(softmaxModuleBytes(mode)) as unknown as SoftmaxExports;
      const layerNorm = Object.fromEntries(
        LAYER_NORM_VARIANTS.map((v) => [v, instantiate(layerNormModuleBytes(mode, v))]),
      ) as unknown as LayerNormExports;
      const gemm = new SimdGemm(heap);
      // One worker pool serves both: the gemm starts it, elementwise kernels borrow it.
      rt = {
        heap,
        gemm,
        elementwise: new SimdElementwise(heap, (threads) => gemm.workers(threads)),
        im2col,
        pool,
        random,
        columnSum,
        softmax,
        layerNorm,
      };
    } catch (e) {
      // A runtime that validates SIMD but cannot create the memory or compile: the JS kernels still work.
      console.warn(
        `@tsdl/backend-cpu: WebAssembly kernels unavailable (${(e as Error).message}); using the JavaScript kernels.`,
      );
      return null;
    }
    runtimes.set(mode, rt);
  }
  return rt;
}
