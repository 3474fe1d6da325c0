import type { DType, TypedArray } from './dtype';
import type { Expr } from './expr';

/**
 * The Backend contract: the only way work reaches a device.
 *
 * A backend is a required core (`CoreBackend`: storage, elementwise expressions,
 * reduce, matmul, the movement copies concat/pad/gather/scatterAdd, counter-based
 * random) plus any of the optional accelerations (`Accelerations`: convolution and
 * its gradients, pooling, softmax, fused cross-entropy, grouped elementwise, device
 * index checks). Every acceleration has a reference lowering on the core in
 * `lowerings/` that the frontend runs where the backend lacks it, so the core alone
 * runs every op (tooling/backend-reference is such a backend), and an acceleration
 * must give its lowering's values.
 *
 * Storage is an opaque handle the backend owns. Every kernel takes strided
 * views (shape + strides + offset over a storage); a kernel handles the strides
 * or makes a contiguous copy itself. Every kernel returns new, contiguous,
 * row-major storage of the documented shape. The frontend (`@tsdl/tensor`) has
 * already validated shapes, axes and dtypes, so kernels do no checking of their
 * own, with one exception: indices.
 *
 * Index ranges (the rule: ops/index-range.ts). Valid indices are int32 values in
 * [0, size) (and an op's allowed `ignore` value, nn's ignoreIndex). The frontend throws
 * a bad one from the call, naming the op, the value and its position, wherever the host
 * knows the values: always on a backend with `readSync`, which so never receives a bad
 * index, and elsewhere for int32 written from host data and views of it. A backend
 * without `readSync` can receive one computed on its device (a cast of float labels,
 * `add(labels, 1)`, a batch gathered from host labels); then:
 * - a kernel that takes the indices (gather, scatterAdd, and the accelerations
 *   softmaxCrossEntropy and its gradient) must not read or write out of bounds,
 *   must write the documented defined value (gather 0, scatterAdd skips the
 *   update, cross-entropy a NaN row), and the backend must report the index as an
 *   ArgumentError naming the op and the range, either at once or by rejecting the
 *   next `read` (a GPU learns it only when the device has run the kernel);
 * - where no kernel sees them as indices (oneHot is an elementwise `eq`, which gives
 *   a bad one a zero row), the frontend calls `checkIndices`: the backend's, or its
 *   lowering, which checks on the device with core kernels and reports at the next
 *   `Tensor.data()` read from that backend.
 */
export type DataId = object;

