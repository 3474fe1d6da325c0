import type { TypedArray } from '@tsdl/tensor';
import { gemmChunk, JOB_GEMM } from './chunks';
import {
  FUSED_SHAPE,
  type GemmExports,
  type GemmShape,
  gemmModuleBytes,
  MUL_ADD_SHAPE,
  scratchBytes,
} from './gemm-module';
import type { WasmHeap } from './heap';
import { relaxedMaddSupported } from './relaxed-simd';
import { hardwareThreads, WorkerPool } from './worker-pool';

/** Products smaller than this many multiply-adds stay on one thread (a hand-off costs microseconds). */
const PARALLEL_MIN_MACS = 1 << 20;

/**
 * One strided 2-D float32 operand for {@link SimdGemm.gemm}: `data` is a
 * storage array, `rs`/`cs` are element strides (rs steps rows, cs columns).
 */
export interface Operand {
  data: TypedArray;
  rs: number;
  cs: number;
}

/**
 * Runs the wasm gemm (its blocked loop lives in the module: gemm-module.ts)
 * over batches and strided operands. Operands that are not views into the
 * wasm heap (plain arrays: the non-shared fallback, or scratch built by a
 * caller) are copied in first.
 */
export class SimdGemm {
  /** Whether the micro-kernel multiply-adds with f32x4.relaxed_madd (else mul then add). */
  readonly fused: boolean;
  readonly shape: GemmShape;
  readonly module: WebAssembly.Module;
  private readonly k: GemmExports;
  private readonly aPack: number;
  private readonly bPack: number;
  private readonly tile: number;
  /** Scratch for operands copied in, grown on demand. */
  private copyPtr = 0;
  private copyBytes = 0;
  /** Worker threads, started on the first call that asks for more than one thread; null where unavailable. */
  private pool: WorkerPool | null | undefined;

  /**
   * `fused` defaults to whether the engine has relaxed SIMD; false forces the
   * mul + add kernel (tests run both). `shape` defaults to the tile measured
   * best for that kernel.
   */
  constructor(
    private readonly heap: WasmHeap,
    fused = relaxedMaddSupported(),
    shape: GemmShape = fused ? FUSED_SHAPE : MUL_ADD_SHAPE,
  ) {
    this.fused = fused;
    this.shape = shape;
    this.module = new WebAssembly.Module(gemmModuleBytes(shape, heap.shared, fused));
    this.k = new WebAssembly.Instance(this.module, { env: { memory: heap.memory } }).exports as unknown as GemmExports;
    const bytes = scratchBytes(shape);
    this.aPack = heap.malloc(bytes.aPack);
    this.bPack = heap.malloc(bytes.bPack);
    this.tile = heap.malloc(bytes.tile);
  }

  /**
   * The worker pool (started now if not yet: enough workers for `threads` and
   * for the machine's hardware threads, at most 15), or null where threads are
   * unavailable.
   */
  workers(threads: number): WorkerPool | null {
    if (this.pool === undefined) {
      const count = Math.min(Math.max(threads, hardwareThreads()), 16) - 1;
      this.pool = WorkerPool.start(this.heap, this.module, count, () => {
        const bytes = scratchBytes(this.shape);
        return {
          aPack: this.heap.malloc(bytes.aPack),
          bPack: this.heap.malloc(bytes.bPack),
          tile: this.heap.malloc(bytes.tile),
        };
      });
    }
    return this.pool;
  }

