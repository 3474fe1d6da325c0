import { describe, expect, it } from 'vitest';
import { agreement, atMost } from '../src/checks';
import { extrapolate, gflops, matmulFlops, median, relativeError, stepsPerEpoch } from '../src/stats';
import { batchesToTime } from '../src/work/mlp/measure';

describe('report arithmetic', () => {
  it('median of odd and even counts, unsorted input untouched', () => {
    const xs = [5, 1, 3];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(/no samples/);
  });

  it('a square matmul is 2n³ flop; GFLOP/s divides by time', () => {
    expect(matmulFlops(1024)).toBe(2_147_483_648);
    expect(gflops(1000, 0.5)).toBeCloseTo(4, 12); // 2e9 flop in 0.5 s
    expect(gflops(2048, 1)).toBeCloseTo(17.179869184, 9);
  });

  it('steps per epoch count a short last batch; extrapolation is linear in batches', () => {
    expect(stepsPerEpoch(60000, 32)).toBe(1875);
    expect(stepsPerEpoch(60000, 128)).toBe(469);
    expect(extrapolate(9, 100, 1875)).toBeCloseTo(168.75, 12);
    expect(() => extrapolate(1, 0, 10)).toThrow(/positive/);
  });

  it('relative error is the largest difference over the largest reference value', () => {
    expect(relativeError([1, 2.5, -4], [1, 2, -4])).toBeCloseTo(0.125, 12);
    expect(relativeError([0, 0], [0, 0])).toBe(0);
    expect(() => relativeError([1], [1, 2])).toThrow(/1 values vs 2/);
  });
});

describe('MLP batch counts', () => {
  const plan = { batchSizes: [32], warmupBatches: 20, maxEpochSeconds: 60, slowBudgetSeconds: 15, processes: 1 };

  it('times a whole epoch when the warm-up predicts it fits the limit', () => {
    // 20 batches in 0.5 s → 1875 batches in 47 s.
    expect(batchesToTime(plan, 1875, 0.5)).toBe(1875);
  });

  it('times about slowBudgetSeconds of batches for a slow framework', () => {
    // 20 batches in 2 s: 0.1 s a batch → 150 batches for 15 s.
    expect(batchesToTime(plan, 1875, 2)).toBe(150);
    // Never fewer than the warm-up, never more than the epoch.
    expect(batchesToTime(plan, 1875, 100)).toBe(20);
  });

  it('--batches wins, capped at the epoch', () => {
    expect(batchesToTime({ ...plan, batches: 7 }, 1875, 100)).toBe(7);
    expect(batchesToTime({ ...plan, batches: 5000 }, 469, 0.1)).toBe(469);
  });
});

describe('checks', () => {
  it('agreement passes within abs + rel·|median| and fails outside, or on NaN', () => {
    const tol = { abs: 0.01, rel: 0.1 };
    expect(agreement('x', { tsdl: 1.0, 'jax-js': 1.1 }, tol, 'why').ok).toBe(true);
    expect(agreement('x', { tsdl: 1.0, 'jax-js': 1.2 }, tol, 'why').ok).toBe(false);
    expect(agreement('x', { tsdl: 1.0, 'jax-js': Number.NaN }, tol, 'why').ok).toBe(false);
    expect(agreement('x', { tsdl: 1.0 }, tol, 'why').ok).toBe(true);
  });

  it('atMost bounds every error', () => {
    expect(atMost('e', { tsdl: 1e-7, 'tfjs-cpu': 5e-5 }, 1e-4, 'why').ok).toBe(true);
    expect(atMost('e', { tsdl: 1e-7, 'tfjs-cpu': 2e-4 }, 1e-4, 'why').ok).toBe(false);
  });
});
