import {
  ArgumentError,
  type Backend,
  type Tensor,
  clip,
  full,
  le,
  logicalAnd,
  ge,
  rand,
  randn,
  tensor,
  tidy,
  where,
} from '@tsdl/tensor';
import { randomNormal } from '@tsdl/tensor/backend';
import { nextKey } from '@tsdl/tensor/internal';
import { type Nonlinearity, type WeightLayout, calculateGain, computeFans } from './fans';

/**
 * Weight initializers. Each takes a shape and options and returns a new
 * float32 tensor; random ones take `seed` (the same seed gives the same
 * values on every backend; without one, the global generator of `seed()`
 * advances). Fan-based ones take `layout` to find fan-in and fan-out
 * (`'outIn'` as PyTorch by default, `'inOut'` as Keras; see `computeFans`).
 */
export interface InitOptions {
  /** Seed for this tensor alone. */
  seed?: number;
  /** Where the in/out dimensions of the weight are (default 'outIn'). */
  layout?: WeightLayout;
  /** Backend to create on (the active one by default). */
  backend?: Backend;
}

/** What layers accept as `weightInit` / `biasInit`: layers pass the weight's layout and their seed. */
export type Initializer = (shape: readonly number[], options: InitOptions) => Tensor;

export type FanMode = 'fanIn' | 'fanOut' | 'fanAvg';

function checkShape(op: string, shape: readonly number[]): void {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ArgumentError(`${op}: shape must be an array of integers >= 0, got ${JSON.stringify(shape)}`);
  }
}

function fanOf(op: string, shape: readonly number[], mode: FanMode, layout: WeightLayout | undefined): number {
  const { fanIn, fanOut } = computeFans(shape, layout);
  let n: number;
  if (mode === 'fanIn') n = fanIn;
  else if (mode === 'fanOut') n = fanOut;
  else if (mode === 'fanAvg') n = (fanIn + fanOut) / 2;
  else throw new ArgumentError(`${op}: mode must be 'fanIn', 'fanOut' or 'fanAvg', got ${JSON.stringify(mode)}`);
  if (n === 0)
    throw new ArgumentError(`${op}: cannot initialize a tensor of shape ${JSON.stringify(shape)} (its fan is 0)`);
  return n;
}

/** All zeros. */
export function zeros(shape: readonly number[], options: InitOptions = {}): Tensor {
  checkShape('init.zeros', shape);
  return full(shape, 0, 'float32', { backend: options.backend });
}

/** All ones. */
export function ones(shape: readonly number[], options: InitOptions = {}): Tensor {
  checkShape('init.ones', shape);
  return full(shape, 1, 'float32', { backend: options.backend });
}

/** Every element `value`. */
export function constant(shape: readonly number[], value: number, options: InitOptions = {}): Tensor {
  checkShape('init.constant', shape);
  if (typeof value !== 'number') throw new ArgumentError(`init.constant: value must be a number, got ${typeof value}`);
  return full(shape, value, 'float32', { backend: options.backend });
}

export interface UniformOptions extends InitOptions {
  /** Lower bound (default 0, as PyTorch). */
  a?: number;
  /** Upper bound (default 1). */
  b?: number;
}

/** Uniform values in [a, b). */
export function uniform(shape: readonly number[], options: UniformOptions = {}): Tensor {
  checkShape('init.uniform', shape);
  const a = options.a ?? 0;
  const b = options.b ?? 1;
  if (!(a <= b)) throw new ArgumentError(`init.uniform: need a <= b, got a=${a}, b=${b}`);
  return rand(shape, { low: a, high: b, seed: options.seed, backend: options.backend });
}

export interface NormalOptions extends InitOptions {
  mean?: number;
  std?: number;
}

/** Normal values with the given mean (default 0) and standard deviation (default 1). */
export function normal(shape: readonly number[], options: NormalOptions = {}): Tensor {
  checkShape('init.normal', shape);
  const std = options.std ?? 1;
  if (!(std >= 0)) throw new ArgumentError(`init.normal: std must be >= 0, got ${std}`);
  return randn(shape, { mean: options.mean ?? 0, std, seed: options.seed, backend: options.backend });
}

export interface TruncatedNormalOptions extends NormalOptions {
  /** Lowest value (absolute, as PyTorch's trunc_normal_; default −2). */
  a?: number;
  /** Highest value (default 2). */
  b?: number;
}

const TRUNC_ROUNDS = 12;

/**
 * Normal values redrawn until they fall in [a, b] (PyTorch's trunc_normal_,
 * whose bounds are absolute values, not multiples of std). Out-of-range
 * values are redrawn up to 12 times, then clipped.
 */
