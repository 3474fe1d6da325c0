import type { Backend, View } from './backend';
import type { DType, TypedArray } from './dtype';
import { activeTrace } from './capture/active';
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

/**
 * The parameters of op `F` after its tensor operand: a method takes exactly what its function
 * does (`x.variance(...a)` is `variance(x, ...a)`), so the two cannot drift apart.
 */
export type OpArgs<F> = F extends (x: Tensor, ...rest: infer R) => unknown ? R : never;

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
    activeTrace()?.assigned(this, next);
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
  add(...args: OpArgs<typeof ops.add>): Tensor {
    return ops.add(this, ...args);
  }
  sub(...args: OpArgs<typeof ops.sub>): Tensor {
    return ops.sub(this, ...args);
  }
  mul(...args: OpArgs<typeof ops.mul>): Tensor {
    return ops.mul(this, ...args);
  }
  div(...args: OpArgs<typeof ops.div>): Tensor {
    return ops.div(this, ...args);
  }
  pow(...args: OpArgs<typeof ops.pow>): Tensor {
    return ops.pow(this, ...args);
  }
  maximum(...args: OpArgs<typeof ops.maximum>): Tensor {
    return ops.maximum(this, ...args);
  }
  minimum(...args: OpArgs<typeof ops.minimum>): Tensor {
    return ops.minimum(this, ...args);
  }
  eq(...args: OpArgs<typeof ops.eq>): Tensor {
    return ops.eq(this, ...args);
  }
  ne(...args: OpArgs<typeof ops.ne>): Tensor {
    return ops.ne(this, ...args);
  }
  lt(...args: OpArgs<typeof ops.lt>): Tensor {
    return ops.lt(this, ...args);
  }
  le(...args: OpArgs<typeof ops.le>): Tensor {
    return ops.le(this, ...args);
  }
  gt(...args: OpArgs<typeof ops.gt>): Tensor {
    return ops.gt(this, ...args);
  }
  ge(...args: OpArgs<typeof ops.ge>): Tensor {
    return ops.ge(this, ...args);
  }
  logicalAnd(...args: OpArgs<typeof ops.logicalAnd>): Tensor {
    return ops.logicalAnd(this, ...args);
  }
  logicalOr(...args: OpArgs<typeof ops.logicalOr>): Tensor {
    return ops.logicalOr(this, ...args);
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
  leakyRelu(...args: OpArgs<typeof ops.leakyRelu>): Tensor {
    return ops.leakyRelu(this, ...args);
  }
  elu(...args: OpArgs<typeof ops.elu>): Tensor {
    return ops.elu(this, ...args);
  }
  gelu(...args: OpArgs<typeof ops.gelu>): Tensor {
    return ops.gelu(this, ...args);
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
  clip(...args: OpArgs<typeof ops.clip>): Tensor {
    return ops.clip(this, ...args);
  }
  cast(...args: OpArgs<typeof ops.cast>): Tensor {
    return ops.cast(this, ...args);
  }

  sum(...args: OpArgs<typeof ops.sum>): Tensor {
    return ops.sum(this, ...args);
  }
  mean(...args: OpArgs<typeof ops.mean>): Tensor {
    return ops.mean(this, ...args);
  }
  max(...args: OpArgs<typeof ops.max>): Tensor {
    return ops.max(this, ...args);
  }
  min(...args: OpArgs<typeof ops.min>): Tensor {
    return ops.min(this, ...args);
  }
  prod(...args: OpArgs<typeof ops.prod>): Tensor {
    return ops.prod(this, ...args);
  }
  argmax(...args: OpArgs<typeof ops.argmax>): Tensor {
    return ops.argmax(this, ...args);
  }
  argmin(...args: OpArgs<typeof ops.argmin>): Tensor {
    return ops.argmin(this, ...args);
  }
  variance(...args: OpArgs<typeof ops.variance>): Tensor {
    return ops.variance(this, ...args);
  }
  std(...args: OpArgs<typeof ops.std>): Tensor {
    return ops.std(this, ...args);
  }
  logSumExp(...args: OpArgs<typeof ops.logSumExp>): Tensor {
    return ops.logSumExp(this, ...args);
  }
  all(...args: OpArgs<typeof ops.all>): Tensor {
    return ops.all(this, ...args);
  }
  any(...args: OpArgs<typeof ops.any>): Tensor {
    return ops.any(this, ...args);
  }

  matmul(...args: OpArgs<typeof ops.matmul>): Tensor {
    return ops.matmul(this, ...args);
  }
  dot(...args: OpArgs<typeof ops.dot>): Tensor {
    return ops.dot(this, ...args);
  }

  reshape(...args: OpArgs<typeof ops.reshape>): Tensor {
    return ops.reshape(this, ...args);
  }
  flatten(...args: OpArgs<typeof ops.flatten>): Tensor {
    return ops.flatten(this, ...args);
  }
  squeeze(...args: OpArgs<typeof ops.squeeze>): Tensor {
    return ops.squeeze(this, ...args);
  }
  unsqueeze(...args: OpArgs<typeof ops.unsqueeze>): Tensor {
    return ops.unsqueeze(this, ...args);
  }
  transpose(...args: OpArgs<typeof ops.transpose>): Tensor {
    return ops.transpose(this, ...args);
  }
  permute(perm: readonly number[]): Tensor {
    return ops.transpose(this, perm);
  }
  /** All axes reversed, as NumPy's .T (the matrix transpose for 2-D). */
  get T(): Tensor {
    return ops.transpose(this);
  }
  broadcastTo(...args: OpArgs<typeof ops.broadcastTo>): Tensor {
    return ops.broadcastTo(this, ...args);
  }
  slice(...args: OpArgs<typeof ops.slice>): Tensor {
    return ops.slice(this, ...args);
  }
  pad(...args: OpArgs<typeof ops.pad>): Tensor {
    return ops.pad(this, ...args);
  }
  tile(...args: OpArgs<typeof ops.tile>): Tensor {
    return ops.tile(this, ...args);
  }
  gather(...args: OpArgs<typeof ops.gather>): Tensor {
    return ops.gather(this, ...args);
  }
  split(...args: OpArgs<typeof ops.split>): Tensor[] {
    return ops.split(this, ...args);
  }
  contiguous(): Tensor {
    return ops.contiguous(this);
  }
  clone(): Tensor {
    return ops.clone(this);
  }
  softmax(...args: OpArgs<typeof ops.softmax>): Tensor {
    return ops.softmax(this, ...args);
  }
  logSoftmax(...args: OpArgs<typeof ops.logSoftmax>): Tensor {
    return ops.logSoftmax(this, ...args);
  }
  cumsum(...args: OpArgs<typeof ops.cumsum>): Tensor {
    return ops.cumsum(this, ...args);
  }
  cumprod(...args: OpArgs<typeof ops.cumprod>): Tensor {
    return ops.cumprod(this, ...args);
  }
  flip(...args: OpArgs<typeof ops.flip>): Tensor {
    return ops.flip(this, ...args);
  }
  tril(...args: OpArgs<typeof ops.tril>): Tensor {
    return ops.tril(this, ...args);
  }
  triu(...args: OpArgs<typeof ops.triu>): Tensor {
    return ops.triu(this, ...args);
  }
  topk(...args: OpArgs<typeof ops.topk>): ops.TopkResult {
    return ops.topk(this, ...args);
  }
}
