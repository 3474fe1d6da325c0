import type { Backend, View } from './backend';
import type { DType, TypedArray } from './dtype';
import { autogradHooks, trackTensor } from './engine';
import { BackendError, DisposedError, DTypeError, GradientError, ShapeError } from './errors';
import { formatTensor } from './format';
import { HandleRefs, releaseHandle, watch } from './handles';
import { settleIndexChecks } from './lowerings/index';
import * as ops from './ops/index';
import type { NestedArray } from './ops/nested';
import { contiguousStrides, sizeOf } from './shape';
import type { Storage } from './storage';

/** What autograd attaches to a tensor made by a recorded op. */
export interface GradNode {
  readonly op: string;
  /** Called when a tensor holding this node is disposed, or collected by the GC safety net. */
  release(): void;
}

export type TensorLike = Tensor | number;

let nextId = 0;

/**
 * An n-d array on a backend: a strided view (shape, strides, offset) of a
 * reference-counted storage. Views share storage; `dispose()` releases this
 * handle, and the storage is freed with its last handle. A handle that becomes
 * unreachable without dispose() is released after the garbage collector finds it
 * (handles.ts): a safety net, counted by memory().reclaimed, not a replacement.
 */
export class Tensor {
  readonly id = nextId++;
  readonly shape: readonly number[];
  /** Element strides of this view (changed only by assign, which makes the tensor dense). */
  strides: readonly number[];
  offset: number;
  readonly dtype: DType;
  readonly size: number;
  /** Gradient accumulated by backward(); null until then. */
  grad: Tensor | null = null;
  /** What this handle owns (its storage reference, its graph node), apart from the handle for the safety net. */
  private readonly refs: HandleRefs;
  private _requiresGrad = false;
  private _kept = false;

  /** `storage`: a reference this handle takes over (retain it first if shared). */
  constructor(storage: Storage, shape: readonly number[], strides: readonly number[], offset: number, dtype: DType) {
    this.refs = new HandleRefs(storage, null);
    this.shape = shape;
    this.strides = strides;
    this.offset = offset;
    this.dtype = dtype;
    this.size = sizeOf(shape);
    trackTensor(this, this.refs);
  }

  /** @internal The storage this view reads. */
  get storage(): Storage {
    return this.refs.storage;
  }

  /** @internal Set by autograd on tensors produced by recorded ops; released with this handle. */
  get gradFn(): GradNode | null {
    return this.refs.gradFn as GradNode | null;
  }

  set gradFn(node: GradNode | null) {
    this.refs.gradFn = node;
  }

  get rank(): number {
    return this.shape.length;
  }

  get backend(): Backend {
    return this.storage.backend;
  }

  get isDisposed(): boolean {
    return this.refs.released;
  }

  /** @internal True once keep() exempted this tensor from tidy. */
  get isKept(): boolean {
    return this._kept;
  }

  /** Whether autograd tracks operations on this tensor (float32 only). */
  get requiresGrad(): boolean {
    return this._requiresGrad;
  }

  set requiresGrad(on: boolean) {
    if (on && this.dtype !== 'float32') {
      throw new DTypeError(`requiresGrad: only float32 tensors can require gradients, this one is ${this.dtype}`);
    }
    this._requiresGrad = on;
  }

  /** True for tensors the user created (not made by a recorded op). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** @internal The strided view kernels receive. */
  view(): View {
    return {
      data: this.storage.data,
      dtype: this.dtype,
      shape: this.shape,
      strides: this.strides,
      offset: this.offset,
    };
  }

  /** @internal Throws DisposedError naming the op if this tensor was disposed. */
  assertAlive(op: string): void {
    if (this.refs.released) {
      throw new DisposedError(
        `${op}: tensor #${this.id} (shape [${this.shape.join(',')}], ${this.dtype}) was disposed and cannot be used`,
      );
    }
  }

