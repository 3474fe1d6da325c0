import type { Backend, DType, TypedArray } from '@tsdl/tensor';
import type {
  BackendMemory,
  Conv2dParams,
  DataId,
  ElementwiseSpec,
  ElementwiseGroupsSpec,
  Pool2dParams,
  ReduceOp,
  View,
} from '@tsdl/tensor/backend';
import { BackendError } from '@tsdl/tensor';
import { contiguousStrides } from '@tsdl/tensor/backend';
import { BufferPool, GpuStorage, SharedBlock, STORAGE_USAGE, largestClassAtMost, storageOf } from './buffers';
import type { Dense, Device } from './context';
import { findGpu, noAdapterMessage, requestDevice } from './device';
import { GpuOutOfMemoryError } from './errors';
import { checkIndices } from './kernels/check-indices';
import { conv2d, conv2dGradFilter, conv2dGradInput } from './kernels/conv';
import { elementwise } from './kernels/elementwise';
import { elementwiseGroups } from './kernels/elementwise-groups';
import { matmul } from './kernels/matmul';
import { concat, copyInto, fill, gather, pad, scatterAdd } from './kernels/movement';
import { pool2d, pool2dGrad } from './kernels/pool';
import { random } from './kernels/random';
import { reduce } from './kernels/reduce';
import { softmax } from './kernels/softmax';
import { softmaxCrossEntropy, softmaxCrossEntropyGrad } from './kernels/softmax-ce';
import type { Kernel, KernelDef } from './runtime';
import { Runtime } from './runtime';

export interface WebGpuOptions {
  /** The name the backend registers under (default 'webgpu'); give a second instance another name. */
  name?: string;
  /** Which adapter to ask for when none is given. */
  powerPreference?: GPUPowerPreference;
  /** Use this adapter instead of requesting one. */
  adapter?: GPUAdapter;
  /** Bytes of freed buffers kept for reuse (default 1 GiB). */
  poolBytes?: number;
}

export interface WebGpuDeviceOptions {
  name?: string;
  poolBytes?: number;
  /** Whether dispose() destroys the device (true when webgpu() created it). */
  ownsDevice?: boolean;
}

const DEFAULT_POOL_BYTES = 1 << 30;

function isDenseRowMajor(v: View): boolean {
  let s = 1;
  for (let i = v.shape.length - 1; i >= 0; i--) {
    if (v.shape[i] !== 1 && v.strides[i] !== s) return false;
    s *= v.shape[i];
  }
  return true;
}

/**
 * The Backend contract on WebGPU with WGSL compute shaders. Every op records
 * its kernels into the device's current batch and returns at once; data comes
 * back only through `read` (there is no readSync: a GPU cannot be read
 * synchronously). Errors the GPU reports later are thrown by the next call.
 */
export class WebGpuBackend implements Backend, Device {
  readonly name: string;
  readonly rt: Runtime;
  private readonly pool: BufferPool;
  private readonly ownsDevice: boolean;
  private liveBuffers = 0;
  private liveBytes = 0;

  constructor(
    readonly device: GPUDevice,
    options: WebGpuDeviceOptions = {},
  ) {
    this.name = options.name ?? 'webgpu';
    this.ownsDevice = options.ownsDevice ?? false;
    this.rt = Runtime.of(device);
    this.pool = new BufferPool((bytes) => this.createBuffer(bytes), options.poolBytes ?? DEFAULT_POOL_BYTES);
  }

  private createBuffer(bytes: number): GPUBuffer {
    const op = this.rt.currentOp;
    this.device.pushErrorScope('out-of-memory');
    const b = this.device.createBuffer({ size: bytes, usage: STORAGE_USAGE });
    void this.device.popErrorScope().then((err) => {
      if (err)
        this.rt.report(
          new GpuOutOfMemoryError(`webgpu: ${op}: the GPU is out of memory allocating ${bytes} bytes (${err.message})`),
        );
    });
    return b;
  }

  private enter(op: string): void {
    this.rt.check(op);
    this.rt.currentOp = op;
  }

  // ---- Device (what kernels use) ---------------------------------------------------

  alloc(dtype: DType, size: number): GpuStorage {
    const bytes = size * 4;
    this.checkBufferSize(bytes, `a ${dtype} tensor of ${size} elements needs`);
    const s = new GpuStorage(this.pool.acquire(bytes), dtype, size);
    this.liveBuffers++;
    this.liveBytes += s.logicalBytes;
    return s;
  }