/** A strided view of a backend storage. Strides are in elements; 0 on broadcast dims. */
export interface View {
  readonly data: DataId;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

export interface BackendMemory {
  /** Storages currently allocated (pooled, freed buffers not counted). */
  buffers: number;
  /** Bytes in those storages. */
  bytes: number;
}

/**
 * One elementwise kernel: `exprs[k]` computes output k at every index of
 * `shape`. Inputs are already broadcast to `shape` (same rank, stride 0 on
 * broadcast dims). `key` is a canonical text of the expressions for caching.
 */
export interface ElementwiseSpec {
  readonly exprs: readonly Expr[];
  readonly inputs: readonly View[];
  /** Values of the expressions' `scalar` leaves, passed at run time (not part of `key`). */
  readonly scalars: readonly number[];
  readonly shape: readonly number[];
  readonly dtypes: readonly DType[];
  readonly key: string;
}

/**
 * One elementwise expression list run over several independent groups of
 * inputs in one call: a multi-tensor update (an optimizer step over every
 * parameter). Group g's inputs are dense row-major float32 views of
 * `sizes[g]` elements each (offsets allowed, no broadcast) and its scalar
 * leaves take `scalars[g]`; every output is float32. `key` is the
 * expressions' canonical text, as in ElementwiseSpec.
 */
export interface ElementwiseGroupsSpec {
  readonly exprs: readonly Expr[];
  readonly key: string;
  readonly groups: readonly ElementwiseGroup[];
}

export interface ElementwiseGroup {
  readonly inputs: readonly View[];
  readonly scalars: readonly number[];
  readonly size: number;
}

export type ReduceOp = 'sum' | 'prod' | 'max' | 'min' | 'argmax' | 'argmin' | 'any' | 'all';

/**
 * Whether a reduction view (kept dims leading, `split` of them, `outer`
 * elements; reduced dims trailing) is a dense [inner, outer] block: the kept
 * dims dense among themselves with the innermost stride 1, and the reduced
 * dims stepping over whole kept blocks. Such a reduction sums columns (a bias
 * gradient over the batch), which backends do without permuting the data.
 */
export function isColumnLayout(v: View, split: number, outer: number): boolean {
  let s = 1;
  for (let i = split - 1; i >= 0; i--) {
    if (v.shape[i] !== 1 && v.strides[i] !== s) return false;
    s *= v.shape[i];
  }
  if (s !== outer) return false;
  for (let i = v.shape.length - 1; i >= split; i--) {
    if (v.shape[i] !== 1 && v.strides[i] !== s) return false;
    s *= v.shape[i];
  }
  return true;
}

/**
 * The value a reduction starts from, and gives over an empty block: part of
 * the contract, so every backend takes it from here (argmax/argmin: index 0).
 */
export function reduceIdentity(op: ReduceOp): number {
  switch (op) {
    case 'sum':
    case 'any':
    case 'argmax':
    case 'argmin':
      return 0;
    case 'prod':
    case 'all':
      return 1;
    case 'max':
      return -Infinity;
    case 'min':
      return Infinity;
  }
}

/** Convolution geometry, channels-last (NHWC input, HWIO filter). */
export interface Conv2dParams {
  readonly batch: number;
  readonly inH: number;
  readonly inW: number;
  readonly inC: number;
  readonly outH: number;
  readonly outW: number;
  readonly outC: number;
  readonly kH: number;
  readonly kW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly padTop: number;
  readonly padLeft: number;
}

/** Pooling geometry, channels-last (NHWC). Padding cells are ignored by max and by avg's divisor. */
export interface Pool2dParams {
  readonly kind: 'max' | 'avg';
  readonly batch: number;
  readonly inH: number;
  readonly inW: number;
  readonly channels: number;
  readonly outH: number;
  readonly outW: number;
  readonly kH: number;
  readonly kW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padTop: number;
  readonly padLeft: number;
}

/**
 * What every backend implements: storage, elementwise expressions, reductions,
 * matmul, the movement copies and random. Everything else the frontend lowers
 * onto these (see Accelerations).
 */
export interface CoreBackend {
  /** A short name for messages and memory reports: 'cpu', 'webgpu' … */
  readonly name: string;

  // ---- storage ----------------------------------------------------------
  /** Creates storage holding a copy of `values` (already of `dtype`'s array type). */
  write(values: TypedArray, dtype: DType): DataId;
  /**
   * Reads a whole storage back to the host. Rejects with an ArgumentError,
   * returning no values, when a kernel met an index out of range since the
   * backend last reported one and did not throw at once (see the contract
   * above): one read reports it, so later reads return values again.
   */
  read(data: DataId): Promise<TypedArray>;
  /**
   * Optional capability: a synchronous read, where the device allows it (absent on
   * WebGPU). With it, dataSync and printing work, and the frontend checks every index
   * at the call (see the contract above).
   */
  readSync?(data: DataId): TypedArray;
  /** Releases a storage; the frontend calls it exactly once per storage. */
  free(data: DataId): void;
  memory(): BackendMemory;
  /**
   * Optional capability: the most elements one storage of `dtype` can ever hold (at
   * least 2^24), so the frontend refuses a larger tensor with a ShapeError before
   * building or allocating anything. Without it the frontend assumes a JavaScript
   * typed array's limit (2^32 bytes).
   */
  maxElements?(dtype: DType): number;

