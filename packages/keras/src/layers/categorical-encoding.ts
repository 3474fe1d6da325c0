import {
  ArgumentError,
  DTypeError,
  ShapeError,
  type Tensor,
  add,
  arange,
  lt,
  minimum,
  ones,
  reshape,
  scatterAdd,
  tensor,
  tidy,
  where,
  zeros,
} from '@tsdl/tensor';
import { checkIndexRange } from '@tsdl/tensor/internal';
import { NO_TOKEN } from './lookup-vocabulary';

/** The bag-of-tokens output modes (one vector per sample). */
export type BagMode = 'multi_hot' | 'count' | 'tf_idf';

/** Checks token indices (int32, NO_TOKEN allowed) against the output depth, naming the layer. */
export function checkIds(label: string, ids: Tensor, depth: number): void {
  if (ids.dtype !== 'int32') throw new DTypeError(`${label}: token indices must be int32, got ${ids.dtype}`);
  checkIndexRange(
    ids,
    depth,
    (v, i) =>
      new ArgumentError(
        `${label}: token index ${v} at position ${i} is outside [0, ${depth}) (or ${NO_TOKEN} for no token)`,
      ),
    {
      ignore: NO_TOKEN,
      deviceCheck: label,
    },
  );
}

/**
 * Token indices [batch, tokens] (NO_TOKEN pads and drops) to one float32 vector of `depth`
 * per sample: 1 where a token occurs ('multi_hot'), its count ('count'), or its count times
 * its idf weight ('tf_idf'). Computed on the indices' device by one scatter-add into a
 * [batch, depth + 1] table whose spare last column takes NO_TOKEN entries and is dropped,
 * so memory is the output's, not a one-hot [batch, tokens, depth] intermediate.
 */
export function bagOfTokens(
  label: string,
  ids: Tensor,
  depth: number,
  mode: BagMode,
  idf: Float32Array | null,
): Tensor {
  if (ids.rank !== 2)
    throw new ShapeError(`${label}: token indices must be [batch, tokens], got shape [${ids.shape.join(',')}]`);
  checkIds(label, ids, depth);
  const [b, n] = ids.shape;
  const backend = ids.backend;
  return tidy(() => {
    let counts: Tensor;
    if (n === 0) counts = zeros([b, depth], 'float32', { backend });
    else {
      const width = depth + 1;
      const column = where(lt(ids, 0), depth, ids);
      const rowStart = reshape(arange(0, b * width, width, 'int32', { backend }), [b, 1]);
      const flat = reshape(add(column, rowStart), [b * n]);
      const table = scatterAdd(ones([b * n], 'float32', { backend }), flat, 0, [b * width]);
      counts = reshape(table, [b, width]).slice([0, 0], [b, depth]);
    }
    if (mode === 'multi_hot') return minimum(counts, 1);
    if (mode === 'tf_idf') return counts.mul(tensor(idf as Float32Array, [depth], 'float32', { backend }));
    return counts;
  });
}
