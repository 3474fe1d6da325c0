import { ArgumentError, tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { CosineAnnealingLR, ExponentialLR, ReduceLROnPlateau, SGD, StepLR } from '../src/index';
import { param, useCpu } from './helpers';

useCpu();

function sgd(lr = 1, groups = 1): SGD {
  return new SGD(Array.from({ length: groups }, (_, i) => ({ params: [param([1])], lr: lr * (i + 1) })));
}

function release(opt: SGD): void {
  for (const p of opt.params) p.dispose();
}

/** The lr at construction, then after each of `n` steps. */
function sequence(s: { step(): void; getLr(): number }, n: number): number[] {
  const out = [s.getLr()];
  for (let i = 0; i < n; i++) {
    s.step();
    out.push(s.getLr());
  }
  return out;
}

function expectSeq(actual: number[], expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(a, `epoch ${i}`).toBeCloseTo(expected[i], 12));
}

describe('StepLR', () => {
  it('multiplies by gamma every stepSize epochs', () => {
    const opt = sgd(1);
    expectSeq(sequence(new StepLR(opt, 3, 0.5), 8), [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]);
    release(opt);
  });

  it('scales every group from its own initial rate and writes the optimizer lr', () => {
    const opt = sgd(0.1, 2);
    const s = new StepLR(opt, 2);
    s.step();
    s.step();
    expect(s.getLrs()[0]).toBeCloseTo(0.01, 12);
    expect(s.getLrs()[1]).toBeCloseTo(0.02, 12);
    expect(opt.paramGroups[1].lr).toBeCloseTo(0.02, 12);
    expect(s.lastEpoch).toBe(2);
    release(opt);
  });

  it('rejects bad arguments', () => {
    const opt = sgd();
    expect(() => new StepLR(opt, 0)).toThrow(/StepLR: stepSize must be an integer >= 1, got 0/);
    expect(() => new StepLR(opt, 2, -1)).toThrow(ArgumentError);
    release(opt);
  });
});

describe('ExponentialLR', () => {
  it('multiplies by gamma every epoch', () => {
    const opt = sgd(2);
    expectSeq(sequence(new ExponentialLR(opt, 0.9), 4), [2, 1.8, 1.62, 1.458, 1.3122]);
    release(opt);
  });
});

describe('CosineAnnealingLR', () => {
  it('without warm-up it is PyTorch’s closed form η_min + (η_max − η_min)(1 + cos(πt/T))/2, then stays at minLr', () => {
    const opt = sgd(1);
    const T = 10;
    const expected = Array.from({ length: T + 1 }, (_, t) => 0.1 + (0.9 * (1 + Math.cos((Math.PI * t) / T))) / 2);
    expectSeq(sequence(new CosineAnnealingLR(opt, { totalSteps: T, minLr: 0.1 }), T + 3), [...expected, 0.1, 0.1, 0.1]);
    release(opt);
  });

  it('warms up linearly from 0, then anneals', () => {
    const opt = sgd(0.5);
    const seq = sequence(new CosineAnnealingLR(opt, { totalSteps: 6, warmupSteps: 2 }), 7);
    // t = 0, 1: 0.5·t/2; t = 2..6: 0.5·(1 + cos(π(t − 2)/4))/2; then 0.
    const cos = (t: number) => (0.5 * (1 + Math.cos((Math.PI * (t - 2)) / 4))) / 2;
    expectSeq(seq, [0, 0.25, 0.5, cos(3), cos(4), cos(5), 0, 0]);
    expect(seq[2]).toBe(0.5);
    expect(seq[4]).toBeCloseTo(0.25, 12);
    release(opt);
  });

  it('rejects warmupSteps > totalSteps and bad values', () => {
    const opt = sgd();
    expect(() => new CosineAnnealingLR(opt, { totalSteps: 3, warmupSteps: 4 })).toThrow(
      /warmupSteps \(4\) must not exceed totalSteps \(3\)/,
    );
    expect(() => new CosineAnnealingLR(opt, { totalSteps: 0 })).toThrow(ArgumentError);
    expect(() => new CosineAnnealingLR(opt, { totalSteps: 5, minLr: -1 })).toThrow(/minLr must be .* got -1/);
    release(opt);
  });

  it('state dicts restore the position', () => {
    const opt = sgd(1);
    const s = new CosineAnnealingLR(opt, { totalSteps: 10 });
    for (let i = 0; i < 4; i++) s.step();
    const sd = s.stateDict();
    const opt2 = sgd(1);
    const s2 = new CosineAnnealingLR(opt2, { totalSteps: 10 });
    s2.loadStateDict(sd);
    expect(s2.getLr()).toBe(s.getLr());
    s.step();
    s2.step();
    expect(s2.getLr()).toBe(s.getLr());
    release(opt);
    release(opt2);
  });
});

