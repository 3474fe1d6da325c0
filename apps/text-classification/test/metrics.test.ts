import { ArgumentError } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { binaryMetrics, confusion } from '../src/metrics';

describe('held-out metrics (spam positive)', () => {
  it('counts decisions at the 0.5 threshold', () => {
    //          tp    fp   tn   fn   tp   tn (0.5 is not above the threshold)
    const p = [0.9, 0.7, 0.1, 0.2, 0.51, 0.5];
    const y = [1, 0, 0, 1, 1, 0];
    expect(confusion(p, y)).toEqual({ tp: 2, fp: 1, tn: 2, fn: 1 });
    expect(confusion(p, y, 0.8)).toEqual({ tp: 1, fp: 0, tn: 3, fn: 2 });
  });

  it('gives the known accuracy, precision, recall and F1 of a confusion matrix', () => {
    // 100 emails: 40 spam of which 30 caught, 10 ham called spam.
    const m = binaryMetrics({ tp: 30, fp: 10, tn: 50, fn: 10 });
    expect(m.accuracy).toBeCloseTo(0.8, 12);
    expect(m.precision).toBeCloseTo(0.75, 12);
    expect(m.recall).toBeCloseTo(0.75, 12);
    expect(m.f1).toBeCloseTo(0.75, 12);
    // Precision 1, recall 1/4: F1 = 2·1·0.25 / 1.25 = 0.4.
    const n = binaryMetrics({ tp: 1, fp: 0, tn: 6, fn: 3 });
    expect([n.accuracy, n.precision, n.recall, n.f1]).toEqual([0.7, 1, 0.25, 0.4]);
  });

  it('reports 0 (not NaN) where nothing is called spam, or there is no spam', () => {
    expect(binaryMetrics({ tp: 0, fp: 0, tn: 8, fn: 2 })).toMatchObject({
      accuracy: 0.8,
      precision: 0,
      recall: 0,
      f1: 0,
    });
    expect(binaryMetrics({ tp: 0, fp: 3, tn: 7, fn: 0 })).toMatchObject({
      accuracy: 0.7,
      precision: 0,
      recall: 0,
      f1: 0,
    });
  });

  it('rejects mismatched lengths, labels other than 0 and 1, and no samples', () => {
    expect(() => confusion([0.1, 0.2], [0])).toThrow(ArgumentError);
    expect(() => confusion([0.1, 0.2], [0, 1])).not.toThrow();
    expect(() => confusion([0.1], [2])).toThrow(/labels must be 0 or 1, got 2 at 0/);
    expect(() => binaryMetrics({ tp: 0, fp: 0, tn: 0, fn: 0 })).toThrow(/no samples/);
  });
});
