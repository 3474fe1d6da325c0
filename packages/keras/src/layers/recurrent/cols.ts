import { type Tensor, slice } from '@tsdl/tensor';

/** Columns [from, to) of a [rows, n] tensor (a gate's block of a product or kernel): a view. */
export function cols(x: Tensor, from: number, to: number): Tensor {
  return slice(x, [0, from], [null, to]);
}