describe('ReduceLROnPlateau', () => {
  it('reduces after `patience` epochs without improvement (on the next bad one), as PyTorch', () => {
    const opt = sgd(1);
    const s = new ReduceLROnPlateau(opt, { patience: 2, factor: 0.5 });
    const lrs: number[] = [];
    for (const loss of [10, 9, 9, 9, 9, 9, 9, 9, 8]) {
      s.step(loss);
      lrs.push(s.getLr());
    }
    // 10 and the first 9 improve; the next three 9s are bad epochs 1, 2, 3 (> patience: reduce, reset); again; then 8 improves
    expect(lrs).toEqual([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]);
    release(opt);
  });

  it('respects cooldown and minLr', () => {
    const opt = sgd(1);
    const s = new ReduceLROnPlateau(opt, { patience: 0, factor: 0.1, cooldown: 2, minLr: 0.005 });
    const lrs: number[] = [];
    for (let i = 0; i < 10; i++) {
      s.step(i === 0 ? 1 : 2); // never improves after epoch 0
      lrs.push(s.getLr());
    }
    // epoch 1: bad → 0.1, cooldown 2; epochs 2, 3 ignored; epoch 4 bad → 0.01; 5, 6 ignored; 7 → max(0.001, 0.005); then at minLr
    const expected = [1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.005, 0.005, 0.005];
    lrs.forEach((lr, i) => expect(lr, `epoch ${i}`).toBeCloseTo(expected[i], 12));
    release(opt);
  });

  it('mode max with an absolute threshold, and tensor metrics', () => {
    const opt = sgd(1);
    const s = new ReduceLROnPlateau(opt, {
      mode: 'max',
      patience: 1,
      threshold: 0.1,
      thresholdMode: 'abs',
      factor: 0.5,
    });
    const acc = [0.5, 0.55, 0.58, 0.7, 0.75];
    const lrs: number[] = [];
    for (const a of acc) {
      const t = tensor(a);
      s.step(t);
      t.dispose();
      lrs.push(s.getLr());
    }
    // 0.5 best; 0.55, 0.58 are not > best + 0.1 → two bad epochs → reduce at the second; 0.7 > 0.6 improves; 0.75 bad (1)
    expect(lrs).toEqual([1, 1, 0.5, 0.5, 0.5]);
    expect(s.best).toBeCloseTo(0.7, 6); // read from a float32 tensor
    release(opt);
  });

  it('relative threshold: a tiny improvement does not count', () => {
    const opt = sgd(1);
    const s = new ReduceLROnPlateau(opt, { patience: 0, threshold: 0.01 });
    s.step(100);
    s.step(99.5); // needs < 99
    expect(s.getLr()).toBeCloseTo(0.1, 12);
    release(opt);
  });

  it('per-group minLr and bad options', () => {
    const opt = sgd(1, 2);
    const s = new ReduceLROnPlateau(opt, { patience: 0, factor: 0.5, minLr: [0.4, 1.5] });
    s.step(1);
    s.step(1);
    expect(s.getLrs()).toEqual([0.5, 1.5]);
    s.step(1);
    expect(s.getLrs()).toEqual([0.4, 1.5]);
    expect(() => new ReduceLROnPlateau(opt, { factor: 1 })).toThrow(
      /ReduceLROnPlateau: factor must be in \(0, 1\), got 1/,
    );
    expect(() => new ReduceLROnPlateau(opt, { mode: 'up' as never })).toThrow(
      /mode must be one of 'min', 'max', got "up"/,
    );
    expect(() => new ReduceLROnPlateau(opt, { minLr: [0.1] })).toThrow(/minLr has 1 entries but the optimizer has 2/);
    release(opt);
  });
});