export function truncatedNormal(shape: readonly number[], options: TruncatedNormalOptions = {}): Tensor {
  checkShape('init.truncatedNormal', shape);
  const mean = options.mean ?? 0;
  const std = options.std ?? 1;
  const a = options.a ?? -2;
  const b = options.b ?? 2;
  if (!(std >= 0)) throw new ArgumentError(`init.truncatedNormal: std must be >= 0, got ${std}`);
  if (!(a < b)) throw new ArgumentError(`init.truncatedNormal: need a < b, got a=${a}, b=${b}`);
  const draw = (round: number): Tensor =>
    randn(shape, {
      mean,
      std,
      seed: options.seed === undefined ? undefined : mixSeed(options.seed, round),
      backend: options.backend,
    });
  return tidy(() => {
    let z = draw(0);
    for (let r = 1; r <= TRUNC_ROUNDS; r++) {
      z = where(logicalAnd(ge(z, a), le(z, b)), z, draw(r));
    }
    return clip(z, a, b);
  });
}

/** A distinct seed for the r-th draw derived from a user seed. */
function mixSeed(seed: number, r: number): number {
  return r === 0 ? seed : ((Math.floor(seed) * 0x9e3779b1 + r * 0x85ebca6b) | 0) >>> 0;
}

export interface VarianceScalingOptions extends InitOptions {
  /** Variance multiplier (default 1). */
  scale?: number;
  /** Which fan divides the variance (default 'fanIn'). */
  mode?: FanMode;
  /**
   * 'truncatedNormal' (default, as Keras: truncated at ±2 std and rescaled so
   * the variance is scale / fan), 'untruncatedNormal' or 'uniform'.
   */
  distribution?: 'truncatedNormal' | 'untruncatedNormal' | 'uniform';
}

/** Keras' VarianceScaling: values with variance scale / fan. The building block of Keras' glorot/he/lecun. */
export function varianceScaling(shape: readonly number[], options: VarianceScalingOptions = {}): Tensor {
  checkShape('init.varianceScaling', shape);
  const scale = options.scale ?? 1;
  if (!(scale > 0)) throw new ArgumentError(`init.varianceScaling: scale must be > 0, got ${scale}`);
  const n = fanOf('init.varianceScaling', shape, options.mode ?? 'fanIn', options.layout);
  const variance = scale / n;
  const dist = options.distribution ?? 'truncatedNormal';
  const common = { seed: options.seed, backend: options.backend };
  switch (dist) {
    case 'truncatedNormal': {
      // Std of a standard normal truncated to (−2, 2).
      const std = Math.sqrt(variance) / 0.8796256610342398;
      return truncatedNormal(shape, { ...common, std, a: -2 * std, b: 2 * std });
    }
    case 'untruncatedNormal':
      return normal(shape, { ...common, std: Math.sqrt(variance) });
    case 'uniform': {
      const limit = Math.sqrt(3 * variance);
      return uniform(shape, { ...common, a: -limit, b: limit });
    }
    default:
      throw new ArgumentError(
        `init.varianceScaling: distribution must be 'truncatedNormal', 'untruncatedNormal' or 'uniform', got ${JSON.stringify(dist)}`,
      );
  }
}

export interface GlorotOptions extends InitOptions {
  /** Multiplier (default 1; see calculateGain). */
  gain?: number;
}

/** Glorot/Xavier uniform: U(−b, b) with b = gain·√(6 / (fanIn + fanOut)). */
export function glorotUniform(shape: readonly number[], options: GlorotOptions = {}): Tensor {
  checkShape('init.glorotUniform', shape);
  const n = fanOf('init.glorotUniform', shape, 'fanAvg', options.layout);
  const bound = (options.gain ?? 1) * Math.sqrt(3 / n);
  return uniform(shape, { seed: options.seed, backend: options.backend, a: -bound, b: bound });
}

/** Glorot/Xavier normal: N(0, std²) with std = gain·√(2 / (fanIn + fanOut)) (untruncated, as PyTorch). */
export function glorotNormal(shape: readonly number[], options: GlorotOptions = {}): Tensor {
  checkShape('init.glorotNormal', shape);
  const n = fanOf('init.glorotNormal', shape, 'fanAvg', options.layout);
  const std = (options.gain ?? 1) * Math.sqrt(1 / n);
  return normal(shape, { seed: options.seed, backend: options.backend, std });
}

export interface HeOptions extends InitOptions {
  /** Negative slope of the rectifier after this layer, for leakyRelu (default 0). */
  a?: number;
  /** 'fanIn' (default) preserves the forward variance, 'fanOut' the backward one. */
  mode?: 'fanIn' | 'fanOut';
  /** Default 'leakyRelu' (with a = 0 that is relu's gain √2), as PyTorch. */
  nonlinearity?: Nonlinearity;
}

