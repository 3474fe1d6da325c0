import { CONSTANT_OPS } from './constants';
import { CONV_OPS } from './conv';
import { ELEMENTWISE_OPS } from './elementwise';
import { LINALG_OPS } from './linalg';
import { RECURRENT_OPS } from './recurrent';
import { REDUCE_OPS } from './reduce';
import { RESIZE_OPS } from './resize';
import { SHAPE_OPS } from './shape-ops';
import type { OpSpec } from './spec';

/** Every operator of ONNX's default domain that tsdl runs, by op_type. */
export const OPERATORS: ReadonlyMap<string, OpSpec> = new Map(
  Object.entries({
    ...ELEMENTWISE_OPS,
    ...SHAPE_OPS,
    ...CONSTANT_OPS,
    ...LINALG_OPS,
    ...CONV_OPS,
    ...REDUCE_OPS,
    ...RECURRENT_OPS,
    ...RESIZE_OPS,
  }),
);

/** The operators tsdl runs, sorted: what `loadOnnx` accepts. */
export function supportedOperators(): string[] {
  return [...OPERATORS.keys()].sort();
}
