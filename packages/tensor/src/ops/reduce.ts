import type { ReduceOp, View } from '../backend';
import type { DType } from '../dtype';
import { dispatch, wrap } from '../engine';
import { ArgumentError, ShapeError, fmtShape } from '../errors';
import { normalizeAxes, normalizeAxis, sizeOf } from '../shape';
import type { Tensor } from '../tensor';
import { add, div, log, exp, sub, mul, sqrt, where, abs, lt } from './elementwise';
import { noteValueRange } from './index-range';
import { detach, tensorArg } from './internal';
import { checkOptions } from './options';
import { reshape } from './shape';
import { tidy } from '../memory';

export type Axes = number | readonly number[] | undefined;

/**
 * One reduction kernel call: the view is permuted (metadata only) so that the
 * kept axes lead and the reduced axes trail, and the backend reduces the
 * trailing block.
 */
function reduceAxes(
  op: ReduceOp,
  kernel: ReduceOp,
  x: Tensor,
  axes: Axes,
  keepDims: boolean,
  outType: (t: DType) => DType,
): Tensor {
  tensorArg(op, x, 1, 'x');
  const outDtype = outType(x.dtype);
  const ax = normalizeAxes(op, axes, x.rank);
  if (NEEDS_VALUES.has(kernel)) checkNotEmpty(op, x, ax, axes);
  return dispatch(op, [x], { axes: ax, keepDims }, (backend) => {
    // ax is sorted and distinct: walk it beside the axes instead of building a set.
    const shape: number[] = [];
    const strides: number[] = [];
    const outShape: number[] = [];
    for (let i = 0, j = 0; i < x.rank; i++) {
      if (j < ax.length && ax[j] === i) {
        j++;
        if (keepDims) outShape.push(1);
      } else {
        shape.push(x.shape[i]);
        strides.push(x.strides[i]);
        outShape.push(x.shape[i]);
      }
    }
    for (const i of ax) {
      shape.push(x.shape[i]);
      strides.push(x.strides[i]);
    }
    const v: View = { data: x.storage.data, dtype: x.dtype, shape, strides, offset: x.offset };
    return wrap(backend, backend.reduce(kernel, v, ax.length, outDtype), outShape, outDtype);
  });
}

/** Reductions with no value over nothing: the max of no values is undefined, where a sum is 0 and a product 1. */
const NEEDS_VALUES: ReadonlySet<ReduceOp> = new Set(['max', 'min', 'argmax', 'argmin']);

/**
 * Refuses a max/min/argmax/argmin over an empty block, as PyTorch does (IndexError: "Expected
 * reduction dim 1 to have non-zero size"), where the kernel would give -Infinity, Infinity or
 * index 0 as if they were values. A reduction that keeps the empty axis is fine (empty result).
 */
function checkNotEmpty(op: string, x: Tensor, ax: readonly number[], axes: Axes): void {
  for (const i of ax) {
    if (x.shape[i] === 0) {
      throw new ShapeError(
        axes === undefined || axes === null
          ? `${op}: cannot reduce a tensor with no elements (shape ${fmtShape(x.shape)}); the ${op} of no values is undefined`
          : `${op}: cannot reduce over axis ${i} of shape ${fmtShape(x.shape)}, which has size 0; the ${op} of no values is undefined`,
      );
    }
  }
  // A 0-d tensor reduced over no axes has its one element: nothing to refuse.
}

const sumType = (t: DType): DType => (t === 'float32' ? 'float32' : 'int32');
const same = (t: DType): DType => t;
const toBool = (): DType => 'bool';
const toInt32 = (): DType => 'int32';

/** Sum over axes (all by default); bool and int32 sum to int32. */
export function sum(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return reduceAxes('sum', 'sum', x, axes, keepDims, sumType);
}

export function prod(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return reduceAxes('prod', 'prod', x, axes, keepDims, sumType);
}

/** Maximum over axes; NaN propagates. */
export function max(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return reduceAxes('max', 'max', x, axes, keepDims, same);
}

