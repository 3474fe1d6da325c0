import { describe, expect, it } from 'vitest';
import { transposeSquare, transposedProbe } from '../src/work/matmul-transposes/reference';
import { COMBINATIONS, combinationLabel } from '../src/work/matmul-transposes/runner';

// A = [[1, 2], [3, 4]], B = [[5, 6], [7, 8]]; products worked by hand.
const A = Float32Array.of(1, 2, 3, 4);
const B = Float32Array.of(5, 6, 7, 8);
const PRODUCTS: Record<string, number[][]> = {
  'A·B': [
    [19, 22],
    [43, 50],
  ],
  'Aᵀ·B': [
    [26, 30],
    [38, 44],
  ],
  'A·Bᵀ': [
    [17, 23],
    [39, 53],
  ],
  'Aᵀ·Bᵀ': [
    [23, 31],
    [34, 46],
  ],
};

describe('matmul-transposes reference', () => {
  it('transposeSquare swaps rows and columns', () => {
    expect([...transposeSquare(Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9), 3)]).toEqual([1, 4, 7, 2, 5, 8, 3, 6, 9]);
  });

  it('lists the four combinations, plain first', () => {
    expect(COMBINATIONS.map(combinationLabel)).toEqual(['A·B', 'Aᵀ·B', 'A·Bᵀ', 'Aᵀ·Bᵀ']);
  });

  it('probes op(A)·op(B) for every combination', () => {
    for (const t of COMBINATIONS) {
      const want = PRODUCTS[combinationLabel(t)];
      const probe = transposedProbe(A, B, 2, t);
      expect(probe.values.length).toBe(64);
      probe.values.forEach((v, s) => expect(v).toBe(want[probe.rows[s]][probe.cols[s]]));
    }
  });
});