  // ---- compute ------------------------------------------------------------
  /**
   * Elementwise expressions over broadcast views; one storage per expression, each
   * element `evalExpr` of the inputs' elements, stored as its dtype (float32 rounds,
   * int32 truncates toward zero, bool is value != 0).
   */
  elementwise(spec: ElementwiseSpec): DataId[];
  /**
   * Reduces the last `axes` axes of `x` (the frontend permutes the view so the
   * reduced axes trail); the result holds one value per index of the leading
   * axes, row-major. argmax/argmin return int32 indices into the flattened
   * reduced block (first occurrence; a NaN wins, the first NaN), any/all return
   * bool; the others are stored as `outDtype`. max and min propagate NaN. An
   * empty reduced block gives the op's identity (reduceIdentity: sum 0, prod 1,
   * max -Infinity, min Infinity, any false, all true, argmax 0).
   */
  reduce(op: ReduceOp, x: View, axes: number, outDtype: DType): DataId;
  /** Concatenates views along `axis`; all have the output's rank and dtype. */
  concat(xs: readonly View[], axis: number, outShape: readonly number[]): DataId;
  /** Pads each axis by [before, after] cells of `value`. */
  pad(x: View, pads: readonly (readonly [number, number])[], value: number): DataId;
  /**
   * out[..., i, ...] = x[..., indices[i], ...] along `axis`; indices int32 of any
   * shape (out.shape = x.shape[:axis] + indices.shape + x.shape[axis+1:]), in range
   * where the frontend could check them. An index outside [0, x.shape[axis]) gives 0
   * and is reported (see the contract above).
   */
  gather(x: View, indices: View, axis: number): DataId;
  /**
   * The adjoint of gather: a zero tensor of `outShape` with updates added at
   * `indices` along `axis`. An update at an index outside [0, outShape[axis])
   * is skipped and reported (see the contract above).
   */
  scatterAdd(updates: View, indices: View, axis: number, outShape: readonly number[]): DataId;
  /**
   * Batched matmul, float32: a [...B, M, K] @ b [...B, K, N] -> [...B, M, N].
   * Batch dims are already broadcast (stride 0 where repeated). A transposed
   * operand arrives as a view with swapped strides: the kernel reads it as is.
   */
  matmul(a: View, b: View): DataId;
  /**
   * `size` float32 values of a counter-based stream: element i depends only on
   * (key, i), so results are reproducible and identical on every backend that
   * follows `randomUniform` / `randomNormal` in random.ts.
   */
  random(dist: 'uniform' | 'normal', size: number, key: number): DataId;

