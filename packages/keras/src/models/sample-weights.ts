import {
  ArgumentError,
  ShapeError,
  type Tensor,
  argmax,
  cast,
  gather,
  round,
  squeeze,
  tensor,
  tidy,
} from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import type { PartialShape } from '../layers/layer';
import { describeValue } from './options';

/** fit's classWeight checked: `{ class id: weight }` with integer ids ≥ 0 and finite weights ≥ 0, or null. */
export function classWeightOption(who: string, value: unknown): Map<number, number> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof Map) {
    throw new ArgumentError(`${who}: classWeight must be an object { classId: weight }, got ${describeValue(value)}`);
  }
  const out = new Map<number, number>();
  for (const [k, w] of Object.entries(value)) {
    const id = Number(k);
    if (!Number.isSafeInteger(id) || id < 0 || String(id) !== k)
      throw new ArgumentError(`${who}: classWeight keys must be class ids (integers >= 0), got '${k}'`);
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0)
      throw new ArgumentError(`${who}: classWeight[${k}] must be a finite number >= 0, got ${describeValue(w)}`);
    out.set(id, w);
  }
  if (out.size === 0) throw new ArgumentError(`${who}: classWeight is empty`);
  return out;
}

/**
 * Each sample's weight under `classWeight`, as Keras 3 computes it: the class of a sample
 * is its label (class ids [N] or [N, 1], rounded) or the argmax of a one-hot row; classes
 * the object does not name weigh 1. Targets with more axes (sequences) are refused, as Keras.
 */
export function classSampleWeights(
  who: string,
  classWeight: Map<number, number>,
  y: Tensor,
  output: PartialShape,
): Tensor {
  if (y.rank > 2)
    throw new ShapeError(
      `${who}: classWeight needs targets of one label per sample ([N], [N, 1] or one-hot [N, C]), got shape ${fmtShape(y.shape)}`,
    );
  const outClasses = output[output.length - 1];
  const classes = Math.max(...classWeight.keys()) + 1;
  const size = Math.max(classes, typeof outClasses === 'number' && outClasses > 1 ? outClasses : 2);
  const table = Array.from({ length: size }, (_, c) => classWeight.get(c) ?? 1);
  return tidy(() => {
    const ids =
      y.rank === 2 && y.shape[1] > 1
        ? argmax(y, -1)
        : cast(round(cast(y.rank === 2 ? squeeze(y, -1) : y, 'float32')), 'int32');
    return gather(tensor(table, [size], 'float32', { backend: y.backend }), ids, 0);
  });
}
