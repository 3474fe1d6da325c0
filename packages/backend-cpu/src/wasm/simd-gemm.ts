import type { TypedArray } from '@tsdl/tensor';
import { DEFAULT_GEMM_SHAPE, type GemmExports, type GemmShape, gemmModuleBytes } from './gemm-module';
import type { WasmHeap } from './heap';

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
 * The blocked loops around the wasm kernels (BLIS order): for each NC-wide
 * column block and KC-deep slice, pack B once; for each MC-tall row block,
 * pack A and run the macro-kernel. Blocks are sized so a packed A block
 * (MC×KC, 128 KiB) stays in L2 and a B micro-panel (KC×NR, 8 KiB) in L1.
 *
 * Operands that are not views into the wasm heap (plain arrays: the
 * non-shared fallback, or scratch built by a caller) are copied in first.
 */
export class SimdGemm {
  readonly shape: GemmShape;
  private readonly k: GemmExports;
  readonly MC: number;
  readonly KC = 256;
  readonly NC: number;
  private aPack = 0;
  private bPack = 0;
  private tile = 0;
  /** Scratch for operands copied in, grown on demand. */
  private copyPtr = 0;
  private copyBytes = 0;

  constructor(
    private readonly heap: WasmHeap,
    shape: GemmShape = DEFAULT_GEMM_SHAPE,
  ) {
    this.shape = shape;
    const nr = 4 * shape.nv;
    this.MC = Math.floor(128 / shape.mr) * shape.mr;
    this.NC = Math.floor(2048 / nr) * nr;
    const module = new WebAssembly.Module(gemmModuleBytes(shape, heap.shared));
    this.k = new WebAssembly.Instance(module, { env: { memory: heap.memory } }).exports as unknown as GemmExports;
    this.aPack = heap.malloc((this.MC + shape.mr) * this.KC * 4);
    this.bPack = heap.malloc((this.NC + nr) * this.KC * 4);
    this.tile = heap.malloc(shape.mr * nr * 4);
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
    const { MC, KC, NC } = this;
    const k = this.k;
    let packedB = -1;
    for (let t = 0; t < batch; t++) {
      const aT = aBase + aOffs[t] * 4;
      const bT = bBase + bOffs[t] * 4;
      const cT = cBase + t * M * N * 4;
      for (let jc = 0; jc < N; jc += NC) {
        const nc = Math.min(NC, N - jc);
        for (let pc = 0; pc < K; pc += KC) {
          const kc = Math.min(KC, K - pc);
          const bSrc = bT + (pc * b.rs + jc * b.cs) * 4;
          // A batch-broadcast B (the same block every item) that fits one pack is packed once.
          if (!(bSrc === packedB && nc === N && kc === K)) {
            k.packB(bSrc, b.rs, b.cs, kc, nc, this.bPack);
            packedB = nc === N && kc === K ? bSrc : -1;
          }
          const acc = accumulate || pc > 0 ? 1 : 0;
          for (let ic = 0; ic < M; ic += MC) {
            const mc = Math.min(MC, M - ic);
            k.packA(aT + (ic * a.rs + pc * a.cs) * 4, a.rs, a.cs, mc, kc, this.aPack);
            k.macro(mc, nc, kc, this.aPack, this.bPack, cT + (ic * N + jc) * 4, N * 4, acc, this.tile);
          }
        }
      }
    }
    if (!cIn) c.set(heap.f32(cBase, cLen), cOff);
  }
}
