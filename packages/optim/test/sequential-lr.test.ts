import { ArgumentError } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import {
  AdamW,
  ConstantLR,
  CosineAnnealingLR,
  ExponentialLR,
  LinearLR,
  ReduceLROnPlateau,
  SequentialLR,
  StepLR,
} from '../src/index';
import { param, useCpu } from './helpers';
import { expectSequences, fixtures, lrSequence, release, sgd } from './schedule-fixtures';

useCpu();

const torch = fixtures.schedules;

/** nanoGPT's recipe on an AdamW at 1e-3: 100 warm-up iterations from 1e-5, then cosine to 1e-4 over the other 900. */
function nanoGpt() {
  const opt = new AdamW([param([0])], { lr: 1e-3, weightDecay: 0.1 });
  const warmup = new LinearLR(opt, { startFactor: 0.01, endFactor: 1, totalIters: 100 });
  const decay = new CosineAnnealingLR(opt, { totalSteps: 900, minLr: 1e-4 });
  const schedule = new SequentialLR(opt, { schedulers: [warmup, decay], milestones: [100] });
  return { opt, warmup, decay, schedule };
}

describe('SequentialLR', () => {
  it('nanoGPT’s warm-up then cosine decay matches PyTorch over all 1000 iterations', () => {
    const { opt, schedule } = nanoGpt();
    const seq = lrSequence(opt, schedule, 1000);
    expectSequences(seq, torch.sequential_nanogpt.lrs, 'nanoGPT');
    // Known points: 1e-5 at the start, the peak at the milestone, half-way down at 550, 1e-4 at the end.
    expect(seq[0][0]).toBeCloseTo(1e-5, 18);
    expect(seq[0][100]).toBe(1e-3);
    expect(seq[0][550]).toBeCloseTo((1e-3 + 1e-4) / 2, 15);
    expect(seq[0][1000]).toBeCloseTo(1e-4, 18);
    release(opt);
  });

  it('three schedules with two milestones, and two groups, match PyTorch', () => {
    const opt = sgd([1]);
    const a = new ConstantLR(opt, { factor: 0.1, totalIters: 2 });
    const b = new ExponentialLR(opt, 0.9);
    const c = new StepLR(opt, 3, 0.5);
    expectSequences(
      lrSequence(opt, new SequentialLR(opt, { schedulers: [a, b, c], milestones: [2, 6] }), 12),
      torch.sequential_three.lrs,
      'three',
    );
    const two = sgd([0.1, 0.4]);
    const warm = new LinearLR(two, { startFactor: 0.5, totalIters: 3 });
    const exp = new ExponentialLR(two, 0.8);
    expectSequences(
      lrSequence(two, new SequentialLR(two, { schedulers: [warm, exp], milestones: [3] }), 7),
      torch.sequential_two_groups.lrs,
      'two groups',
    );
    release(opt);
    release(two);
  });

  it('steps only the schedule in charge, restarting it at epoch 0 at its milestone', () => {
    const { opt, warmup, decay, schedule } = nanoGpt();
    // The cosine schedule set the rate to 1e-3 when it was made; SequentialLR reset it and restarted the warm-up.
    expect([warmup.lastEpoch, decay.lastEpoch, schedule.getLr()]).toEqual([0, 0, 1e-5]);
    for (let i = 0; i < 99; i++) schedule.step();
    expect([warmup.lastEpoch, decay.lastEpoch]).toEqual([99, 0]);
    schedule.step(); // epoch 100: the milestone
    expect([warmup.lastEpoch, decay.lastEpoch, schedule.lastEpoch]).toEqual([99, 0, 100]);
    schedule.step();
    expect([warmup.lastEpoch, decay.lastEpoch]).toEqual([99, 1]);
    release(opt);
  });

  it('a state dict taken mid-run restores the position in a fresh SequentialLR', () => {
    const run = nanoGpt();
    for (let i = 0; i < 250; i++) run.schedule.step();
    const sd = run.schedule.stateDict();
    expect(sd).toEqual({
      lastEpoch: 250,
      milestones: [100],
      schedulers: [
        { lastEpoch: 99, baseLrs: [1e-3] },
        { lastEpoch: 150, baseLrs: [1e-3] },
      ],
    });
    const fresh = nanoGpt();
    fresh.schedule.loadStateDict(JSON.parse(JSON.stringify(sd)));
    expect(fresh.schedule.getLr()).toBe(run.schedule.getLr());
    for (let i = 0; i < 10; i++) {
      run.schedule.step();
      fresh.schedule.step();
      expect(fresh.schedule.getLr()).toBe(run.schedule.getLr());
    }
    expect(fresh.schedule.getLr()).toBeCloseTo(torch.sequential_nanogpt.lrs[0][260], 15);
    expect(() => fresh.schedule.loadStateDict({ ...sd, milestones: [50] })).toThrow(
      /SequentialLR.loadStateDict: the state dict's milestones \[50\] differ from \[100\]/,
    );
    expect(() => fresh.schedule.loadStateDict({ ...sd, schedulers: [sd.schedulers[0]] })).toThrow(
      /the state dict has 1 schedules, this SequentialLR has 2/,
    );
    release(run.opt);
    release(fresh.opt);
  });

  it('rejects wrong milestones, schedules of another optimizer or kind, and unknown options', () => {
    const opt = sgd([1]);
    const other = sgd([1]);
    const a = new ConstantLR(opt);
    const b = new ExponentialLR(opt, 0.9);
    expect(() => new SequentialLR(opt, { schedulers: [a, b], milestones: [] })).toThrow(
      /SequentialLR: expected 1 milestones \(one fewer than the 2 schedulers\), got \[\]/,
    );
    expect(() => new SequentialLR(opt, { schedulers: [a, b, new StepLR(opt, 2)], milestones: [4, 4] })).toThrow(
      /SequentialLR: milestones must increase, got \[4,4\]/,
    );
    expect(() => new SequentialLR(opt, { schedulers: [a, new ExponentialLR(other, 0.5)], milestones: [2] })).toThrow(
      /schedulers\[1\] \(ExponentialLR\) drives another optimizer/,
    );
    expect(
      () => new SequentialLR(opt, { schedulers: [a, new ReduceLROnPlateau(opt) as never], milestones: [2] }),
    ).toThrow(/schedulers\[1\] must be an epoch schedule .* got ReduceLROnPlateau/);
    expect(() => new SequentialLR(opt, { schedulers: [], milestones: [] })).toThrow(
      /schedulers must be a non-empty array/,
    );
    expect(() => new SequentialLR(opt, { schedulers: [a, b], milestones: [2], lastEpoch: 3 } as never)).toThrow(
      /SequentialLR: unknown option 'lastEpoch' \(known: schedulers, milestones\)/,
    );
    expect(() => new SequentialLR(opt, { schedulers: [a, b], milestones: [0] })).toThrow(ArgumentError);
    release(opt);
    release(other);
  });
});
