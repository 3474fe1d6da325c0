import { describe, expect, it } from 'vitest';
import { Adam, OneCycleLR } from '../src/index';
import { param, useCpu } from './helpers';
import { expectSequences, fixtures, lrSequence, release, sgd } from './schedule-fixtures';

useCpu();

const momentum = (g: Record<string, unknown>) => g.momentum as number;
const beta1 = (g: Record<string, unknown>) => (g.betas as number[])[0];

describe('OneCycleLR', () => {
  it('two cosine phases with SGD momentum cycled inversely match PyTorch', () => {
    const opt = sgd([0.1], { momentum: 0.9 });
    const make = () => new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 20 });
    const ref = fixtures.schedules.one_cycle_sgd;
    expectSequences(lrSequence(opt, make(), 20), ref.lrs, 'lr');
    expectSequences(lrSequence(opt, make(), 20, momentum), ref.momentum!, 'momentum');
    release(opt);
  });

  it('three linear phases over epochs × stepsPerEpoch, per-group maxLr and Adam’s β1, match PyTorch', () => {
    const opt = new Adam([{ params: [param([0])] }, { params: [param([0])] }]);
    const make = () =>
      new OneCycleLR(opt, {
        maxLr: [0.1, 0.2],
        epochs: 4,
        stepsPerEpoch: 5,
        pctStart: 0.25,
        annealStrategy: 'linear',
        threePhase: true,
        divFactor: 10,
        finalDivFactor: 100,
      });
    const ref = fixtures.schedules.one_cycle_adam_three_phase_linear;
    expectSequences(lrSequence(opt, make(), 20), ref.lrs, 'lr');
    expectSequences(lrSequence(opt, make(), 20, beta1), ref.momentum!, 'beta1');
    // β2 is left alone.
    expect((opt.paramGroups[0].betas as number[])[1]).toBe(0.999);
    release(opt);
  });

  it('refuses to step past totalSteps, leaving the rate; and checks its options', () => {
    const opt = sgd([0.1], { momentum: 0.9 });
    const s = new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 4, pctStart: 0.5, cycleMomentum: false });
    for (let i = 0; i < 4; i++) s.step();
    const lr = s.getLr();
    expect(() => s.step()).toThrow(/OneCycleLR.step: tried to step 6 times; the cycle has totalSteps = 4/);
    expect([s.lastEpoch, s.getLr()]).toEqual([4, lr]);
    expect(opt.paramGroups[0].momentum).toBe(0.9); // not cycled
    expect(() => new OneCycleLR(opt, { maxLr: 0.1 })).toThrow(
      /OneCycleLR: give totalSteps, or epochs and stepsPerEpoch/,
    );
    expect(() => new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, pctStart: 0.1 })).toThrow(
      /OneCycleLR: phase 1 of 2 would end at step 0/,
    );
    expect(() => new OneCycleLR(opt, { maxLr: [0.1, 0.2], totalSteps: 10 })).toThrow(
      /maxLr has 2 entries but the optimizer has 1 parameter groups/,
    );
    expect(() => new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, anneal: 'cos' } as never)).toThrow(
      /OneCycleLR: unknown option 'anneal'/,
    );
    expect(() => new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, annealStrategy: 'exp' as never })).toThrow(
      /annealStrategy must be one of 'cos', 'linear'/,
    );
    release(opt);
  });
});
