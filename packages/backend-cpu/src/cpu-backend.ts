import type { Backend, DType, TypedArray } from '@tsdl/tensor';
import type {
  BackendMemory,
  Conv2dParams,
  DataId,
  ElementwiseSpec,
  Pool2dParams,
  ReduceOp,
  View,
} from '@tsdl/tensor/backend';
import { BYTES_PER_ELEMENT, randomNormal, randomUniform } from '@tsdl/tensor/backend';
import { Accounting, type Alloc, arr, jsAlloc } from './data';
import { conv2d, conv2dGradFilter, conv2dGradInput } from './kernels/conv';
import { elementwise } from './kernels/elementwise';
import { type GemmContext, jsGemmContext } from './kernels/gemm';
import { type LayerNormAccel, layerNorm, layerNormGrad } from './kernels/layer-norm';
import { matmul } from './kernels/matmul';
import { concat, gather, pad, scatterAdd } from './kernels/movement';
import { type PoolAccel, pool2d, pool2dGrad } from './kernels/pool';
import { type ColumnSumAccel, reduce } from './kernels/reduce';
import { type SoftmaxRowsAccel, softmax } from './kernels/softmax';
import { softmaxCrossEntropy, softmaxCrossEntropyGrad } from './kernels/softmax-ce';
import { type WasmRuntime, wasmRuntime } from './wasm/runtime';
import { poolImages } from './wasm/pool-images';
import { softmaxRows } from './wasm/softmax-rows';
import { layerNormRows } from './wasm/layer-norm-rows';
import { hardwareThreads } from './wasm/worker-pool';

export interface CpuBackendOptions {
  /** The name the backend registers under (default 'cpu'); give a second instance another name. */
  name?: string;
  /**
   * Use the WebAssembly SIMD kernels (default: when the runtime supports
   * them). `false` selects the plain-JavaScript kernels, the reference
   * implementation and the fallback where wasm SIMD is missing.
   */
  simd?: boolean;
  /**
   * Keep tensor storage inside a shared WebAssembly.Memory so SIMD kernels
   * read it in place (default: when SharedArrayBuffer exists). `false` keeps
   * storage in ordinary arrays and copies matmul operands into wasm memory:
   * what a page without cross-origin isolation gets.
   */
  sharedMemory?: boolean;
  /**
   * Threads for large products (matmul, convolution): this one plus worker
   * threads sharing the wasm memory. Default: the machine's hardware threads;
   * 1 keeps everything on the calling thread. Needs shared memory: without
   * SharedArrayBuffer the backend says so once and runs single-threaded.
   */
  threads?: number;
}

/**
 * The Backend contract on TypedArrays. Matmul and convolution run as
 * WebAssembly SIMD kernels where available, with storage inside the wasm
 * memory so they read tensors in place; everything else (and everything with
 * `simd: false`) is generated or hand-written JavaScript over the same arrays.
 */
export class CpuBackend implements Backend {
  readonly name: string;
  /** Whether the SIMD kernels are in use. */
  readonly simd: boolean;
  private readonly acct = new Accounting();
  private readonly wasm: WasmRuntime | null;
  private readonly alloc: Alloc;
  /** Unfilled output storage for the SIMD elementwise kernels (one closure, not one per op). */
  private readonly allocOutput = (dtype: 'float32' | 'bool', n: number): TypedArray => this.alloc(dtype, n, false);
  private readonly gemmCtx: GemmContext;
  private readonly poolAccel: PoolAccel | undefined;
  private readonly columnSum: ColumnSumAccel | undefined;
  private readonly softmaxRows: SoftmaxRowsAccel | undefined;
  private readonly layerNormRows: LayerNormAccel | undefined;
  /** Threads this backend's products may use. */
  readonly threads: number;

  constructor(options: CpuBackendOptions = {}) {
    this.name = options.name ?? 'cpu';
    this.wasm = options.simd === false ? null : wasmRuntime(options.sharedMemory);
    this.simd = this.wasm !== null;
    const heap = this.wasm?.heap;
    this.alloc = heap ? (dtype, n, zero) => heap.alloc(dtype, n, zero) : jsAlloc;
    this.threads = Math.max(1, Math.floor(options.threads ?? hardwareThreads()));
    this.poolAccel = this.wasm ? wasmPool(this.wasm, this.threads) : undefined;
    this.columnSum = this.wasm ? wasmColumnSum(this.wasm) : undefined;
    this.softmaxRows = this.wasm ? softmaxRows(this.wasm, this.threads) : undefined;
    this.layerNormRows = this.wasm ? layerNormRows(this.wasm, this.threads) : undefined;
    const rt = this.wasm;
    this.gemmCtx =
      rt === null
        ? jsGemmContext
        : {
            alloc: this.alloc,
            release: (a) => rt.heap.free(a),
            gemm: (A, aOff, ars, acs, B, bOff, brs, bcs, C, cOff, M, K, N, accumulate) =>
              rt.gemm.gemm(
                { data: A, rs: ars, cs: acs },
                { data: B, rs: brs, cs: bcs },
                C,
                cOff,
                M,
                K,
                N,
                [aOff],
                [bOff],
                accumulate,
                this.threads,
              ),
            im2col: (x, n0, count, p, cols) => onImages(rt, rt.im2col.im2col, x, n0, count, p, cols),
            im2colTaps: (x, n0, count, p, cols) => onImages(rt, rt.im2col.im2colTaps, x, n0, count, p, cols),
            col2im: (cols, n0, count, p, dx) => onImages(rt, rt.im2col.col2im, dx, n0, count, p, cols),
          };
  }