  allocBlock(dtype: DType, sizes: readonly number[]): GpuStorage[] {
    const align = this.rt.limits.minStorageBufferOffsetAlignment;
    const slots = sizes.map((n) => Math.ceil(Math.max(n * 4, 4) / align) * align);
    const total = slots.reduce((a, b) => a + b, 0);
    this.checkBufferSize(
      total,
      `${sizes.length} ${dtype} tensors of ${sizes.reduce((a, b) => a + b, 0)} elements in all need`,
    );
    const block = new SharedBlock(this.pool.acquire(total), sizes.length);
    let at = 0;
    return sizes.map((n, i) => {
      const s = new GpuStorage(block.buffer, dtype, n, block, at, slots[i]);
      at += slots[i];
      this.liveBuffers++;
      this.liveBytes += s.logicalBytes;
      return s;
    });
  }

  /**
   * The most bytes one storage may take: a kernel binds it whole (maxStorageBufferBindingSize),
   * and the pool rounds it up to a size class that must stay within maxBufferSize.
   */
  private maxStorageBytes(): number {
    const { maxStorageBufferBindingSize, maxBufferSize } = this.rt.limits;
    return Math.min(maxStorageBufferBindingSize, largestClassAtMost(maxBufferSize));
  }

  /** Every dtype is stored as 4-byte words (bool as u32 0/1). */
  maxElements(_dtype: DType): number {
    return Math.floor(this.maxStorageBytes() / 4);
  }

  /** Throws GpuOutOfMemoryError when `bytes` exceed the largest storage buffer; `what` is the message's subject and verb. */
  private checkBufferSize(bytes: number, what: string): void {
    const max = this.maxStorageBytes();
    if (bytes > max) {
      throw new GpuOutOfMemoryError(
        `webgpu: ${this.rt.currentOp}: ${what} ${bytes} bytes, more than this device's largest storage buffer (${max} bytes)`,
      );
    }
  }

  kernel(def: KernelDef): Kernel {
    return this.rt.kernel(def);
  }

  storage(v: View): GpuStorage {
    return storageOf(v.data);
  }

  fill(s: GpuStorage, value: number): GpuStorage {
    return fill(this, s, value);
  }

  dense(v: View): Dense {
    const s = storageOf(v.data);
    if (isDenseRowMajor(v)) return { s, offset: v.offset, temp: false };
    const n = v.shape.reduce((a, b) => a * b, 1);
    const out = this.alloc(v.dtype, n);
    copyInto(this, v, out, contiguousStrides(v.shape), 0);
    return { s: out, offset: 0, temp: true };
  }

  release(s: GpuStorage): void {
    this.liveBuffers--;
    this.liveBytes -= s.logicalBytes;
    // A slot of a shared block gives the buffer back only with the block's last storage.
    if (s.block && --s.block.live > 0) return;
    if (!this.pool.release(s.buffer)) this.rt.destroyLater(s.buffer);
  }

  // ---- storage -----------------------------------------------------------------------

  write(values: TypedArray, dtype: DType): GpuStorage {
    this.enter('write');
    const s = this.alloc(dtype, values.length);
    // bool arrives as a Uint8Array and is stored as i32 0/1.
    const data = dtype === 'bool' ? Int32Array.from(values as Uint8Array, (v) => (v !== 0 ? 1 : 0)) : values;
    this.rt.upload(s, data);
    return s;
  }

  async read(data: DataId): Promise<TypedArray> {
    this.enter('read');
    const s = storageOf(data);
    const buf = await this.rt.download(s, s.size * 4, 'read');
    switch (s.dtype) {
      case 'float32':
        return new Float32Array(buf);
      case 'int32':
        return new Int32Array(buf);
      case 'bool':
        return Uint8Array.from(new Int32Array(buf), (v) => (v !== 0 ? 1 : 0));
    }
  }

  free(data: DataId): void {
    this.release(storageOf(data));
  }

  memory(): BackendMemory {
    return { buffers: this.liveBuffers, bytes: this.liveBytes };
  }

  /** Freed buffers kept for reuse, and their bytes (not counted by memory()). */
  poolStats(): { buffers: number; bytes: number } {
    return { buffers: this.pool.pooledBuffers, bytes: this.pool.pooledBytes };
  }

  /** Resolves when the GPU has finished all work recorded so far (for timing). */
  async sync(): Promise<void> {
    this.rt.check('sync');
    await this.rt.sync();
  }

  // ---- compute -----------------------------------------------------------------------

