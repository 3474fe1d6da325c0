import { ArgumentError, ShapeError, Tensor, ne } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';

/**
 * Checks a padding mask given to a layer that reads one: a Tensor of shape
 * [batch, time] matching the input's first two dimensions (or, with
 * `timeAxis` 2, its first and third). Returns it as bool (a numeric mask is
 * true where non-zero, as Keras casts it); the caller disposes a result that
 * is not `mask` itself.
 */
export function checkMask(label: string, mask: unknown, input: Tensor, timeAxis = 1): Tensor {
  if (!(mask instanceof Tensor))
    throw new ArgumentError(
      `${label}: mask must be a Tensor of shape [batch, time], got ${mask === null ? 'null' : typeof mask}`,
    );
  mask.assertAlive(label);
  const expected = [input.shape[0], input.shape[timeAxis]];
  if (mask.rank !== 2 || mask.shape[0] !== expected[0] || mask.shape[1] !== expected[1]) {
    throw new ShapeError(
      `${label}: mask of shape ${fmtShape(mask.shape)} does not match the input of shape ${fmtShape(input.shape)} (expected ${fmtShape(expected)}: [batch, time])`,
    );
  }
  return mask.dtype === 'bool' ? mask : ne(mask, 0);
}
