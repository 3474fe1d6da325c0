import { ArgumentError, ShapeError, fmtShape } from '../errors';
import { tidy } from '../memory';
import type { Tensor } from '../tensor';
import { arange } from './creation';
import { ge, le, logicalAnd, sub, where } from './elementwise';
import { reshape } from './shape';

/**
 * The lower (tril) or upper (triu) triangle of the last two axes, batched over
 * the others; the rest is zero (false for bool). As PyTorch's torch.tril /
 * torch.triu: diagonal k = 0 is the main one, k > 0 above it, k < 0 below.
 * Composed from a mask (two aranges and a comparison) and `where`, so the
 * gradient passes through the kept elements only.
 */

function triangle(op: 'tril' | 'triu', x: Tensor, k: number): Tensor {
  if (x.rank < 2)
    throw new ShapeError(
      `${op}: needs a tensor of rank >= 2 (a matrix or a batch of them), got shape ${fmtShape(x.shape)}`,
    );
  if (!Number.isInteger(k)) throw new ArgumentError(`${op}: diagonal k must be an integer, got ${k}`);
  const m = x.shape[x.rank - 2];
  const n = x.shape[x.rank - 1];
  return tidy(() => {
    const rows = reshape(arange(0, m, 1, 'int32', { backend: x.backend }), [m, 1]);
    const cols = arange(0, n, 1, 'int32', { backend: x.backend });
    // Element (i, j) lies on diagonal j − i.
    const diag = sub(cols, rows);
    // Diagonals run from −(m − 1) to n − 1: clamping k there keeps it an exact int32 operand.
    const kk = Math.min(Math.max(k, -m), n);
    const keep = op === 'tril' ? le(diag, kk) : ge(diag, kk);
    return x.dtype === 'bool' ? logicalAnd(x, keep) : where(keep, x, 0);
  });
}

/** Keeps the elements on and below diagonal k of the last two axes, zeroes the rest. */
export function tril(x: Tensor, k = 0): Tensor {
  return triangle('tril', x, k);
}

/** Keeps the elements on and above diagonal k of the last two axes, zeroes the rest. */
export function triu(x: Tensor, k = 0): Tensor {
  return triangle('triu', x, k);
}
