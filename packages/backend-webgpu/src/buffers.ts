import type { DType } from '@tsdl/tensor';
import type { DataId } from '@tsdl/tensor/backend';
import { BYTES_PER_ELEMENT } from '@tsdl/tensor/backend';
import { BufferUsage } from './usage';

/**
 * Storage on the GPU. Every dtype occupies 4 bytes per element: float32 as
 * WGSL `f32`, int32 as `i32`, and bool as `i32` 0/1, because WGSL storage
 * buffers have no 8-bit type; the host converts bool on write and read.
 *
 * Buffers are pooled by size class (four classes per power of two, so at most
 * 25% slack): freeing a storage returns its buffer to the pool and the next
 * storage of that class reuses it, so a training loop allocates nothing after
 * its first step.
 *
 * A multi-tensor kernel writes all its outputs into one buffer (a
 * SharedBlock), one aligned slot per storage, so that the next such kernel
 * binds the whole block once rather than each storage on its own binding
 * (WebGPU allows as few as 8 storage bindings per kernel). Other kernels bind
 * a slot at its offset and see an ordinary storage.
 */
export class GpuStorage {
  constructor(
    readonly buffer: GPUBuffer,
    readonly dtype: DType,
    /** Elements. */
    readonly size: number,
    /** The shared buffer this storage is a slot of, or null when it has `buffer` to itself. */
    readonly block: SharedBlock | null = null,
    /** Where the slot starts in `buffer` (bytes, a multiple of the device's storage offset alignment). */
    readonly byteOffset = 0,
    /** The slot's length in bytes (at least 4; bindings cover the slot, not the whole block). */
    readonly slotBytes = 0,
  ) {}

  /** Bytes the frontend accounts for (bool counts 1 byte per element, as on every backend). */
  get logicalBytes(): number {
    return this.size * BYTES_PER_ELEMENT[this.dtype];
  }

  /** What a bind group entry binds: the whole buffer, or the storage's slot of a block. */
  binding(): GPUBufferBinding {
    return this.block
      ? { buffer: this.buffer, offset: this.byteOffset, size: this.slotBytes }
      : { buffer: this.buffer };
  }
}

/** A buffer shared by several storages; it goes back to the pool when the last of them is freed. */
export class SharedBlock {
  constructor(
    readonly buffer: GPUBuffer,
    /** Storages of the block not yet freed. */
    public live: number,
  ) {}
}

export function storageOf(id: DataId): GpuStorage {
  return id as GpuStorage;
}

/** Storage buffers are read and written by kernels and copied for reads and uploads. */
export const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

/** The pooled size of a request: at least 256 bytes, then four steps per power of two. */
export function sizeClass(bytes: number): number {
  const b = Math.max(bytes, 256);
  const step = 2 ** Math.floor(Math.log2(b)) / 4;
  return Math.ceil(b / step) * step;
}

/** The largest size class that is at most `max` bytes: the biggest buffer the pool creates within a device limit. */
export function largestClassAtMost(max: number): number {
  const step = 2 ** Math.floor(Math.log2(max)) / 4;
  return Math.floor(max / step) * step;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  /** Buffers and bytes waiting in the pool. */
  pooledBuffers = 0;
  pooledBytes = 0;

  constructor(
    private readonly create: (bytes: number) => GPUBuffer,
    /** Above this many pooled bytes, released buffers are not kept. */
    private readonly maxPooledBytes: number,
  ) {}

  acquire(bytes: number): GPUBuffer {
    const cls = sizeClass(bytes);
    const list = this.free.get(cls);
    const hit = list?.pop();
    if (hit) {
      this.pooledBuffers--;
      this.pooledBytes -= cls;
      return hit;
    }
    return this.create(cls);
  }

  /** Keeps a buffer for reuse; false when the pool is full (the caller destroys it). */
  release(buffer: GPUBuffer): boolean {
    const cls = buffer.size;
    if (this.pooledBytes + cls > this.maxPooledBytes) return false;
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    list.push(buffer);
    this.pooledBuffers++;
    this.pooledBytes += cls;
    return true;
  }

  /** Destroys every pooled buffer (live storages are untouched). */
  clear(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.pooledBuffers = 0;
    this.pooledBytes = 0;
  }
}
