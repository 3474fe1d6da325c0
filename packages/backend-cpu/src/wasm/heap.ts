import type { DType, TypedArray } from '@tsdl/tensor';
import { BackendError } from '@tsdl/tensor';
import { makeTypedArray } from '@tsdl/tensor/backend';

/**
 * Tensor storage inside one growable WebAssembly.Memory, so wasm kernels read
 * and write tensors in place (no copies) and worker threads can share them.
 *
 * Storages are typed-array views into the memory. A *shared* memory never
 * moves or detaches when it grows (each grow yields a new SharedArrayBuffer
 * object over the same bytes), so views handed out earlier stay valid; that is
 * why storage lives here only when SharedArrayBuffer exists. Without it
 * (`shared: false`: a browser page without cross-origin isolation) growing
 * detaches every view, so storages stay ordinary arrays and the memory holds
 * only kernel scratch, which callers address by pointer and view afresh.
 *
 * Blocks come from size classes (four per power of two, multiples of 64 bytes,
 * at most 25% waste) with a free list each; a freed block is reused by the next
 * request of its class, so a training loop that repeats its shapes stops
 * growing the memory after the first step. Memory is never returned to the
 * system (WebAssembly memories cannot shrink).
 */

const PAGE = 65536;
/**
 * Bytes kept addressable past the last block: SIMD kernels may read a vector
 * that starts inside a block and ends up to 12 bytes past it.
 */
const SLACK = 64;
/**
 * 4 GiB, the wasm32 limit, then smaller: a shared memory must declare a
 * maximum and reserves address space for it, which a 32-bit or mobile browser
 * may refuse for 4 GiB.
 */
const MAX_PAGES = [65536, 32768, 16384, 8192];

/**
 * Every block extends at least this far past its request, so a SIMD kernel may
 * write a whole vector that starts at the last element (rows not a multiple
 * of four lanes) without touching the next block.
 */
export const OVERRUN = 16;

/** The byte size of the class serving a request of `bytes` (including the overrun room). */
export function sizeClass(request: number): number {
  const bytes = request + OVERRUN;
  if (bytes <= 256) return Math.max(64, Math.ceil(bytes / 64) * 64);
  // floor(log2(bytes)) by clz32 while bytes fits 31 bits (every wasm32 request does): log2 and ** cost more.
  const quarter = (bytes < 2 ** 31 ? 1 << (31 - Math.clz32(bytes)) : 2 ** Math.floor(Math.log2(bytes))) / 4;
  return Math.ceil(bytes / quarter) * quarter;
}

function ctor(dtype: DType): {
  new (buf: ArrayBufferLike, off: number, n: number): TypedArray;
  BYTES_PER_ELEMENT: number;
} {
  return dtype === 'float32' ? Float32Array : dtype === 'int32' ? Int32Array : Uint8Array;
}

export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  /** Next unused byte; block 0..63 is left unused so no storage sits at address 0. */
  private top = 64;
  private readonly freeLists = new Map<number, number[]>();
  /** Every buffer object the memory has exposed: a view belongs to the heap if its buffer is one of them. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private current: ArrayBufferLike;
  private readonly maxPages: number;

  constructor(shared: boolean, initialBytes = 16 << 20) {
    const initial = Math.ceil(initialBytes / PAGE);
    this.shared = shared;
    let memory: WebAssembly.Memory | null = null;
    let maxPages = 0;
    for (const maximum of MAX_PAGES) {
      try {
        memory = new WebAssembly.Memory({ initial, maximum, shared });
        maxPages = maximum;
        break;
      } catch (e) {
        if (maximum === MAX_PAGES[MAX_PAGES.length - 1]) throw e;
      }
    }
    this.memory = memory as WebAssembly.Memory;
    this.maxPages = maxPages;
    this.current = this.memory.buffer;
    this.buffers.add(this.current);
  }

  /** The memory's current buffer (a new object after every grow). */
  buffer(): ArrayBufferLike {
    const b = this.memory.buffer;
    if (b !== this.current) {
      this.current = b;
      this.buffers.add(b);
    }
    return b;
  }

  /** Whether `a` is a view into this heap (then `a.byteOffset` is its wasm address). */
  contains(a: TypedArray): boolean {
    return this.buffers.has(a.buffer);
  }

  /** Reserves a block of at least `bytes`; returns its address. */
  malloc(bytes: number): number {
    const size = sizeClass(bytes);
    const list = this.freeLists.get(size);
    if (list !== undefined && list.length > 0) return list.pop() as number;
    const ptr = this.top;
    const end = ptr + size;
    const have = this.memory.buffer.byteLength;
    if (end + SLACK > have) {
      // Grow by at least a quarter of the current size so a growing model does not grow page by page.
      const pages = Math.max(Math.ceil((end + SLACK - have) / PAGE), Math.ceil(have / PAGE / 4));
      try {
        this.memory.grow(Math.min(pages, this.maxPages - have / PAGE));
      } catch (e) {
        throw new BackendError(
          `cpu backend: out of memory: cannot grow the WebAssembly memory to ${end + SLACK} bytes for a block of ${bytes} (${(e as Error).message})`,
        );
      }
      if (this.memory.buffer.byteLength < end + SLACK) {
        throw new BackendError(
          `cpu backend: out of memory: a block of ${bytes} bytes does not fit the WebAssembly memory (${this.top} bytes of at most ${this.maxPages * PAGE} are already taken); free tensors with dispose() or tidy()`,
        );
      }
    }
    this.top = end;
    return ptr;
  }

  /**
   * The largest request `malloc` could ever serve: its size class, with the unused first
   * 64 bytes and the slack, must fit the memory's maximum. A larger one can never succeed,
   * so the backend refuses it before anything is allocated (Backend.maxElements).
   */
  maxRequestBytes(): number {
    const cap = this.maxPages * PAGE - 64 - SLACK;
    // Size classes are multiples of a quarter of a power of two (see sizeClass).
    const quarter = 2 ** Math.floor(Math.log2(cap)) / 4;
    return Math.floor(cap / quarter) * quarter - OVERRUN;
  }

  /** Returns a block from `malloc(bytes)` to its class's free list. */
  release(ptr: number, bytes: number): void {
    const size = sizeClass(bytes);
    let list = this.freeLists.get(size);
    if (list === undefined) this.freeLists.set(size, (list = []));
    list.push(ptr);
  }

  /**
   * A storage of `n` elements. In a shared heap it is a view into the memory
   * (zero-filled unless `zero` is false: kernels that write every element
   * skip the fill); otherwise a plain array.
   */
  alloc(dtype: DType, n: number, zero = true): TypedArray {
    if (!this.shared || n === 0) return makeTypedArray(dtype, n);
    const C = ctor(dtype);
    const ptr = this.malloc(n * C.BYTES_PER_ELEMENT);
    const a = new C(this.buffer(), ptr, n);
    if (zero) a.fill(0);
    return a;
  }

  /** Frees a storage from `alloc` (plain arrays are left to the garbage collector). */
  free(a: TypedArray): void {
    if (a.length > 0 && this.contains(a)) this.release(a.byteOffset, a.byteLength);
  }

  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.buffer(), ptr, n);
  }
}

/** Whether this runtime validates a module with v128 instructions. */
export function simdSupported(): boolean {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') return false;
  // (module (func (result v128) i32.const 0 i32x4.splat))
  const probe = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 17, 11,
  ]);
  try {
    return WebAssembly.validate(probe);
  } catch {
    return false;
  }
}

/** Whether shared WebAssembly memory can be created (SharedArrayBuffer present: Node, or a cross-origin-isolated page). */
export function sharedMemorySupported(): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}
