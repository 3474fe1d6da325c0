import { type ArgumentError, BackendError } from '@tsdl/tensor';
import { GpuStorage } from './buffers';
import { DeviceLostError, GpuOutOfMemoryError, GpuValidationError } from './errors';
import { INDEX_STATUS_BYTES, indexStatusError } from './index-status';
import { BufferUsage, MapMode, ShaderStage } from './usage';
import type { GemmProfile } from './kernels/gemm';
import { MATH, PRELUDE } from './wgsl';

/**
 * The runtime of one GPUDevice: compiled pipelines, and the batch of commands
 * being recorded. Kernels are recorded into one command encoder and one
 * compute pass and submitted together (when a read needs them, when a batch
 * fills, or at the next microtask), so an op costs a bind group and a
 * dispatch, not a submit. Every dispatch's parameters go into one uniform
 * "arena" buffer uploaded with the batch. Backends on the same device share
 * one runtime, so their commands stay in one order (and one index status:
 * a bad index met by one backend's kernel is reported by the next read on
 * the device, whichever backend reads).
 */

export type BindingKind = 'read' | 'write';

/** A compute kernel: WGSL plus the binding list its layout is made from. */
export interface KernelDef {
  /** Cache key: equal keys must give identical WGSL. */
  readonly key: string;
  /** Storage bindings 0..n-1 in order; the params uniform is binding n. */
  readonly bindings: readonly BindingKind[];
  /** Number of u32 parameter words (fixed per key). */
  readonly paramWords: number;
  /** The kernel's WGSL without binding-independent helpers (PRELUDE and `P` are prepended). */
  code(): string;
}

export interface Kernel {
  readonly key: string;
  /** A small number naming the kernel in bind-group cache keys. */
  readonly id: number;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  readonly nStorage: number;
  readonly paramBytes: number;
}

/** Byte alignment of each dispatch's parameters in the arena (WebGPU's minUniformBufferOffsetAlignment is at most 256). */
const PARAM_ALIGN = 256;
/** The arena holds this many bytes of parameters; a full arena submits the batch. */
const ARENA_BYTES = 1 << 18;
/** A batch is submitted after this many dispatches even if nothing reads, to keep the GPU fed. */
const MAX_BATCH = 256;
/**
 * How long a failed read waits to learn whether the device was lost (only failed reads wait):
 * in Chromium, `lost` settled 1–194 ms after a destroy() had already failed the read's mapping
 * (Dawn in Node: 5 ms).
 */
const LOSS_WAIT_MS = 1000;
/** Cached bind groups kept before the cache is emptied (entries for destroyed buffers are never hit again). */
const MAX_BIND_GROUPS = 4096;

const runtimes = new WeakMap<GPUDevice, Runtime>();

export class Runtime {
  static of(device: GPUDevice): Runtime {
    let r = runtimes.get(device);
    if (!r) runtimes.set(device, (r = new Runtime(device)));
    return r;
  }

  readonly limits: GPUSupportedLimits;
  /**
   * How kernels size their work: 'software' on a CPU Vulkan driver (SwiftShader, lavapipe),
   * where few fat invocations beat many thin ones. Writable so that tests can run the GPU
   * choices on SwiftShader.
   */
  gemmProfile: GemmProfile;
  /** Increments when a batch is submitted; a buffer whose lastBatch equals it is used by unsubmitted commands. */
  batchId = 1;
  /** Set when the device is lost: every later call throws it. */
  lost: DeviceLostError | null = null;
  /** An asynchronous error waiting to be thrown by the next call. */
  private pending: BackendError | null = null;
  /** A bad index the device reported, waiting to be thrown by the next read (see index-status.ts). */
  private pendingIndex: ArgumentError | null = null;
  private destroying = false;