  /** Releases this handle (and its storage, if no other view holds it). Safe to call twice. */
  dispose(): void {
    const refs = this.refs;
    if (!releaseHandle(refs)) return;
    refs.storage.release();
    const node = refs.gradFn;
    if (node) {
      refs.gradFn = null;
      node.release();
    }
  }

  /** @internal Puts this handle under the safety net once no tidy() scope holds it. */
  watch(): void {
    watch(this, this.refs);
  }

  /** Exempts this tensor from the enclosing tidy(). */
  keep(): this {
    this._kept = true;
    return this;
  }

  // ---- reading ----------------------------------------------------------------

  /** The values as a flat row-major typed array (a copy). */
  async data(): Promise<TypedArray> {
    this.assertAlive('data');
    const c = this.isPlain() ? this : ops.copyContiguous(this);
    try {
      // Index checks run on the device by checkIndices' lowering report here (the Backend contract).
      await settleIndexChecks(c.storage.backend);
      const all = await c.storage.backend.read(c.storage.data);
      return c.size === all.length ? all : all.slice(0, c.size);
    } finally {
      if (c !== this) c.dispose();
    }
  }

  /** The values synchronously, where the backend can (the CPU backend can, WebGPU cannot). */
  dataSync(): TypedArray {
    this.assertAlive('dataSync');
    const read = this.storage.backend.readSync;
    if (!read) {
      throw new BackendError(`dataSync: backend '${this.backend.name}' cannot read synchronously; use await t.data()`);
    }
    const c = this.isPlain() ? this : ops.copyContiguous(this);
    try {
      const all = read.call(c.storage.backend, c.storage.data);
      return c.size === all.length ? all : all.slice(0, c.size);
    } finally {
      if (c !== this) c.dispose();
    }
  }

  /** The values as nested JS arrays (booleans for bool tensors). */
  async array(): Promise<NestedArray> {
    return ops.toNested(await this.data(), this.shape, this.dtype);
  }

