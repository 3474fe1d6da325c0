import { type DType, assertDType } from '../dtype';
import { ArgumentError, DTypeError, fmtShape } from '../errors';
import { tidy } from '../memory';
import type { Tensor } from '../tensor';
import { arange } from './creation';
import { cast, lt } from './elementwise';
import { checkIndexRange, hostValues } from './index-range';
import { unsqueeze } from './shape';

/**
 * The padding mask of a batch of sequences, as TensorFlow's tf.sequence_mask:
 * int32 `lengths` of any shape → [...lengths.shape, maxLen], true at positions
 * < length. Without `maxLen` the longest length is used, which the host must
 * know without waiting for the device (lengths written from host data, or any
 * lengths on a backend that reads synchronously); elsewhere pass `maxLen`.
 * A length below 0 or above maxLen throws an ArgumentError naming it (TensorFlow
 * would give a full row); lengths computed on a device that cannot read
 * synchronously are checked there and reported at the next read.
 */
export function sequenceMask(lengths: Tensor, maxLen?: number, dtype: DType = 'bool'): Tensor {
  lengths.assertAlive('sequenceMask');
  if (lengths.dtype !== 'int32') throw new DTypeError(`sequenceMask: lengths must be int32, got ${lengths.dtype}`);
  assertDType('sequenceMask', dtype);
  let len: number;
  if (maxLen === undefined) {
    const values = lengths.size > 0 ? hostValues(lengths) : new Int32Array(0);
    if (values === null) {
      throw new ArgumentError(
        `sequenceMask: the lengths of shape ${fmtShape(lengths.shape)} were computed on backend '${lengths.backend.name}', which cannot read them synchronously; pass maxLen`,
      );
    }
    len = 0;
    for (let i = 0; i < values.length; i++) len = Math.max(len, values[i]);
  } else {
    if (!Number.isInteger(maxLen) || maxLen < 0)
      throw new ArgumentError(`sequenceMask: maxLen must be an integer >= 0, got ${maxLen}`);
    len = maxLen;
  }
  checkIndexRange(
    lengths,
    len + 1,
    (v, i) =>
      new ArgumentError(
        `sequenceMask: length ${v} at position ${i} of lengths ${fmtShape(lengths.shape)} is outside [0, ${len}] (maxLen ${len})`,
      ),
    { deviceCheck: 'sequenceMask' },
  );
  return tidy(() => {
    const mask = lt(arange(0, len, 1, 'int32', { backend: lengths.backend }), unsqueeze(lengths, -1));
    return dtype === 'bool' ? mask : cast(mask, dtype);
  });
}