  private readonly kernels = new Map<string, Kernel>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private dispatches = 0;
  private readonly arena: GPUBuffer;
  /** Where kernels that take an index record a bad one (index-status.ts), bound as a storage. */
  private readonly statusStorage: GpuStorage;
  /** Whether a kernel bound the status since a read last copied it back (else it still holds 0). */
  private statusUsed = false;
  private readonly host = new Uint32Array(ARENA_BYTES / 4);
  private arenaUsed = 0;
  private readonly afterSubmit: GPUBuffer[] = [];
  private flushScheduled = false;
  /**
   * Bind groups by kernel and storage buffers. The parameters are bound with a dynamic
   * offset into the arena, so a bind group depends only on the buffers, and a training
   * loop, whose pooled buffers recur step after step, creates almost none after its first
   * steps (creating one costs more host time than the rest of a dispatch).
   */
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  /** The batch that last used each buffer: a pooled buffer outlives the storage that used it. */
  private readonly lastUse = new WeakMap<GPUBuffer, number>();
  /** The op whose commands are being recorded, for error messages. */
  currentOp = '';

  private constructor(readonly device: GPUDevice) {
    this.limits = device.limits;
    this.gemmProfile = isSoftwareAdapter(device.adapterInfo) ? 'software' : 'gpu';
    this.arena = device.createBuffer({ size: ARENA_BYTES, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
    // New buffers are zeroed: no bad index recorded.
    const status = device.createBuffer({
      size: INDEX_STATUS_BYTES,
      usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
    });
    this.statusStorage = new GpuStorage(status, 'int32', INDEX_STATUS_BYTES / 4);
    void device.lost.then((info) => {
      const why = this.destroying ? 'the backend was disposed' : `${info.reason}: ${info.message || 'no message'}`;
      this.lost = new DeviceLostError(
        `webgpu: the GPU device was lost (${why}); create a new backend with await webgpu()`,
      );
    });
    device.addEventListener('uncapturederror', (ev) => {
      this.record((ev as GPUUncapturedErrorEvent).error, this.currentOp);
    });
  }

  /** Throws the device loss, or an error a previous batch reported. */
  check(op: string): void {
    if (this.lost) throw this.lost;
    const e = this.pending;
    if (e) {
      this.pending = null;
      e.message = `${e.message} (reported while running ${op})`;
      throw e;
    }
  }

  /**
   * Keeps an asynchronous failure for the next call to throw. The first one
   * wins, except that a cause (`override`: a kernel that failed to compile)
   * replaces its symptoms (commands rejected because the kernel is invalid).
   */
  report(e: BackendError, override = false): void {
    if (this.lost) return;
    if (!this.pending || override) this.pending = e;
  }

  private record(err: GPUError, op: string): void {
    if (this.pending || this.lost) return;
    const where = op ? `${op}: ` : '';
    if (err.constructor?.name === 'GPUOutOfMemoryError') {
      this.pending = new GpuOutOfMemoryError(`webgpu: ${where}the GPU is out of memory (${err.message})`);
    } else {
      this.pending = new GpuValidationError(`webgpu: ${where}WebGPU rejected a command: ${err.message}`);
    }
  }

  kernel(def: KernelDef): Kernel {
    const hit = this.kernels.get(def.key);
    if (hit) return hit;
    const n = def.bindings.length;
    const paramVec4 = Math.max(1, Math.ceil(def.paramWords / 4));
    const code =
      PRELUDE +
      MATH +
      `@group(0) @binding(${n}) var<uniform> params: array<vec4<u32>, ${paramVec4}>;\n` +
      'fn P(i: u32) -> u32 { return params[i / 4u][i % 4u]; }\n' +
      def.code();
    const entries: GPUBindGroupLayoutEntry[] = def.bindings.map((kind, binding) => ({
      binding,
      visibility: ShaderStage.COMPUTE,
      buffer: { type: kind === 'read' ? 'read-only-storage' : 'storage' },
    }));
    entries.push({ binding: n, visibility: ShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } });
    this.device.pushErrorScope('validation');
    const layout = this.device.createBindGroupLayout({ entries });
    const module = this.device.createShaderModule({ code, label: def.key });
    const pipeline = this.device.createComputePipeline({
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
      label: def.key,
    });
    const op = this.currentOp;
    void this.device.popErrorScope().then((err) => {
      if (err)
        this.report(
          new GpuValidationError(`webgpu: ${op}: kernel ${def.key.slice(0, 160)} failed to compile: ${err.message}`),
          true,
        );
    });
    const k: Kernel = {
      key: def.key,
      id: this.kernels.size,
      pipeline,
      layout,
      nStorage: n,
      paramBytes: paramVec4 * 16,
    };
    this.kernels.set(def.key, k);
    return k;
  }

  private begin(): GPUCommandEncoder {
    if (!this.encoder) {
      this.encoder = this.device.createCommandEncoder();
      if (!this.flushScheduled) {
        // Work recorded in one synchronous stretch of JavaScript is submitted together.
        this.flushScheduled = true;
        queueMicrotask(() => {
          this.flushScheduled = false;
          this.flush();
        });
      }
    }
    return this.encoder;
  }

  /**
   * The index status, for a kernel that checks its indices to bind (declared by
   * `indexStatusWgsl`); the next read copies it back. Never released.
   */
  indexStatus(): GpuStorage {
    this.statusUsed = true;
    return this.statusStorage;
  }

  /** Records one dispatch. `storages` follow the kernel's bindings; `params` are u32 words (negative ints wrap). */
  dispatch(
    k: Kernel,
    storages: readonly GpuStorage[],
    params: ArrayLike<number>,
    groups: readonly [number, number, number],
  ): void {
    if (groups[0] === 0 || groups[1] === 0 || groups[2] === 0) return;
    if (this.arenaUsed + k.paramBytes > ARENA_BYTES) this.flush();
    const enc = this.begin();
    const offset = this.arenaUsed;
    this.host.fill(0, offset / 4, (offset + k.paramBytes) / 4);
    for (let i = 0; i < params.length; i++) this.host[offset / 4 + i] = params[i];
    this.arenaUsed += Math.ceil(k.paramBytes / PARAM_ALIGN) * PARAM_ALIGN;
    let key = `${k.id}`;
    for (const s of storages) {
      key += `,${this.bufferId(s.buffer)}`;
      // A slot of a shared block binds a range; a pooled block is reused with other slots.
      if (s.block) key += `@${s.byteOffset}+${s.slotBytes}`;
      this.lastUse.set(s.buffer, this.batchId);
    }
    let group = this.bindGroups.get(key);
    if (!group) {
      const entries: GPUBindGroupEntry[] = storages.map((s, binding) => ({ binding, resource: s.binding() }));
      entries.push({ binding: k.nStorage, resource: { buffer: this.arena, offset: 0, size: k.paramBytes } });
      group = this.device.createBindGroup({ layout: k.layout, entries });
      if (this.bindGroups.size >= MAX_BIND_GROUPS) this.bindGroups.clear();
      this.bindGroups.set(key, group);
    }
    if (!this.pass) this.pass = enc.beginComputePass();
    this.pass.setPipeline(k.pipeline);
    this.pass.setBindGroup(0, group, [offset]);
    this.pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    if (++this.dispatches >= MAX_BATCH) this.flush();
  }

  private bufferId(b: GPUBuffer): number {
    let id = this.bufferIds.get(b);
    if (id === undefined) this.bufferIds.set(b, (id = this.nextBufferId++));
    return id;
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (!this.encoder) return;
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    if (this.arenaUsed > 0) this.device.queue.writeBuffer(this.arena, 0, this.host.buffer, 0, this.arenaUsed);
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.arenaUsed = 0;
    this.dispatches = 0;
    this.batchId++;
    for (const b of this.afterSubmit) b.destroy();
    this.afterSubmit.length = 0;
  }

  /** Whether commands recorded but not yet submitted use the buffer. */
  private inPendingBatch(buffer: GPUBuffer): boolean {
    return this.encoder !== null && this.lastUse.get(buffer) === this.batchId;
  }

  /** Destroys a buffer once no unsubmitted command uses it. */
  destroyLater(buffer: GPUBuffer): void {
    if (this.inPendingBatch(buffer)) this.afterSubmit.push(buffer);
    else buffer.destroy();
  }

  /** Uploads host data; submits first if unsubmitted commands still use the (reused) buffer. */
  upload(s: GpuStorage, data: ArrayBufferView): void {
    if (this.inPendingBatch(s.buffer)) this.flush();
    if (data.byteLength > 0)
      this.device.queue.writeBuffer(s.buffer, s.byteOffset, data.buffer, data.byteOffset, data.byteLength);
  }

  /**
   * Copies `bytes` of a storage back to the host (submits the batch). Where a kernel
   * that checks indices ran since the last read, the index status travels in the same
   * staging buffer and is cleared in the same submit, so each bad index is reported
   * once, by the first read after it, which throws it (an ArgumentError naming the
   * kernel) rather than return data. A read of nothing reads nothing, status included.
   */
  async download(s: GpuStorage, bytes: number, op: string): Promise<ArrayBuffer> {
    if (bytes === 0) return new ArrayBuffer(0);
    const withStatus = this.statusUsed;
    const staging = this.device.createBuffer({
      size: bytes + (withStatus ? INDEX_STATUS_BYTES : 0),
      usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
    });
    const enc = this.begin();
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    enc.copyBufferToBuffer(s.buffer, s.byteOffset, staging, 0, bytes);
    this.lastUse.set(s.buffer, this.batchId);
    if (withStatus) {
      // Commands run in submission order: a read submitted after this one sees the
      // cleared status (or a bad index recorded after it), never this one's again.
      enc.copyBufferToBuffer(this.statusStorage.buffer, 0, staging, bytes, INDEX_STATUS_BYTES);
      enc.clearBuffer(this.statusStorage.buffer);
      this.statusUsed = false;
    }
    this.flush();
    try {
      await staging.mapAsync(MapMode.READ);
    } catch (e) {
      staging.destroy();
      // Wait briefly for the cause, so the read reports it rather than the symptom: a lost device
      // (a destroyed device fails the mapping before its `lost` promise settles; the handler that
      // sets this.lost was attached first, so it has run when this race sees the loss) or a queued
      // uncapturederror.
      await Promise.race([this.device.lost, new Promise((r) => setTimeout(r, LOSS_WAIT_MS))]);
      if (this.lost) throw this.lost;
      this.check(op);
      throw new BackendError(`webgpu: ${op}: reading a buffer back failed (${(e as Error).message})`);
    }
    const mapped = staging.getMappedRange();
    const out = mapped.slice(0, bytes);
    const found = withStatus ? indexStatusError(new Uint32Array(mapped, bytes, INDEX_STATUS_BYTES / 4)) : null;
    staging.unmap();
    staging.destroy();
    this.pendingIndex ??= found;
    // A device or validation error outranks a bad index, which the next read then reports.
    this.check(op);
    const bad = this.pendingIndex;
    if (bad) {
      this.pendingIndex = null;
      throw bad;
    }
    return out;
  }

  /** Waits until the GPU has finished everything submitted so far. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    if (this.lost) throw this.lost;
  }

  destroy(): void {
    this.flush();
    this.destroying = true;
    this.arena.destroy();
    this.statusStorage.buffer.destroy();
    this.device.destroy();
  }
}

/** Whether the adapter is a CPU implementation of Vulkan/WebGPU rather than a GPU. */
export function isSoftwareAdapter(info: GPUAdapterInfo | undefined): boolean {
  if (!info) return false;
  if (info.isFallbackAdapter) return true;
  return /swiftshader|llvmpipe|lavapipe/i.test(`${info.architecture} ${info.device} ${info.description}`);
}

/** Splits `n` workgroups over x and y so neither exceeds the per-dimension limit. */
export function grid(n: number, limit = 65535): [number, number, number] {
  if (n <= limit) return [n, 1, 1];
  const y = Math.ceil(n / limit);
  return [Math.ceil(n / y), y, 1];
}
