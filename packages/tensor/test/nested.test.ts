import { describe, expect, it } from 'vitest';
import { ShapeError } from '../src/errors';
import { flattenNested, inferShape, toNested } from '../src/ops/nested';

describe('inferShape', () => {
  it('infers the shape of regular nested arrays', () => {
    expect(inferShape(3)).toEqual([]);
    expect(inferShape(true)).toEqual([]);
    expect(inferShape([])).toEqual([0]);
    expect(inferShape([1, 2, 3])).toEqual([3]);
    expect(
      inferShape([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    ).toEqual([2, 3]);
    expect(
      inferShape([
        [[1], [2]],
        [[3], [4]],
      ]),
    ).toEqual([2, 2, 1]);
    expect(inferShape([[], []])).toEqual([2, 0]);
  });
  it('rejects ragged arrays with the depth and the lengths', () => {
    expect(() => inferShape([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => inferShape([[1, 2], [3]])).toThrow(
      /tensor: nested arrays are ragged \(expected length 2 at depth 1, got 1\)/,
    );
    expect(() => inferShape([[1, 2], 3])).toThrow(/expected length 2 at depth 1, got a scalar/);
    expect(() => inferShape([1, [2]], 'stack')).toThrow(
      /stack: nested arrays are ragged \(expected a number at depth 1\)/,
    );
  });
  it('rejects non-numeric leaves', () => {
    expect(() => inferShape(['a'])).toThrow(/values must be numbers or booleans, got string/);
  });
});

describe('flattenNested / toNested', () => {
  it('flattens in row-major order', () => {
    expect(
      flattenNested([
        [1, 2],
        [3, 4],
      ]),
    ).toEqual([1, 2, 3, 4]);
    expect(
      flattenNested([
        [[1], [2]],
        [[3], [4]],
      ]),
    ).toEqual([1, 2, 3, 4]);
    expect(flattenNested(5)).toEqual([5]);
    expect(flattenNested([true, false])).toEqual([true, false]);
  });
  it('toNested inverts flattenNested for every rank, and maps bool storage to booleans', () => {
    const nested = [
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    ];
    expect(toNested(new Float32Array(flattenNested(nested) as number[]), [1, 2, 3], 'float32')).toEqual(nested);
    expect(toNested(new Int32Array([7]), [], 'int32')).toBe(7);
    expect(toNested(new Uint8Array([1, 0, 1]), [3], 'bool')).toEqual([true, false, true]);
    expect(toNested(new Float32Array(0), [2, 0], 'float32')).toEqual([[], []]);
  });
});
