import { describe, expect, it } from 'vitest';
import { leastSquares, solve } from '../src/least-squares';

describe('least-squares reference', () => {
  it('solves a 3×3 system that needs pivoting', () => {
    // [[0, 2, 1], [1, 1, 1], [2, 1, 0]] · [1, 2, 3] = [7, 6, 4]
    const M = [new Float64Array([0, 2, 1]), new Float64Array([1, 1, 1]), new Float64Array([2, 1, 0])];
    const v = solve(M, new Float64Array([7, 6, 4]));
    [1, 2, 3].forEach((want, i) => expect(v[i]).toBeCloseTo(want, 12));
  });

  it('recovers the exact coefficients of noise-free data', () => {
    const n = 50;
    const d = 3;
    const w = [0.5, -2, 3];
    const b = -1.5;
    const x = new Float64Array(n * d);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) x[i * d + j] = Math.sin(i * (j + 1) + j); // deterministic, full rank
      y[i] = b + w.reduce((s, wj, j) => s + wj * x[i * d + j], 0);
    }
    const fit = leastSquares(x, y, n, d);
    w.forEach((wj, j) => expect(fit.weights[j]).toBeCloseTo(wj, 10));
    expect(fit.bias).toBeCloseTo(b, 10);
  });

  it('names the op for a singular system', () => {
    const x = new Float64Array([1, 1, 2, 2, 3, 3]); // two identical columns
    expect(() => leastSquares(x, [1, 2, 3], 3, 2)).toThrow(/leastSquares: the 3×3 normal matrix is singular/);
  });
});