  /**
   * One product, on this thread or cut into chunks of whole micro-tiles along
   * whichever of M and N has more of them, shared with the worker threads.
   */
  private product(
    M: number,
    K: number,
    N: number,
    a: number,
    a0: Operand,
    b: number,
    b0: Operand,
    c: number,
    acc: number,
    threads: number,
  ): void {
    const pool = threads > 1 && M * N * K >= PARALLEL_MIN_MACS ? this.workers(threads) : null;
    const helpers = pool === null ? 0 : Math.min(threads - 1, pool.ready());
    const mr = this.shape.mr;
    const nr = 4 * this.shape.nv;
    const tilesM = Math.ceil(M / mr);
    const tilesN = Math.ceil(N / nr);
    // Large products get two chunks per thread, so a thread that starts late leaves less to wait for;
    // smaller ones one each, since every chunk repacks the operand it shares with the others.
    const most = (M * N * K >= 8 * PARALLEL_MIN_MACS ? 2 : 1) * (helpers + 1);
    // A chunk of rows repacks all of B, a chunk of columns all of A: cut the way that packs fewer
    // floats (in a training step the operands come from memory, not cache), where both ways have a
    // tile for every thread; on a tie, or where one has not, the way with more tiles.
    const packedByM = Math.min(tilesM, most) * K * N + M * K;
    const packedByN = Math.min(tilesN, most) * M * K + K * N;
    const bothSplit = Math.min(tilesM, tilesN) > helpers;
    const byN = bothSplit && packedByN !== packedByM ? packedByN < packedByM : tilesN >= tilesM;
    const tiles = byN ? tilesN : tilesM;
    const P = Math.min(tiles, most);
    if (pool === null || helpers === 0 || P < 2) {
      this.k.gemm(M, K, N, a, a0.rs, a0.cs, b, b0.rs, b0.cs, c, N, acc, this.aPack, this.bPack, this.tile);
      return;
    }
    const job = [
      JOB_GEMM,
      P,
      byN ? 1 : 0,
      tiles,
      byN ? nr : mr,
      byN ? N : M,
      M,
      K,
      N,
      a,
      a0.rs,
      a0.cs,
      b,
      b0.rs,
      b0.cs,
      c,
      N,
      acc,
    ];
    pool.run(job, (i) => {
      const g = gemmChunk(job, i);
      if (g)
        this.k.gemm(
          g[0],
          g[1],
          g[2],
          g[3],
          g[4],
          g[5],
          g[6],
          g[7],
          g[8],
          g[9],
          g[10],
          g[11],
          this.aPack,
          this.bPack,
          this.tile,
        );
    });
  }

  private scratch(bytes: number): number {
    if (bytes > this.copyBytes) {
      if (this.copyBytes > 0) this.heap.release(this.copyPtr, this.copyBytes);
      this.copyPtr = this.heap.malloc(bytes);
      this.copyBytes = bytes;
    }
    return this.copyPtr;
  }

  /**
   * C[t] (+)= A[t] · B[t] for each of `batch` products, M×K times K×N, where
   * item t of A and B starts at aOffs[t] / bOffs[t] (elements) and C is dense
   * [batch, M, N] from element `cOff` of `c`. Without `accumulate` C is
   * overwritten and need not be zeroed.
   */
  gemm(
    a: Operand,
    b: Operand,
    c: Float32Array,
    cOff: number,
    M: number,
    K: number,
    N: number,
    aOffs: readonly number[],
    bOffs: readonly number[],
    accumulate = false,
    threads = 1,
  ): void {
    const batch = aOffs.length;
    const cLen = batch * M * N;
    if (K === 0) {
      if (!accumulate) c.fill(0, cOff, cOff + cLen);
      return;
    }
    // Arrays outside the heap get one scratch region, reserved before anything is copied into it.
    const heap = this.heap;
    const aIn = heap.contains(a.data);
    const bIn = heap.contains(b.data);
    const cIn = heap.contains(c);
    const round = (n: number) => Math.ceil(n / 64) * 64;
    const aBytes = aIn ? 0 : round(a.data.byteLength);
    const bBytes = bIn ? 0 : round(b.data.byteLength);
    const cBytes = cIn ? 0 : round(cLen * 4);
    const scratch = aBytes + bBytes + cBytes > 0 ? this.scratch(aBytes + bBytes + cBytes) : 0;
    const aBase = aIn ? a.data.byteOffset : scratch;
    const bBase = bIn ? b.data.byteOffset : scratch + aBytes;
    const cBase = cIn ? c.byteOffset + cOff * 4 : scratch + aBytes + bBytes;
    if (!aIn) heap.f32(aBase, a.data.length).set(a.data as Float32Array);
    if (!bIn) heap.f32(bBase, b.data.length).set(b.data as Float32Array);
    if (!cIn && accumulate) heap.f32(cBase, cLen).set(c.subarray(cOff, cOff + cLen));
    for (let t = 0; t < batch; t++) {
      const aT = aBase + aOffs[t] * 4;
      const bT = bBase + bOffs[t] * 4;
      const cT = cBase + t * M * N * 4;
      this.product(M, K, N, aT, a, bT, b, cT, accumulate ? 1 : 0, threads);
    }
    if (!cIn) c.set(heap.f32(cBase, cLen), cOff);
  }
}
