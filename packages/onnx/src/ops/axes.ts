import { AxisError, ShapeError } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import type { GraphNode } from '../graph/node';

/** An ONNX axis (negative counts from the end) for a given rank, or an AxisError naming the node. */
export function normAxis(node: GraphNode, axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new AxisError(
      `${node.where}: ${what} ${axis} is out of range for rank ${rank} (expected ${-rank} to ${rank - 1})`,
    );
  }
  return axis < 0 ? axis + rank : axis;
}

/** Distinct, sorted axes. */
export function normAxes(node: GraphNode, axes: readonly number[], rank: number, what = 'axes'): number[] {
  const out = axes.map((a) => normAxis(node, a, rank, what));
  if (new Set(out).size !== out.length)
    throw new AxisError(`${node.where}: ${what} [${axes.join(', ')}] repeat an axis`);
  return out.sort((a, b) => a - b);
}

/** Reshape's target: 0 copies the input's dim (unless allowzero), one -1 is inferred. */
export function reshapeTarget(
  node: GraphNode,
  from: readonly number[],
  spec: readonly number[],
  allowZero: boolean,
): number[] {
  const out = spec.map((d, i) => {
    if (d === 0 && !allowZero) {
      if (i >= from.length)
        throw new ShapeError(
          `${node.where}: shape [${spec.join(', ')}] copies dim ${i} (0) of an input of rank ${from.length}`,
        );
      return from[i];
    }
    if (d < -1 || !Number.isSafeInteger(d))
      throw new ShapeError(`${node.where}: shape [${spec.join(', ')}] has ${d}, not a size, 0 or -1`);
    return d;
  });
  const total = from.reduce((p, d) => p * d, 1);
  const unknown = out.indexOf(-1);
  if (unknown !== out.lastIndexOf(-1))
    throw new ShapeError(`${node.where}: shape [${spec.join(', ')}] has more than one -1`);
  if (unknown >= 0) {
    const known = out.reduce((p, d) => (d === -1 ? p : p * d), 1);
    if (known === 0 || total % known !== 0)
      throw new ShapeError(`${node.where}: cannot reshape ${fmtShape(from)} to [${spec.join(', ')}]`);
    out[unknown] = total / known;
  }
  if (out.reduce((p, d) => p * d, 1) !== total)
    throw new ShapeError(`${node.where}: cannot reshape ${fmtShape(from)} (${total} elements) to [${out.join(', ')}]`);
  return out;
}

/** One axis of a Slice, normalized as ONNX specifies: first index, step and element count. */
export interface AxisSlice {
  start: number;
  step: number;
  count: number;
}

export function sliceAxis(node: GraphNode, dim: number, startIn: number, endIn: number, step: number): AxisSlice {
  if (step === 0 || !Number.isInteger(step))
    throw new ShapeError(`${node.where}: a step is ${step}; steps must be non-zero integers`);
  let start = startIn < 0 ? startIn + dim : startIn;
  let end = endIn < 0 ? endIn + dim : endIn;
  if (step > 0) {
    start = Math.min(Math.max(start, 0), dim);
    end = Math.min(Math.max(end, 0), dim);
    return { start, step, count: Math.max(0, Math.ceil((end - start) / step)) };
  }
  start = Math.min(Math.max(start, 0), dim - 1);
  end = Math.min(Math.max(end, -1), dim - 1);
  return { start, step, count: Math.max(0, Math.ceil((start - end) / -step)) };
}