  /**
   * Resolves once the worker threads have started (true), or at once with
   * false when this backend runs on one thread. Kernels never wait for
   * workers; this is for benchmarks and tests that want the threaded path.
   */
  async whenThreadsReady(): Promise<boolean> {
    if (this.wasm === null || this.threads <= 1) return false;
    const pool = this.wasm.gemm.workers(this.threads);
    return pool !== null && (await pool.whenReady());
  }

  write(values: TypedArray, dtype: DType): DataId {
    const a = this.alloc(dtype, values.length, false);
    a.set(values);
    return this.acct.wrap(a);
  }

  async read(data: DataId): Promise<TypedArray> {
    return arr(data).slice();
  }

  readSync(data: DataId): TypedArray {
    return arr(data).slice();
  }

  free(data: DataId): void {
    this.acct.free(data);
    this.wasm?.heap.free(arr(data));
  }

  memory(): BackendMemory {
    return { buffers: this.acct.buffers, bytes: this.acct.bytes };
  }

  /**
   * One storage's limit: what the shared WebAssembly memory can ever hold in one block (at
   * most 4 GiB, wasm32's address space), or a JavaScript typed array's (2^32 bytes in V8)
   * where storage is kept in ordinary arrays.
   */
  maxElements(dtype: DType): number {
    const heap = this.wasm?.heap;
    const bytes = heap?.shared ? heap.maxRequestBytes() : 2 ** 32;
    return Math.floor(bytes / BYTES_PER_ELEMENT[dtype]);
  }

  elementwise(spec: ElementwiseSpec): DataId[] {
    const outs = this.wasm?.elementwise.run(spec, this.allocOutput, this.threads) ?? elementwise(spec, this.alloc);
    const ids: DataId[] = new Array(outs.length);
    for (let k = 0; k < outs.length; k++) ids[k] = this.acct.wrap(outs[k]);
    return ids;
  }

  reduce(op: ReduceOp, x: View, axes: number, outDtype: DType): DataId {
    return this.acct.wrap(reduce(op, x, axes, outDtype, this.alloc, this.columnSum));
  }

  concat(xs: readonly View[], axis: number, outShape: readonly number[]): DataId {
    return this.acct.wrap(concat(xs, axis, outShape, this.alloc));
  }

  pad(x: View, pads: readonly (readonly [number, number])[], value: number): DataId {
    return this.acct.wrap(pad(x, pads, value, this.alloc));
  }

  gather(x: View, indices: View, axis: number): DataId {
    return this.acct.wrap(gather(x, indices, axis, this.alloc));
  }

  scatterAdd(updates: View, indices: View, axis: number, outShape: readonly number[]): DataId {
    return this.acct.wrap(scatterAdd(updates, indices, axis, outShape, this.alloc));
  }

  matmul(a: View, b: View): DataId {
    return this.acct.wrap(matmul(a, b, this.alloc, this.wasm?.gemm ?? null, this.threads));
  }

  conv2d(x: View, w: View, p: Conv2dParams): DataId {
    return this.acct.wrap(conv2d(x, w, p, this.gemmCtx));
  }

  conv2dGradInput(dy: View, w: View, p: Conv2dParams): DataId {
    return this.acct.wrap(conv2dGradInput(dy, w, p, this.gemmCtx));
  }

  conv2dGradFilter(x: View, dy: View, p: Conv2dParams): DataId {
    return this.acct.wrap(conv2dGradFilter(x, dy, p, this.gemmCtx));
  }

  pool2d(x: View, p: Pool2dParams): DataId {
    return this.acct.wrap(pool2d(x, p, this.alloc, this.poolAccel));
  }

  pool2dGrad(x: View, dy: View, p: Pool2dParams): DataId {
    return this.acct.wrap(pool2dGrad(x, dy, p, this.alloc, this.poolAccel));
  }

  softmax(x: View, log: boolean): DataId {
    return this.acct.wrap(softmax(x, log, this.alloc, this.softmaxRows));
  }

  softmaxCrossEntropy(logits: View, labels: View, sparse: boolean): DataId {
    return this.acct.wrap(softmaxCrossEntropy(logits, labels, sparse, this.alloc, this.softmaxRows));
  }

  softmaxCrossEntropyGrad(logits: View, labels: View, dy: View, sparse: boolean): DataId {
    return this.acct.wrap(softmaxCrossEntropyGrad(logits, labels, dy, sparse, this.alloc, this.softmaxRows));
  }

  layerNorm(x: View, gamma: View | null, beta: View | null, epsilon: number): DataId {
    return this.acct.wrap(layerNorm(x, gamma, beta, epsilon, this.alloc, this.layerNormRows));
  }

