import type { Backend } from '../backend';
import type { DType } from '../dtype';
import type { Expr } from '../expr';
import type { Tensor } from '../tensor';
import { runElementwise } from '../ops/internal';

/** One group of a multi-tensor elementwise run: its inputs (all of `shape`) and its scalars. */
export interface TensorGroup {
  readonly inputs: readonly Tensor[];
  readonly scalars: readonly number[];
  readonly shape: readonly number[];
}

/**
 * The reference lowering of Backend.elementwiseGroups: one elementwise kernel per group,
 * with that group's inputs and scalars, every output float32. `tag` names the expression
 * list as in runElementwise.
 */
export function elementwiseGroups(
  backend: Backend,
  exprs: readonly Expr[],
  groups: readonly TensorGroup[],
  dtypes: readonly DType[],
  tag: string,
): Tensor[][] {
  return groups.map((g) => runElementwise(backend, exprs, g.inputs, g.scalars, g.shape, dtypes, tag));
}