  elementwise(spec: ElementwiseSpec): DataId[] {
    this.enter('elementwise');
    return elementwise(this, spec);
  }

  elementwiseGroups(spec: ElementwiseGroupsSpec): DataId[][] {
    this.enter('elementwiseGroups');
    return elementwiseGroups(this, spec);
  }

  reduce(op: ReduceOp, x: View, axes: number, outDtype: DType): DataId {
    this.enter(op);
    return reduce(this, op, x, axes, outDtype);
  }

  concat(xs: readonly View[], axis: number, outShape: readonly number[]): DataId {
    this.enter('concat');
    return concat(this, xs, axis, outShape);
  }

  pad(x: View, pads: readonly (readonly [number, number])[], value: number): DataId {
    this.enter('pad');
    return pad(this, x, pads, value);
  }

  gather(x: View, indices: View, axis: number): DataId {
    this.enter('gather');
    return gather(this, x, indices, axis);
  }

  scatterAdd(updates: View, indices: View, axis: number, outShape: readonly number[]): DataId {
    this.enter('scatterAdd');
    return scatterAdd(this, updates, indices, axis, outShape);
  }

  matmul(a: View, b: View): DataId {
    this.enter('matmul');
    return matmul(this, a, b);
  }

  conv2d(x: View, w: View, p: Conv2dParams): DataId {
    this.enter('conv2d');
    return conv2d(this, x, w, p);
  }

  conv2dGradInput(dy: View, w: View, p: Conv2dParams): DataId {
    this.enter('conv2dGradInput');
    return conv2dGradInput(this, dy, w, p);
  }

  conv2dGradFilter(x: View, dy: View, p: Conv2dParams): DataId {
    this.enter('conv2dGradFilter');
    return conv2dGradFilter(this, x, dy, p);
  }

  pool2d(x: View, p: Pool2dParams): DataId {
    this.enter(`${p.kind}Pool2d`);
    return pool2d(this, x, p);
  }

  pool2dGrad(x: View, dy: View, p: Pool2dParams): DataId {
    this.enter(`${p.kind}Pool2dGrad`);
    return pool2dGrad(this, x, dy, p);
  }

  softmax(x: View, log: boolean): DataId {
    this.enter(log ? 'logSoftmax' : 'softmax');
    return softmax(this, x, log);
  }

  softmaxCrossEntropy(logits: View, labels: View, sparse: boolean): DataId {
    this.enter('softmaxCrossEntropy');
    return softmaxCrossEntropy(this, logits, labels, sparse);
  }

  softmaxCrossEntropyGrad(logits: View, labels: View, dy: View, sparse: boolean): DataId {
    this.enter('softmaxCrossEntropyGrad');
    return softmaxCrossEntropyGrad(this, logits, labels, dy, sparse);
  }

  checkIndices(indices: View, size: number, op: string, ignore?: number): void {
    this.enter(`${op} (index check)`);
    checkIndices(this, indices, size, op, ignore);
  }

  random(dist: 'uniform' | 'normal', size: number, key: number): DataId {
    this.enter(`random ${dist}`);
    return random(this, dist, size, key);
  }

  /** Releases pooled buffers, and the device when webgpu() created it. */
  dispose(): void {
    this.rt.flush();
    this.pool.clear();
    if (this.ownsDevice) this.rt.destroy();
  }
}

/**
 * A WebGPU backend: `setBackend(await webgpu())`. In browsers it uses
 * `navigator.gpu`; in Node, the `webgpu` package (Dawn). Throws a
 * BackendError saying what to install when there is no adapter.
 */
export async function webgpu(options: WebGpuOptions = {}): Promise<WebGpuBackend> {
  let adapter = options.adapter ?? null;
  if (!adapter) {
    const gpu = await findGpu();
    adapter = await gpu.requestAdapter(
      options.powerPreference ? { powerPreference: options.powerPreference } : undefined,
    );
    if (!adapter) throw new BackendError(noAdapterMessage());
  }
  const device = await requestDevice(adapter);
  return new WebGpuBackend(device, { name: options.name, poolBytes: options.poolBytes, ownsDevice: true });
}

/** A backend on a device the caller made (shared with other WebGPU code; dispose() leaves it alive). */
export function webgpuFromDevice(
  device: GPUDevice,
  options: Omit<WebGpuDeviceOptions, 'ownsDevice'> = {},
): WebGpuBackend {
  return new WebGpuBackend(device, options);
}