  /** Optional: releases everything the backend holds (devices, pools). */
  dispose?(): void;
}

/**
 * Optional kernels: fast paths for work the frontend otherwise lowers onto the core
 * (`lowerings/`: conv2d and its gradients by im2col + matmul, pooling over im2col
 * windows, softmax from max/exp/sum, cross-entropy from logSoftmax, layer norm from row
 * means, one elementwise
 * kernel per group, a device index check reported at the next read). A backend
 * implements any of them; each must give its lowering's values (up to float32
 * rounding), which the conformance suite checks on every backend that has it.
 */
export interface Accelerations {
  /**
   * `spec.exprs` over every group at once, returning each group's
   * outputs (one storage per expression). A backend whose per-kernel cost is
   * high (a GPU) launches far fewer kernels this way; the lowering runs one
   * elementwise kernel per group.
   */
  elementwiseGroups(spec: ElementwiseGroupsSpec): DataId[][];
  /** x [N,H,W,C] (*) w [kH,kW,C,O] -> [N,outH,outW,O]; cells outside the input read 0. */
  conv2d(x: View, w: View, p: Conv2dParams): DataId;
  /** d(conv2d)/dx: dy [N,outH,outW,O], w -> dx [N,H,W,C]. */
  conv2dGradInput(dy: View, w: View, p: Conv2dParams): DataId;
  /** d(conv2d)/dw: x, dy -> dw [kH,kW,C,O]. */
  conv2dGradFilter(x: View, dy: View, p: Conv2dParams): DataId;
  /**
   * Max or average pooling, NHWC: padding never wins a max (a window of −Infinity gives
   * −Infinity; NaN propagates) and is not counted in an average's divisor.
   */
  pool2d(x: View, p: Pool2dParams): DataId;
  /**
   * Pooling gradient: dy [N,outH,outW,C] -> dx [N,H,W,C] (x is needed by max). A max
   * window's gradient goes to its first maximum (none for a window of −Infinity; with a
   * NaN in the window, which cell gets it is unspecified); an average's is spread evenly
   * over the window's cells inside the input.
   */
  pool2dGrad(x: View, dy: View, p: Pool2dParams): DataId;
  /**
   * Softmax (or log-softmax) over the last axis, numerically stable: each row shifted
   * by its max (by 0 for a row of −Infinity, which gives NaN).
   */
  softmax(x: View, log: boolean): DataId;
  /**
   * Fused softmax cross-entropy over the rows of `logits` [N, C]
   * (float32): loss[n] = logSumExp(x[n]) − x[n, labels[n]] when `sparse`
   * (labels int32 [N]; an index outside [0, C) gives NaN for its row and is
   * reported, see the contract above), else
   * Σ_c labels[n, c]·(logSumExp(x[n]) − x[n, c]) (labels float32 [N, C]).
   * Returns float32 [N].
   */
  softmaxCrossEntropy(logits: View, labels: View, sparse: boolean): DataId;
  /**
   * Gradient of softmaxCrossEntropy with respect to the logits:
   * dx[n, c] = (softmax(x[n])_c · S − t[n, c]) · dy[n], with t the one-hot row
   * (sparse) or the label row and S = Σ_c t[n, c] (1 when sparse; an index
   * outside [0, C) gives a NaN row and is reported, as in softmaxCrossEntropy).
   * dy is float32 [N]. Returns float32 [N, C].
   */
  softmaxCrossEntropyGrad(logits: View, labels: View, dy: View, sparse: boolean): DataId;
  /**
   * Layer normalization over the rows of float32 `x` [N, D], y = (x − μ)·r·γ + β, with μ and
   * the biased variance σ² of each row and r = 1/√(σ² + epsilon); `gamma` and `beta` are [D]
   * or null (1 and 0). Returns float32 [N, D].
   */
  layerNorm(x: View, gamma: View | null, beta: View | null, epsilon: number): DataId;
  /**
   * layerNorm's gradient for the cotangent dy [N, D], with x̂ = (x − μ)·r and g = dy·γ:
   * [dx = r·(g − mean(g) − x̂·mean(g·x̂)) per row, dγ = Σ_rows dy·x̂, dβ = Σ_rows dy]
   * (float32 [N, D], [D], [D]; γ = 1 where gamma is null).
   */
  layerNormGrad(x: View, gamma: View | null, dy: View, epsilon: number): DataId[];
  /**
   * Checks that every value of the int32 view `indices` lies in [0, size) or equals
   * `ignore` (where given), and reports the first bad one it finds as an ArgumentError
   * naming `op`, the range and the value, at once or by rejecting the next `read`
   * (see the contract above); it returns nothing and changes nothing. The frontend
   * calls it only on a backend without `readSync`, for indices whose values it cannot
   * know without a device read and which no kernel reports itself (oneHot, nn's
   * nllLoss). Its lowering reports at the next Tensor.data() instead.
   */
  checkIndices(indices: View, size: number, op: string, ignore?: number): void;
}

/** The names of the optional kernels. */
export type AccelerationName = keyof Accelerations;

// A record, so tsc refuses an acceleration missing from the list.
const ACCELERATION_SET: Record<AccelerationName, true> = {
  elementwiseGroups: true,
  conv2d: true,
  conv2dGradInput: true,
  conv2dGradFilter: true,
  pool2d: true,
  pool2dGrad: true,
  softmax: true,
  softmaxCrossEntropy: true,
  softmaxCrossEntropyGrad: true,
  layerNorm: true,
  layerNormGrad: true,
  checkIndices: true,
};

/** Every acceleration's name (the conformance suite walks them). */
export const ACCELERATIONS: readonly AccelerationName[] = Object.keys(ACCELERATION_SET) as AccelerationName[];

/** A backend: the core, and any of the accelerations. */
export interface Backend extends CoreBackend, Partial<Accelerations> {}
