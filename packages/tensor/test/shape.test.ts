import { describe, expect, it } from 'vitest';
import { AxisError, ShapeError } from '../src/errors';
import {
  broadcastShapes,
  checkShape,
  contiguousStrides,
  isContiguous,
  normalizeAxes,
  normalizeAxis,
  shapesEqual,
  sizeOf,
} from '../src/shape';

describe('sizeOf / shapesEqual', () => {
  it('counts elements (1 for a scalar, 0 with a zero dim)', () => {
    expect(sizeOf([])).toBe(1);
    expect(sizeOf([2, 3, 4])).toBe(24);
    expect(sizeOf([2, 0, 4])).toBe(0);
  });
  it('compares rank and dims', () => {
    expect(shapesEqual([2, 3], [2, 3])).toBe(true);
    expect(shapesEqual([2, 3], [3, 2])).toBe(false);
    expect(shapesEqual([1], [])).toBe(false);
  });
});

describe('broadcastShapes', () => {
  const valid: [number[], number[], number[]][] = [
    [[], [], []],
    [[], [3], [3]],
    [[2, 3], [], [2, 3]],
    [[2, 3], [3], [2, 3]],
    [
      [2, 1],
      [1, 3],
      [2, 3],
    ],
    [
      [5, 1, 4],
      [3, 1],
      [5, 3, 4],
    ],
    [[1], [0], [0]],
    [[2, 0], [1], [2, 0]],
    [
      [8, 1, 6, 1],
      [7, 1, 5],
      [8, 7, 6, 5],
    ],
  ];
  for (const [a, b, want] of valid) {
    it(`[${a}] with [${b}] is [${want}] (both orders)`, () => {
      expect(broadcastShapes('add', a, b)).toEqual(want);
      expect(broadcastShapes('add', b, a)).toEqual(want);
    });
  }

  const invalid: [number[], number[], RegExp][] = [
    [[2, 3], [4], /mul: shapes \[2,3\] and \[4\] cannot be broadcast together \(dimension 1 of the result: 3 vs 4\)/],
    [
      [2, 3],
      [3, 2],
      /mul: shapes \[2,3\] and \[3,2\] cannot be broadcast together \(dimension 0 of the result: 2 vs 3\)/,
    ],
    [[2], [0], /mul: shapes \[2\] and \[0\] cannot be broadcast together \(dimension 0 of the result: 2 vs 0\)/],
    [
      [4, 2, 3],
      [5, 1, 3],
      /mul: shapes \[4,2,3\] and \[5,1,3\] cannot be broadcast together \(dimension 0 of the result: 4 vs 5\)/,
    ],
  ];
  for (const [a, b, msg] of invalid) {
    it(`[${a}] with [${b}] throws a ShapeError naming the op and shapes`, () => {
      expect(() => broadcastShapes('mul', a, b)).toThrow(ShapeError);
      expect(() => broadcastShapes('mul', a, b)).toThrow(msg);
    });
  }
});

describe('normalizeAxis / normalizeAxes', () => {
  it('resolves negative axes', () => {
    expect(normalizeAxis('sum', -1, 3)).toBe(2);
    expect(normalizeAxis('sum', -3, 3)).toBe(0);
    expect(normalizeAxis('sum', 2, 3)).toBe(2);
  });
  it('rejects out-of-range and non-integer axes with the op, the axis and the range', () => {
    expect(() => normalizeAxis('sum', 3, 3)).toThrow(AxisError);
    expect(() => normalizeAxis('sum', 3, 3)).toThrow(
      /sum: axis 3 is out of range for a tensor of rank 3 \(expected -3 to 2\)/,
    );
    expect(() => normalizeAxis('softmax', -4, 3)).toThrow(/softmax: axis -4 is out of range for a tensor of rank 3/);
    expect(() => normalizeAxis('sum', 0.5, 3)).toThrow(AxisError);
    expect(() => normalizeAxis('sum', 0, 0)).toThrow(/sum: axis 0 is out of range for a tensor of rank 0/);
  });
  it('undefined and null mean every axis; a number means one', () => {
    expect(normalizeAxes('sum', undefined, 3)).toEqual([0, 1, 2]);
    expect(normalizeAxes('sum', null, 2)).toEqual([0, 1]);
    expect(normalizeAxes('sum', undefined, 0)).toEqual([]);
    expect(normalizeAxes('sum', -1, 3)).toEqual([2]);
  });
  it('sorts, resolves negatives and rejects duplicates after resolution', () => {
    expect(normalizeAxes('sum', [2, -3], 3)).toEqual([0, 2]);
    expect(normalizeAxes('sum', [], 3)).toEqual([]);
    expect(() => normalizeAxes('sum', [0, -3], 3)).toThrow(AxisError);
    expect(() => normalizeAxes('sum', [0, -3], 3)).toThrow(/sum: axis 0 appears more than once in \[0,-3\]/);
    expect(() => normalizeAxes('max', [1, 4], 3)).toThrow(/max: axis 4 is out of range for a tensor of rank 3/);
  });
});

describe('contiguousStrides / isContiguous', () => {
  it('row-major strides in elements', () => {
    expect(contiguousStrides([])).toEqual([]);
    expect(contiguousStrides([5])).toEqual([1]);
    expect(contiguousStrides([2, 3, 4])).toEqual([12, 4, 1]);
    expect(contiguousStrides([2, 0, 4])).toEqual([0, 4, 1]);
  });
  it('recognises dense row-major layouts, ignoring strides of size-1 dims', () => {
    expect(isContiguous([2, 3, 4], [12, 4, 1])).toBe(true);
    expect(isContiguous([], [])).toBe(true);
    expect(isContiguous([2, 1, 4], [4, 999, 1])).toBe(true);
    expect(isContiguous([1, 1], [0, 0])).toBe(true);
  });
  it('rejects transposed, broadcast and strided-slice layouts', () => {
    expect(isContiguous([3, 2], [1, 3])).toBe(false); // transpose of [2,3]
    expect(isContiguous([2, 3], [0, 1])).toBe(false); // broadcast rows
    expect(isContiguous([2, 3], [6, 1])).toBe(false); // every other row
    expect(isContiguous([3], [2])).toBe(false); // step 2
  });
});

describe('checkShape', () => {
  it('copies a valid shape', () => {
    const s = [2, 0, 3];
    const out = checkShape('zeros', s);
    expect(out).toEqual([2, 0, 3]);
    expect(out).not.toBe(s);
  });
  it('rejects negative and fractional dims with the op and the shape', () => {
    expect(() => checkShape('zeros', [2, -1])).toThrow(ShapeError);
    expect(() => checkShape('zeros', [2, -1])).toThrow(/zeros: shape \[2,-1\] has an invalid dimension -1/);
    expect(() => checkShape('ones', [1.5])).toThrow(/ones: shape \[1.5\] has an invalid dimension 1.5/);
  });
});
