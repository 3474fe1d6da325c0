import type { DType, TypedArray } from '../dtype';
import { ArgumentError, ShapeError } from '../errors';
import { describeValue } from '../shape';

export type NestedArray = number | boolean | NestedArray[];

/** The shape of a (regular) nested array; throws a ShapeError on ragged input. */
export function inferShape(values: unknown, op = 'tensor'): number[] {
  const shape: number[] = [];
  let cur: unknown = values;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  checkRegular(values, shape, 0, op);
  return shape;
}

function checkRegular(v: unknown, shape: number[], depth: number, op: string): void {
  if (depth === shape.length) {
    if (Array.isArray(v)) throw new ShapeError(`${op}: nested arrays are ragged (expected a number at depth ${depth})`);
    if (typeof v !== 'number' && typeof v !== 'boolean') {
      throw new ArgumentError(`${op}: values must be numbers or booleans, got ${describeValue(v)}`);
    }
    return;
  }
  if (!Array.isArray(v) || v.length !== shape[depth]) {
    throw new ShapeError(
      `${op}: nested arrays are ragged (expected length ${shape[depth]} at depth ${depth}, got ${Array.isArray(v) ? v.length : 'a scalar'})`,
    );
  }
  for (const x of v) checkRegular(x, shape, depth + 1, op);
}

/** Flattens a regular nested array in row-major order. */
export function flattenNested(values: NestedArray, out: (number | boolean)[] = []): (number | boolean)[] {
  if (Array.isArray(values)) for (const v of values) flattenNested(v, out);
  else out.push(values);
  return out;
}

/** Builds nested JS arrays from flat row-major values (booleans for bool). */
export function toNested(flat: TypedArray, shape: readonly number[], dtype: DType): NestedArray {
  const conv = dtype === 'bool' ? (x: number) => x !== 0 : (x: number) => x;
  if (shape.length === 0) return conv(flat[0]);
  const build = (axis: number, offset: number): NestedArray[] => {
    const n = shape[axis];
    const out: NestedArray[] = new Array(n);
    if (axis === shape.length - 1) {
      for (let i = 0; i < n; i++) out[i] = conv(flat[offset + i]);
      return out;
    }
    let inner = 1;
    for (let k = axis + 1; k < shape.length; k++) inner *= shape[k];
    for (let i = 0; i < n; i++) out[i] = build(axis + 1, offset + i * inner);
    return out;
  };
  return build(0, 0);
}