export function min(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return reduceAxes('min', 'min', x, axes, keepDims, same);
}

/** True where every element along the axes is non-zero. Not differentiable. */
export function all(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return reduceAxes('all', 'all', x, axes, keepDims, toBool);
}

export function any(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return reduceAxes('any', 'any', x, axes, keepDims, toBool);
}

/**
 * Index of the largest value along one axis (first occurrence), int32; with
 * no axis, the index into the flattened tensor (as NumPy and PyTorch).
 */
export function argmax(x: Tensor, axis?: number, keepDims = false): Tensor {
  return argReduce('argmax', x, axis, keepDims);
}

export function argmin(x: Tensor, axis?: number, keepDims = false): Tensor {
  return argReduce('argmin', x, axis, keepDims);
}

function argReduce(op: 'argmax' | 'argmin', x: Tensor, axis: number | undefined, keepDims: boolean): Tensor {
  tensorArg(op, x, 1, 'x');
  const a = axis === undefined ? undefined : normalizeAxis(op, axis, x.rank);
  const out = reduceAxes(op, op, x, a, keepDims, toInt32);
  // Indices into the (non-empty) reduced block: a range index checks use without a read.
  const d = a === undefined ? x.size : x.shape[a];
  noteValueRange(out, 0, d - 1);
  return out;
}

function countOf(x: Tensor, axes: Axes, op: string): number {
  tensorArg(op, x, 1, 'x');
  return sizeOf(normalizeAxes(op, axes, x.rank).map((i) => x.shape[i]));
}

/** Arithmetic mean over axes (float32). */
export function mean(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const n = countOf(x, axes, 'mean');
  return tidy(() => div(sum(x, axes, keepDims), n));
}

export interface VarianceOptions {
  /** Subtracted from the count in the divisor: 0 (default) for the population variance as NumPy and Keras, 1 for PyTorch's unbiased estimate. */
  correction?: number;
}

// keepDims is positional, as in every reduction; a `{ keepDims }` object there (this op's old
// signature) would otherwise be read as true.
function varianceArgs(op: string, keepDims: unknown, options: VarianceOptions): void {
  if (keepDims !== undefined && typeof keepDims !== 'boolean')
    throw new ArgumentError(
      `${op}: keepDims must be a boolean, got ${typeof keepDims} (options come fourth: { correction })`,
    );
  checkOptions(op, options, ['correction']);
}

export function variance(x: Tensor, axes?: Axes, keepDims = false, options: VarianceOptions = {}): Tensor {
  varianceArgs('variance', keepDims, options);
  const n = countOf(x, axes, 'variance') - (options.correction ?? 0);
  return tidy(() => {
    const d = sub(x, mean(x, axes, true));
    return div(sum(mul(d, d), axes, keepDims), n);
  });
}

export function std(x: Tensor, axes?: Axes, keepDims = false, options: VarianceOptions = {}): Tensor {
  tensorArg('std', x, 1, 'x');
  varianceArgs('std', keepDims, options);
  return tidy(() => sqrt(variance(x, axes, keepDims, options)));
}

/** log(sum(exp(x))) over axes, stable: the max is subtracted first (and treated as a constant for gradients). */
export function logSumExp(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  tensorArg('logSumExp', x, 1, 'x');
  const ax = normalizeAxes('logSumExp', axes, x.rank);
  // Over an empty block there is no max to shift by (and max refuses one): log(0) = -Infinity, as PyTorch.
  if (ax.some((i) => x.shape[i] === 0)) return tidy(() => log(sum(exp(x), ax, keepDims)));
  return tidy(() => {
    const m = detach(max(x, ax, true));
    // An all -inf (or inf) slice would give inf - inf = NaN; shift by 0 there instead.
    const shift = where(lt(abs(m), Infinity), m, 0);
    const out = add(log(sum(exp(sub(x, shift)), ax, true)), shift);
    return keepDims
      ? out
      : reshape(
          out,
          x.shape.filter((_, i) => !ax.includes(i)),
        );
  });
}