  arraySync(): NestedArray {
    return ops.toNested(this.dataSync(), this.shape, this.dtype);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item: tensor has ${this.size} elements, expected exactly 1`);
    return this.dataSync()[0];
  }

  /** NumPy-style text of the values (elided when large). Needs a synchronous backend. */
  toString(): string {
    if (this.refs.released) return `Tensor(disposed, shape=[${this.shape.join(',')}], dtype=${this.dtype})`;
    if (!this.storage.backend.readSync)
      return `Tensor(shape=[${this.shape.join(',')}], dtype=${this.dtype}, backend=${this.backend.name})`;
    return formatTensor(this.dataSync(), this.shape, this.dtype);
  }

  print(): void {
    console.log(this.toString());
  }

  /** True when this handle covers its whole storage in row-major order. */
  private isPlain(): boolean {
    return this.offset === 0 && this.storage.size === this.size && ops.isContiguousTensor(this);
  }

  // ---- autograd ---------------------------------------------------------------

  /** Computes gradients of this tensor with respect to every leaf that requires grad. */
  backward(seed?: Tensor, options?: { retainGraph?: boolean }): void {
    const h = autogradHooks();
    if (!h) {
      throw new GradientError(
        'backward: autograd is not loaded; import it once, e.g. `import { backward } from "@tsdl/autograd"`',
      );
    }
    h.backward(this, seed, options);
  }

  /** A tensor sharing this one's storage, cut from the graph. */
  detach(): Tensor {
    return ops.detach(this);
  }

  /** Clears the accumulated gradient. */
  zeroGrad(): void {
    this.grad?.dispose();
    this.grad = null;
  }

  /** Replaces this tensor's values with `value`'s (same shape; cast to this dtype), in place. */
  assign(value: Tensor): this {
    ops.assign(this, value);
    return this;
  }

  /** @internal Swaps in new dense storage of the same shape and dtype; used by assign. */
  replaceStorage(next: Storage): void {
    this.refs.storage.release();
    this.refs.storage = next;
    this.strides = contiguousStrides(this.shape);
    this.offset = 0;
  }

  // ---- moving between backends ---------------------------------------------------

  /** A copy on `backend` (synchronous; the source backend must allow synchronous reads). */
  to(backend: Backend): Tensor {
    return ops.toBackend(this, backend);
  }

  /** A copy on `backend`, reading asynchronously (works from any backend). */
  toAsync(backend: Backend): Promise<Tensor> {
    return ops.toBackendAsync(this, backend);
  }

  // ---- op methods ----------------------------------------------------------------
  add(b: TensorLike): Tensor {
    return ops.add(this, b);
  }
  sub(b: TensorLike): Tensor {
    return ops.sub(this, b);
  }
  mul(b: TensorLike): Tensor {
    return ops.mul(this, b);
  }
  div(b: TensorLike): Tensor {
    return ops.div(this, b);
  }
  pow(b: TensorLike): Tensor {
    return ops.pow(this, b);
  }
  maximum(b: TensorLike): Tensor {
    return ops.maximum(this, b);
  }
  minimum(b: TensorLike): Tensor {
    return ops.minimum(this, b);
  }
  eq(b: TensorLike): Tensor {
    return ops.eq(this, b);
  }
  ne(b: TensorLike): Tensor {
    return ops.ne(this, b);
  }
  lt(b: TensorLike): Tensor {
    return ops.lt(this, b);
  }
  le(b: TensorLike): Tensor {
    return ops.le(this, b);
  }
  gt(b: TensorLike): Tensor {
    return ops.gt(this, b);
  }
  ge(b: TensorLike): Tensor {
    return ops.ge(this, b);
  }
  logicalAnd(b: TensorLike): Tensor {
    return ops.logicalAnd(this, b);
  }
  logicalOr(b: TensorLike): Tensor {
    return ops.logicalOr(this, b);
  }
  logicalNot(): Tensor {
    return ops.logicalNot(this);
  }
  neg(): Tensor {
    return ops.neg(this);
  }
  abs(): Tensor {
    return ops.abs(this);
  }
  exp(): Tensor {
    return ops.exp(this);
  }
  expm1(): Tensor {
    return ops.expm1(this);
  }
  log(): Tensor {
    return ops.log(this);
  }
  log1p(): Tensor {
    return ops.log1p(this);
  }
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  rsqrt(): Tensor {
    return ops.rsqrt(this);
  }
  square(): Tensor {
    return ops.square(this);
  }
  reciprocal(): Tensor {
    return ops.reciprocal(this);
  }
  sin(): Tensor {
    return ops.sin(this);
  }
  cos(): Tensor {
    return ops.cos(this);
  }
  tanh(): Tensor {
    return ops.tanh(this);
  }
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }
  relu(): Tensor {
    return ops.relu(this);
  }
  leakyRelu(alpha?: number): Tensor {
    return ops.leakyRelu(this, alpha);
  }
  elu(alpha?: number): Tensor {
    return ops.elu(this, alpha);
  }
  gelu(approximate?: 'none' | 'tanh'): Tensor {
    return ops.gelu(this, approximate);
  }
  softplus(): Tensor {
    return ops.softplus(this);
  }
  erf(): Tensor {
    return ops.erf(this);
  }
  sign(): Tensor {
    return ops.sign(this);
  }
  floor(): Tensor {
    return ops.floor(this);
  }
  ceil(): Tensor {
    return ops.ceil(this);
  }
  round(): Tensor {
    return ops.round(this);
  }
  clip(min: number, max: number): Tensor {
    return ops.clip(this, min, max);
  }
  cast(dtype: DType): Tensor {
    return ops.cast(this, dtype);
  }

  sum(axes?: number | number[], keepDims?: boolean): Tensor {
    return ops.sum(this, axes, keepDims);
  }
  mean(axes?: number | number[], keepDims?: boolean): Tensor {
    return ops.mean(this, axes, keepDims);
  }
  max(axes?: number | number[], keepDims?: boolean): Tensor {
    return ops.max(this, axes, keepDims);
  }
  min(axes?: number | number[], keepDims?: boolean): Tensor {
    return ops.min(this, axes, keepDims);
  }
  prod(axes?: number | number[], keepDims?: boolean): Tensor {
    return ops.prod(this, axes, keepDims);
  }
  argmax(axis?: number, keepDims?: boolean): Tensor {
    return ops.argmax(this, axis, keepDims);
  }
  argmin(axis?: number, keepDims?: boolean): Tensor {
    return ops.argmin(this, axis, keepDims);
  }
  variance(axes?: number | number[], keepDims?: boolean, correction?: number): Tensor {
    return ops.variance(this, axes, { keepDims, correction });
  }
  std(axes?: number | number[], keepDims?: boolean, correction?: number): Tensor {
    return ops.std(this, axes, { keepDims, correction });
  }
  logSumExp(axes?: number | number[], keepDims?: boolean): Tensor {
    return ops.logSumExp(this, axes, keepDims);
  }
  all(axes?: number | number[], keepDims?: boolean): Tensor {
    return ops.all(this, axes, keepDims);
  }
  any(axes?: number | number[], keepDims?: boolean): Tensor {
    return ops.any(this, axes, keepDims);
  }

  matmul(b: Tensor): Tensor {
    return ops.matmul(this, b);
  }
  dot(b: Tensor): Tensor {
    return ops.dot(this, b);
  }

  reshape(shape: readonly number[]): Tensor {
    return ops.reshape(this, shape);
  }
  flatten(startAxis?: number, endAxis?: number): Tensor {
    return ops.flatten(this, startAxis, endAxis);
  }
  squeeze(axes?: number | number[]): Tensor {
    return ops.squeeze(this, axes);
  }
  unsqueeze(axis: number): Tensor {
    return ops.unsqueeze(this, axis);
  }
  transpose(perm?: readonly number[]): Tensor {
    return ops.transpose(this, perm);
  }
  permute(perm: readonly number[]): Tensor {
    return ops.transpose(this, perm);
  }
  /** All axes reversed, as NumPy's .T (the matrix transpose for 2-D). */
  get T(): Tensor {
    return ops.transpose(this);
  }
  broadcastTo(shape: readonly number[]): Tensor {
    return ops.broadcastTo(this, shape);
  }
  slice(begin: readonly (number | null)[], end?: readonly (number | null)[], step?: readonly number[]): Tensor {
    return ops.slice(this, begin, end, step);
  }
  pad(pads: readonly (readonly [number, number])[], value?: number): Tensor {
    return ops.pad(this, pads, value);
  }
  tile(reps: readonly number[]): Tensor {
    return ops.tile(this, reps);
  }
  gather(indices: Tensor, axis?: number): Tensor {
    return ops.gather(this, indices, axis);
  }
  split(sizes: number | readonly number[], axis?: number): Tensor[] {
    return ops.split(this, sizes, axis);
  }
  contiguous(): Tensor {
    return ops.contiguous(this);
  }
  clone(): Tensor {
    return ops.clone(this);
  }
  softmax(axis?: number): Tensor {
    return ops.softmax(this, axis);
  }
  logSoftmax(axis?: number): Tensor {
    return ops.logSoftmax(this, axis);
  }
  cumsum(axis: number, options?: ops.CumulativeOptions): Tensor {
    return ops.cumsum(this, axis, options);
  }
  cumprod(axis: number, options?: ops.CumulativeOptions): Tensor {
    return ops.cumprod(this, axis, options);
  }
  flip(axes?: number | readonly number[]): Tensor {
    return ops.flip(this, axes);
  }
  tril(k?: number): Tensor {
    return ops.tril(this, k);
  }
  triu(k?: number): Tensor {
    return ops.triu(this, k);
  }
  topk(k: number, options?: ops.TopkOptions): ops.TopkResult {
    return ops.topk(this, k, options);
  }
}