  layerNormGrad(x: View, gamma: View | null, dy: View, epsilon: number): DataId[] {
    return layerNormGrad(x, gamma, dy, epsilon, this.alloc, this.layerNormRows).map((a) => this.acct.wrap(a));
  }

  random(dist: 'uniform' | 'normal', size: number, key: number): DataId {
    const out = this.alloc('float32', size, false) as Float32Array;
    let from = 0;
    if (dist === 'uniform' && this.wasm?.heap.contains(out)) {
      this.wasm.random.uniform(out.byteOffset, size, key);
      from = size - (size % 4);
    }
    const f = dist === 'uniform' ? randomUniform : randomNormal;
    for (let i = from; i < size; i++) out[i] = f(key, i);
    return this.acct.wrap(out);
  }
}

/**
 * The wasm pooling kernels where the channels are a multiple of 4 and every array is in the
 * heap; large batches run as ranges of images on the worker pool too (pool-images.ts).
 */
function wasmPool(rt: WasmRuntime, threads: number): PoolAccel {
  const run = poolImages(rt, threads);
  return (kind, p, x, dy, out) => {
    const arrays = [x, dy, out].filter((a): a is Float32Array => a !== null);
    if (p.channels % 4 !== 0 || !arrays.every((a) => rt.heap.contains(a))) return false;
    const inImage = 4 * p.inH * p.inW * p.channels;
    const outImage = 4 * p.outH * p.outW * p.channels;
    if (kind === 'forward') {
      run(
        p.kind === 'max' ? 'maxPool' : 'avgPool',
        p,
        [(x as Float32Array).byteOffset, out.byteOffset],
        [inImage, outImage],
      );
      return true;
    }
    // Windows that do not overlap (2×2 stride 2): each cell's gradient is stored, not scattered lane by
    // lane, and where they also cover the input exactly no cell needs zeroing first.
    const tiled = p.kind === 'max' && p.strideH >= p.kH && p.strideW >= p.kW;
    const covered =
      tiled &&
      p.strideH === p.kH &&
      p.strideW === p.kW &&
      p.padTop === 0 &&
      p.padLeft === 0 &&
      p.outH * p.kH === p.inH &&
      p.outW * p.kW === p.inW;
    if (!covered) out.fill(0);
    if (p.kind === 'max')
      run(
        tiled ? 'maxPoolGradTiled' : 'maxPoolGrad',
        p,
        [(x as Float32Array).byteOffset, (dy as Float32Array).byteOffset, out.byteOffset],
        [inImage, outImage, inImage],
      );
    else run('avgPoolGrad', p, [out.byteOffset, (dy as Float32Array).byteOffset], [inImage, outImage]);
    return true;
  };
}

/**
 * The wasm column sum (float32 data in a shared heap, an even column count), accumulating into
 * float64 scratch kept in the heap for the backend's life and grown as needed.
 */
function wasmColumnSum(rt: WasmRuntime): ColumnSumAccel {
  let ptr = 0;
  let acc: Float64Array<ArrayBufferLike> = new Float64Array(0);
  return (a, offset, rows, cols, out) => {
    if (!rt.heap.shared || !(a instanceof Float32Array) || cols % 2 !== 0 || !rt.heap.contains(a)) return false;
    if (cols > acc.length) {
      if (acc.length > 0) rt.heap.release(ptr, acc.length * 8);
      const n = Math.max(64, cols);
      ptr = rt.heap.malloc(n * 8);
      // A shared memory's views stay valid when it grows: one view per block.
      acc = new Float64Array(rt.heap.buffer(), ptr, n);
    }
    acc.fill(0, 0, cols);
    rt.columnSum.columnSum(a.byteOffset + offset * 4, ptr, rows, cols);
    for (let o = 0; o < cols; o++) out[o] = acc[o];
    return true;
  };
}

/**
 * Runs one of the wasm im2col module's functions over images [n0, n0 + count) of `images` and
 * the columns `cols`; false (nothing run) when either is not a view into the wasm heap.
 */
function onImages(
  rt: WasmRuntime,
  run: (images: number, cols: number, count: number, ...geometry: number[]) => void,
  images: Float32Array,
  n0: number,
  count: number,
  p: Conv2dParams,
  cols: Float32Array,
): boolean {
  if (!rt.heap.contains(images) || !rt.heap.contains(cols)) return false;
  run(images.byteOffset + n0 * p.inH * p.inW * p.inC * 4, cols.byteOffset, count, ...convGeometry(p));
  return true;
}

/** The geometry arguments of the wasm im2col / col2im, in their order. */
function convGeometry(p: Conv2dParams): number[] {
  return [
    p.inH,
    p.inW,
    p.inC,
    p.outH,
    p.outW,
    p.kH,
    p.kW,
    p.strideH,
    p.strideW,
    p.dilationH,
    p.dilationW,
    p.padTop,
    p.padLeft,
  ];
}

/** A new CPU backend: `setBackend(cpu())`. */
export function cpu(options: CpuBackendOptions = {}): CpuBackend {
  return new CpuBackend(options);
}