function heStd(op: string, shape: readonly number[], options: HeOptions): number {
  const mode = options.mode ?? 'fanIn';
  if (mode !== 'fanIn' && mode !== 'fanOut')
    throw new ArgumentError(`${op}: mode must be 'fanIn' or 'fanOut', got ${JSON.stringify(mode)}`);
  const n = fanOf(op, shape, mode, options.layout);
  const gain = calculateGain(options.nonlinearity ?? 'leakyRelu', options.a ?? 0);
  return gain / Math.sqrt(n);
}

/** He/Kaiming uniform: U(−b, b) with b = gain·√(3 / fan). */
export function heUniform(shape: readonly number[], options: HeOptions = {}): Tensor {
  checkShape('init.heUniform', shape);
  const bound = Math.sqrt(3) * heStd('init.heUniform', shape, options);
  return uniform(shape, { seed: options.seed, backend: options.backend, a: -bound, b: bound });
}

/** He/Kaiming normal: N(0, std²) with std = gain / √fan (untruncated, as PyTorch). */
export function heNormal(shape: readonly number[], options: HeOptions = {}): Tensor {
  checkShape('init.heNormal', shape);
  const std = heStd('init.heNormal', shape, options);
  return normal(shape, { seed: options.seed, backend: options.backend, std });
}

/** LeCun uniform: U(−b, b) with b = √(3 / fanIn). */
export function lecunUniform(shape: readonly number[], options: InitOptions = {}): Tensor {
  checkShape('init.lecunUniform', shape);
  const bound = Math.sqrt(3 / fanOf('init.lecunUniform', shape, 'fanIn', options.layout));
  return uniform(shape, { seed: options.seed, backend: options.backend, a: -bound, b: bound });
}

/** LeCun normal: N(0, 1 / fanIn) (untruncated; Keras' lecun_normal is varianceScaling with a truncated normal). */
export function lecunNormal(shape: readonly number[], options: InitOptions = {}): Tensor {
  checkShape('init.lecunNormal', shape);
  const std = Math.sqrt(1 / fanOf('init.lecunNormal', shape, 'fanIn', options.layout));
  return normal(shape, { seed: options.seed, backend: options.backend, std });
}

export interface OrthogonalOptions extends InitOptions {
  gain?: number;
}

/**
 * A (semi-)orthogonal matrix scaled by `gain` (Saxe et al.; PyTorch's
 * orthogonal_). The tensor is viewed as a matrix [rows, cols]: rows =
 * shape[0] for layout 'outIn', rows = product of all but the last dimension
 * for 'inOut' (as Keras). Rows are orthonormal when rows <= cols, columns
 * otherwise. Computed on the host in float64 (QR of a seeded normal matrix).
 */
export function orthogonal(shape: readonly number[], options: OrthogonalOptions = {}): Tensor {
  checkShape('init.orthogonal', shape);
  if (shape.length < 2)
    throw new ArgumentError(`init.orthogonal: needs at least 2 dimensions, got shape ${JSON.stringify(shape)}`);
  const size = shape.reduce((a, b) => a * b, 1);
  const rows = (options.layout ?? 'outIn') === 'outIn' ? shape[0] : size / shape[shape.length - 1];
  const cols = size / rows;
  const gain = options.gain ?? 1;
  const key = nextKey(options.seed);
  // Work on the tall orientation m × n (m >= n): columns get orthonormalised.
  const tall = rows >= cols;
  const m = tall ? rows : cols;
  const n = tall ? cols : rows;
  const a = new Float64Array(m * n); // a[i * n + j]
  for (let i = 0; i < m * n; i++) a[i] = randomNormal(key, i);
  // Modified Gram–Schmidt with re-orthogonalisation: Q of the QR with a positive diagonal R,
  // which is PyTorch's q · sign(diag(r)).
  for (let j = 0; j < n; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += a[i * n + k] * a[i * n + j];
        for (let i = 0; i < m; i++) a[i * n + j] -= dot * a[i * n + k];
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += a[i * n + j] * a[i * n + j];
    norm = Math.sqrt(norm);
    if (norm === 0) throw new ArgumentError('init.orthogonal: degenerate random draw; try another seed');
    for (let i = 0; i < m; i++) a[i * n + j] /= norm;
  }
  const out = new Float32Array(size);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (tall ? a[r * n + c] : a[c * n + r]);
  }
  return tensor(out, shape, 'float32', { backend: options.backend });
}

// PyTorch names.
export {
  glorotUniform as xavierUniform,
  glorotNormal as xavierNormal,
  heUniform as kaimingUniform,
  heNormal as kaimingNormal,
};
