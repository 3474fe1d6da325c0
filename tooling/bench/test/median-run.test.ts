import { describe, expect, it } from 'vitest';
import type { Measured } from '../src/work/mlp/measure';
import { medianRun } from '../src/work/mlp/median-run';

const run = (seconds: number, loss = 1): Measured => ({
  epoch: { kind: 'time', seconds },
  step: { kind: 'time', seconds: seconds / 1000 },
  warmupLoss: loss,
});

describe('medianRun', () => {
  it("returns the median epoch's run, footnoted with every epoch in order", () => {
    const m = medianRun([run(1.5, 0.1), run(1.2, 0.2), run(1.9, 0.3)]);
    expect(m.epoch).toEqual({
      kind: 'time',
      seconds: 1.5,
      note: 'median of 3 fresh processes (epochs 1.20, 1.50, 1.90 s)',
    });
    // The step and the loss are that same run's.
    expect(m.step).toEqual({ kind: 'time', seconds: 0.0015 });
    expect(m.warmupLoss).toBe(0.1);
  });

  it("keeps the median run's own note (an extrapolation) after the processes' epochs", () => {
    const ex = (seconds: number): Measured => ({
      epoch: { kind: 'time', seconds, note: 'extrapolated to a full epoch from 3 of 32 batches' },
      step: { kind: 'time', seconds: seconds / 32 },
    });
    expect(medianRun([ex(2), ex(1), ex(3)]).epoch).toEqual({
      kind: 'time',
      seconds: 2,
      note: 'median of 3 fresh processes (epochs 1.00, 2.00, 3.00 s); extrapolated to a full epoch from 3 of 32 batches',
    });
  });

  it('takes the faster middle run of an even count, and one run as it is', () => {
    expect(medianRun([run(2), run(1), run(4), run(3)]).epoch).toMatchObject({ seconds: 2 });
    const one = run(1.7);
    expect(medianRun([one])).toBe(one);
  });

  it('reports a failed run rather than dropping it, and refuses no runs', () => {
    const failed: Measured = {
      epoch: { kind: 'failed', reason: 'out of memory' },
      step: { kind: 'failed', reason: 'out of memory' },
    };
    expect(medianRun([run(1), failed, run(2)])).toBe(failed);
    expect(() => medianRun([])).toThrow(/no runs/);
  });
});
