import { ArgumentError, GradientError } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { clipGradNorm, clipGradNormAsync, clipGradValue } from '../src/index';
import { expectClose, param, setGrad, useCpu, values } from './helpers';

useCpu();

function withGrads(grads: number[][]) {
  const ps = grads.map((g) => {
    const p = param(g.map(() => 0));
    setGrad(p, g);
    return p;
  });
  return {
    ps,
    grads: () => ps.map((p) => values(p.grad!)),
    release: () => ps.forEach((p) => (p.zeroGrad(), p.dispose())),
  };
}

describe('clipGradNorm', () => {
  it('returns the total 2-norm and rescales the gradients to maxNorm (PyTorch: coef = maxNorm / (norm + 1e-6))', () => {
    const w = withGrads([[3, 4], [12]]); // ‖·‖ = 13
    const handles = w.ps.map((p) => p.grad);
    const norm = clipGradNorm(w.ps, 6.5);
    expect(norm).toBeCloseTo(13, 5);
    const coef = 6.5 / (13 + 1e-6);
    expectClose(w.grads().flat(), [3 * coef, 4 * coef, 12 * coef]);
    // The same .grad handles, updated in place; the clipped norm is maxNorm.
    expect(w.ps.map((p) => p.grad)).toEqual(handles);
    expect(Math.hypot(...w.grads().flat())).toBeCloseTo(6.5, 4);
    w.release();
  });

  it('leaves gradients alone when the norm is below maxNorm', () => {
    const w = withGrads([[0.3, -0.4]]);
    expect(clipGradNorm(w.ps, 1)).toBeCloseTo(0.5, 6);
    expectClose(w.grads()[0], [0.3, -0.4]);
    w.release();
  });

  it('supports the 1-norm, the max-norm and general p', () => {
    const cases: [number, number][] = [
      [1, 3 + 4 + 12],
      [Infinity, 12],
      [3, Math.cbrt(27 + 64 + 1728)],
    ];
    for (const [p, expected] of cases) {
      const w = withGrads([[3, -4], [-12]]);
      const norm = clipGradNorm(w.ps, 2, p);
      expect(norm).toBeCloseTo(expected, 3);
      const coef = 2 / (expected + 1e-6);
      expectClose(w.grads().flat(), [3 * coef, -4 * coef, -12 * coef], 1e-5);
      w.release();
    }
  });

  it('skips parameters without gradients and returns 0 when there are none', () => {
    const a = param([1, 2]);
    expect(clipGradNorm([a], 1)).toBe(0);
    const w = withGrads([[6, 8]]);
    expect(clipGradNorm([a, ...w.ps], 5)).toBeCloseTo(10, 5);
    expect(a.grad).toBeNull();
    a.dispose();
    w.release();
  });

  it('accepts a single tensor, has an async form, and checks its arguments', async () => {
    const w = withGrads([[6, 8]]);
    expect(await clipGradNormAsync(w.ps[0], 5)).toBeCloseTo(10, 5);
    expectClose(w.grads()[0], [3, 4], 1e-5);
    expect(() => clipGradNorm(w.ps, -1)).toThrow(ArgumentError);
    expect(() => clipGradNorm(w.ps, 1, 0)).toThrow(/normType must be a number > 0 or Infinity, got 0/);
    w.release();
  });

  it('errorIfNonfinite throws on a NaN or infinite norm', () => {
    const w = withGrads([[Infinity, 1]]);
    expect(() => clipGradNorm(w.ps, 1, 2, { errorIfNonfinite: true })).toThrow(GradientError);
    w.release();
  });
});

describe('clipGradValue', () => {
  it('clamps every gradient element into [-clipValue, clipValue]', () => {
    const w = withGrads([
      [-3, 0.2, 5],
      [0.5, -0.05],
    ]);
    clipGradValue(w.ps, 0.5);
    expect(w.grads()[0]).toEqual([-0.5, Math.fround(0.2), 0.5]);
    expect(w.grads()[1]).toEqual([0.5, Math.fround(-0.05)]);
    expect(() => clipGradValue(w.ps, -1)).toThrow(/clipGradValue: clipValue must be a number >= 0, got -1/);
    w.release();
  });
});
