import type { Backend, ElementwiseGroup } from '../backend';
import { activeTrace } from '../capture/active';
import type { DType } from '../dtype';
import { wrap } from '../engine';
import { exprKey, type Expr } from '../expr';
import { isContiguous, shapesEqual, sizeOf } from '../shape';
import type { Tensor } from '../tensor';
import { lowerings, type TensorGroup } from '../lowerings/index';
import { keyOf } from './internal';

export type { TensorGroup };

/** ['float32', …] of each length, built once. */
const float32Lists: DType[][] = [];
function float32s(n: number): readonly DType[] {
  return (float32Lists[n] ??= new Array<DType>(n).fill('float32'));
}

/** Whether a group can go to Backend.elementwiseGroups: dense float32 inputs of the group's own shape. */
function isDenseFloatGroup(g: TensorGroup): boolean {
  for (const t of g.inputs) {
    if (t.dtype !== 'float32' || !shapesEqual(t.shape, g.shape) || !isContiguous(t.shape, t.strides)) return false;
  }
  return true;
}

/**
 * Runs the same float32 expressions over several groups of tensors (an
 * optimizer step over every parameter), not recorded by autograd: one call
 * of the backend's `elementwiseGroups` where it has one and every group is
 * dense float32 of its own shape, else its lowering: one elementwise kernel per group.
 * Returns each group's outputs, one float32 tensor per expression. `tag`
 * names the expression list as in runElementwise.
 */
export function runElementwiseGroups(
  backend: Backend,
  exprs: readonly Expr[],
  groups: readonly TensorGroup[],
  tag: string,
): Tensor[][] {
  const dtypes = float32s(exprs.length);
  // Ops tell a trace their inputs through backendOf, which this internal entry does not call.
  const trace = activeTrace();
  if (trace !== null) for (const g of groups) for (const t of g.inputs) trace.input(t);
  if (backend.elementwiseGroups === undefined || groups.length < 2 || !groups.every(isDenseFloatGroup)) {
    return lowerings.elementwiseGroups(backend, exprs, groups, dtypes, tag);
  }
  const specGroups: ElementwiseGroup[] = groups.map((g) => ({
    inputs: g.inputs.map((t) => ({
      data: t.storage.data,
      dtype: t.dtype,
      shape: t.shape,
      strides: t.strides,
      offset: t.offset,
    })),
    scalars: g.scalars,
    size: sizeOf(g.shape),
  }));
  const ids = backend.elementwiseGroups({
    exprs,
    key: tag === '' ? exprs.map(exprKey).join(';') : keyOf(exprs, tag),
    groups: specGroups,
  });
  return ids.map((outs, i) => outs.map((id) => wrap(backend, id, groups[i].shape, 'float32')));
}
