import { ArgumentError, DTypeError, Tensor, TsdlError, cast, max, oneHot, squeeze, tensor, tidy } from '@tsdl/tensor';
import { describeValue } from './models/options';
import type { NestedNumbers } from './models/data-args';

const WHO = 'utils.toCategorical';

/** `e` (from tensor() or oneHot) with its op's name swapped for toCategorical's and its words for Keras' (a label, numClasses). */
function renamed(e: unknown): unknown {
  if (!(e instanceof TsdlError)) return e;
  const Ctor = e.constructor as new (message: string) => TsdlError;
  const message = e.message
    .replace(/^(tensor|oneHot): /, '')
    .replace(/^index (\S+) at position/, 'label $1 at position')
    .replace(/for depth (\d+)/, 'for numClasses $1');
  const out = new Ctor(`${WHO}: ${message}`);
  (out as { cause?: unknown }).cause = e;
  return out;
}

/**
 * Keras' to_categorical: class ids (a tensor, nested arrays or a TypedArray, shape [N]
 * or [N, …]) as one-hot float32 rows with `numClasses` columns: shape [...y's shape,
 * numClasses], a trailing axis of size 1 dropped first, as Keras. Without numClasses,
 * the largest id + 1. Ids must be integers (whole floats such as 2.0 are accepted) in
 * [0, numClasses); the error names the bad one and its position. The result is a new
 * tensor the caller disposes.
 */
export function toCategorical(y: Tensor | NestedNumbers[] | ArrayBufferView, numClasses?: number): Tensor {
  if (
    numClasses !== undefined &&
    numClasses !== null &&
    (typeof numClasses !== 'number' || !Number.isSafeInteger(numClasses) || numClasses <= 0)
  ) {
    throw new ArgumentError(`${WHO}: numClasses must be a positive integer, got ${describeValue(numClasses)}`);
  }
  let t: Tensor;
  let made = false;
  if (y instanceof Tensor) {
    y.assertAlive(WHO);
    t = y;
  } else if (Array.isArray(y) || (ArrayBuffer.isView(y) && !(y instanceof DataView))) {
    try {
      t = tensor(y as NestedNumbers[]);
    } catch (e) {
      throw renamed(e);
    }
    made = true;
  } else {
    throw new ArgumentError(
      `${WHO}: y must be class ids (a tensor, nested arrays or a TypedArray), got ${describeValue(y)}`,
    );
  }
  try {
    if (t.dtype === 'bool') throw new DTypeError(`${WHO}: y must be integer class ids, got a bool tensor`);
    if (t.rank === 0) throw new ArgumentError(`${WHO}: y must be a list of class ids, got a scalar`);
    const readable = t.backend.readSync !== undefined;
    if (t.dtype === 'float32' && readable) {
      const v = t.dataSync();
      const i = v.findIndex((x) => !Number.isInteger(x));
      if (i >= 0) throw new ArgumentError(`${WHO}: class ids must be integers, got ${v[i]} at position ${i}`);
    }
    let depth = numClasses;
    if (depth === undefined || depth === null) {
      if (!readable)
        throw new ArgumentError(
          `${WHO}: give numClasses for a tensor on backend '${t.backend.name}' (finding the largest id would wait for the device)`,
        );
      if (t.size === 0) throw new ArgumentError(`${WHO}: y has no class ids, so numClasses must be given`);
      depth = tidy(() => max(t).dataSync()[0]) + 1;
      if (depth <= 0) throw new ArgumentError(`${WHO}: class ids must be >= 0, got ${depth - 1}`);
    }
    const classes = depth;
    return tidy(() => {
      const flat = t.rank > 1 && t.shape[t.rank - 1] === 1 ? squeeze(t, -1) : t;
      const ids = flat.dtype === 'int32' ? flat : cast(flat, 'int32');
      try {
        return oneHot(ids, classes);
      } catch (e) {
        throw renamed(e);
      }
    });
  } finally {
    if (made) t.dispose();
  }
}

/** keras.utils. */
export const utils = { toCategorical };
