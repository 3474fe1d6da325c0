import { describe, expect, it } from 'vitest';
import { LambdaLR } from '../src/index';
import { useCpu } from './helpers';
import { expectSequences, fixtures, lrSequence, release, sgd } from './schedule-fixtures';

useCpu();

describe('LambdaLR', () => {
  it('one function for every group matches PyTorch (0.95^t)', () => {
    const opt = sgd([0.1]);
    expectSequences(lrSequence(opt, new LambdaLR(opt, (t) => 0.95 ** t), 6), fixtures.schedules.lambda.lrs, 'LambdaLR');
    release(opt);
  });

  it('one function per group matches PyTorch', () => {
    const opt = sgd([0.1, 0.3]);
    const s = new LambdaLR(opt, [(t) => Math.floor(t / 3), (t) => 0.9 ** t]);
    expectSequences(lrSequence(opt, s, 7), fixtures.schedules.lambda_per_group.lrs, 'per group');
    expect(s.stateDict()).toEqual({ lastEpoch: 7, baseLrs: [0.1, 0.3] });
    release(opt);
  });

  it('rejects a wrong number of functions, a non-function, and a bad multiplier without advancing', () => {
    const opt = sgd([0.1, 0.3]);
    expect(() => new LambdaLR(opt, [(t) => t])).toThrow(
      /LambdaLR: expected 2 lrLambda functions \(one per parameter group\), got 1/,
    );
    expect(() => new LambdaLR(opt, [(t) => t, 3 as never])).toThrow(
      /LambdaLR: lrLambda\[1\] must be a function of the epoch, got number/,
    );
    const s = new LambdaLR(opt, (t) => (t === 2 ? -1 : 1));
    s.step();
    expect(() => s.step()).toThrow(
      /LambdaLR: lrLambda returned -1 at epoch 2 for parameter group 0; expected a finite number >= 0/,
    );
    // The failed step changed neither the epoch nor any group's rate.
    expect(s.lastEpoch).toBe(1);
    expect(s.getLrs()).toEqual([0.1, 0.3]);
    expect(() => new LambdaLR(opt, () => NaN)).toThrow(/lrLambda returned NaN at epoch 0/);
    release(opt);
  });
});
