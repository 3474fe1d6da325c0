import { describe, expect, it } from 'vitest';
import { CosineAnnealingWarmRestarts } from '../src/index';
import { useCpu } from './helpers';
import { expectSequences, fixtures, lrSequence, release, sgd } from './schedule-fixtures';

useCpu();

describe('CosineAnnealingWarmRestarts', () => {
  it('cycles of 3, 6, 12 … epochs (TMult 2) with etaMin match PyTorch', () => {
    const opt = sgd([0.5]);
    const s = new CosineAnnealingWarmRestarts(opt, { T0: 3, TMult: 2, etaMin: 0.01 });
    const seq = lrSequence(opt, s, 25);
    expectSequences(seq, fixtures.schedules.warm_restarts_mult2.lrs, 'TMult 2');
    // Restarts at epochs 3, 9 and 21 return to the initial rate.
    expect([seq[0][3], seq[0][9], seq[0][21]]).toEqual([0.5, 0.5, 0.5]);
    expect(s.cyclePosition(20)).toEqual([11, 12]);
    release(opt);
  });

  it('equal cycles (TMult 1) match PyTorch, and state dicts restore the position', () => {
    const opt = sgd([0.5]);
    const s = new CosineAnnealingWarmRestarts(opt, { T0: 4 });
    expectSequences(lrSequence(opt, s, 13), fixtures.schedules.warm_restarts_mult1.lrs, 'TMult 1');
    const other = sgd([0.5]);
    const restored = new CosineAnnealingWarmRestarts(other, { T0: 4 });
    restored.loadStateDict(s.stateDict());
    expect(restored.getLr()).toBe(s.getLr());
    release(opt);
    release(other);
  });

  it('rejects bad and unknown options', () => {
    const opt = sgd([0.5]);
    expect(() => new CosineAnnealingWarmRestarts(opt, { T0: 0 })).toThrow(
      /CosineAnnealingWarmRestarts: T0 must be an integer >= 1, got 0/,
    );
    expect(() => new CosineAnnealingWarmRestarts(opt, { T0: 2, TMult: 1.5 })).toThrow(
      /TMult must be an integer >= 1, got 1.5/,
    );
    expect(() => new CosineAnnealingWarmRestarts(opt, { T0: 2, T_mult: 2 } as never)).toThrow(
      /unknown option 'T_mult' \(known: T0, TMult, etaMin\)/,
    );
    release(opt);
  });
});
