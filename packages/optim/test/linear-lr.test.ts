import { ArgumentError } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { ConstantLR, LinearLR, MultiStepLR, PolynomialLR, StepLR } from '../src/index';
import { useCpu } from './helpers';
import { expectSequences, fixtures, lrSequence, release, sgd } from './schedule-fixtures';

useCpu();

const torch = fixtures.schedules;

describe('LinearLR', () => {
  it('with the defaults (1/3 → 1 over 5 epochs) matches PyTorch', () => {
    const opt = sgd([0.05]);
    const s = new LinearLR(opt);
    expect([s.startFactor, s.endFactor, s.totalIters]).toEqual([1 / 3, 1, 5]);
    expectSequences(lrSequence(opt, s, 8), torch.linear_default.lrs, 'LinearLR()');
    release(opt);
  });

  it('scales every group from its own initial rate, and decays as well as warms up (PyTorch)', () => {
    const two = sgd([0.1, 0.2]);
    expectSequences(
      lrSequence(two, new LinearLR(two, { startFactor: 0.25, endFactor: 0.75, totalIters: 4 }), 8),
      torch.linear_two_groups.lrs,
      'two groups',
    );
    const one = sgd([0.3]);
    expectSequences(
      lrSequence(one, new LinearLR(one, { startFactor: 1, endFactor: 0.1, totalIters: 6 }), 9),
      torch.linear_decay.lrs,
      'decay',
    );
    release(two);
    release(one);
  });

  it('known answers by hand: 0.05 · (0.5 + 0.5·t/4), a start factor of 0, and state dicts', () => {
    const opt = sgd([0.05]);
    const s = new LinearLR(opt, { startFactor: 0.5, totalIters: 4 });
    lrSequence(opt, s, 5)[0].forEach((lr, t) =>
      expect(lr, `epoch ${t}`).toBeCloseTo([0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05][t], 15),
    );
    const sd = s.stateDict();
    expect(sd).toEqual({ lastEpoch: 5, baseLrs: [0.05] });
    const other = sgd([0.05]);
    const restored = new LinearLR(other, { startFactor: 0.5, totalIters: 4 });
    restored.loadStateDict({ lastEpoch: 2, baseLrs: [0.05] });
    expect(restored.getLr()).toBeCloseTo(0.0375, 15);
    const zero = sgd([1]);
    expect(lrSequence(zero, new LinearLR(zero, { startFactor: 0, totalIters: 4 }), 4)[0]).toEqual([
      0, 0.25, 0.5, 0.75, 1,
    ]);
    [opt, other, zero].forEach(release);
  });

  it('rejects bad and unknown options, naming them', () => {
    const opt = sgd([0.1]);
    expect(() => new LinearLR(opt, { startFactor: 1.5 })).toThrow(
      /LinearLR: startFactor must be a number in \[0, 1\], got 1.5/,
    );
    expect(() => new LinearLR(opt, { endFactor: -0.1 })).toThrow(
      /LinearLR: endFactor must be a number in \[0, 1\], got -0.1/,
    );
    expect(() => new LinearLR(opt, { totalIters: 0 })).toThrow(/LinearLR: totalIters must be an integer >= 1, got 0/);
    expect(() => new LinearLR(opt, { totalIter: 3 } as never)).toThrow(
      /LinearLR: unknown option 'totalIter' \(known: startFactor, endFactor, totalIters\)/,
    );
    expect(() => new LinearLR(opt, JSON.parse('{"__proto__": 1}'))).toThrow(ArgumentError);
    expect(() => new LinearLR(opt, 0.5 as never)).toThrow(/LinearLR: options .* must be an object, got number/);
    expect(() => new LinearLR({ paramGroups: [] } as never)).toThrow(/LinearLR: expected an optimizer/);
    release(opt);
  });

  it('a schedule made after another takes the groups’ initial rates, as PyTorch’s initial_lr', () => {
    const opt = sgd([0.2]);
    new LinearLR(opt, { startFactor: 0.1 }); // sets lr = 0.02
    expect(opt.lr).toBeCloseTo(0.02, 15);
    const step = new StepLR(opt, 2);
    expect(step.baseLrs).toEqual([0.2]);
    expect(opt.lr).toBe(0.2);
    release(opt);
  });
});

describe('ConstantLR, MultiStepLR, PolynomialLR match PyTorch', () => {
  it('ConstantLR(factor 0.5, totalIters 3)', () => {
    const opt = sgd([0.2]);
    expectSequences(
      lrSequence(opt, new ConstantLR(opt, { factor: 0.5, totalIters: 3 }), 6),
      torch.constant.lrs,
      'ConstantLR',
    );
    expect(() => new ConstantLR(opt, { factor: 2 })).toThrow(/ConstantLR: factor must be a number in \[0, 1\], got 2/);
    release(opt);
  });

  it('MultiStepLR, a milestone given twice multiplying twice', () => {
    const opt = sgd([1]);
    const s = new MultiStepLR(opt, { milestones: [5, 2, 8, 5], gamma: 0.5 });
    expect(s.milestones).toEqual([2, 5, 5, 8]);
    const seq = lrSequence(opt, s, 10);
    expectSequences(seq, torch.multistep.lrs, 'MultiStepLR');
    expect(seq[0]).toEqual([1, 1, 0.5, 0.5, 0.5, 0.125, 0.125, 0.125, 0.0625, 0.0625, 0.0625]);
    expect(() => new MultiStepLR(opt, { milestones: [1.5] })).toThrow(
      /MultiStepLR: milestones\[0\] must be an integer >= 0, got 1.5/,
    );
    expect(() => new MultiStepLR(opt, { milestones: 3 } as never)).toThrow(/MultiStepLR: milestones must be an array/);
    expect(() => new MultiStepLR(opt, undefined as never)).toThrow(/MultiStepLR: options .* must be an object/);
    release(opt);
  });

  it('PolynomialLR(totalIters 6, power 2)', () => {
    const opt = sgd([0.4]);
    expectSequences(
      lrSequence(opt, new PolynomialLR(opt, { totalIters: 6, power: 2 }), 8),
      torch.polynomial.lrs,
      'PolynomialLR',
    );
    release(opt);
  });
});
