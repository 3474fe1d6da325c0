import { tensor } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { Adam, RMSprop, SGD } from '../src/index';
import { FLOAT32_MIN_NORMAL } from '../src/optimizers/flush';
import { param, setGrad, useCpu, values } from './helpers';

useCpu();

/**
 * Running averages that decay below float32's smallest normal number are
 * stored as 0 (optimizers/flush.ts): a zero gradient decays them by β each
 * step, and the first one that would land in the subnormal range is 0
 * instead, while one just above stays as computed. NaN is kept.
 */

// m = 2e-38 decays to 1.8e-38 (normal, kept); m = 1.25e-38 to 1.125e-38 (subnormal, flushed); NaN stays NaN.
const BEFORE = [2e-38, 1.25e-38, Number.NaN];
const KEPT = Math.fround(0.9 * Math.fround(2e-38));

describe('optimizer state below float32 normal range', () => {
  it('is stored as 0 in Adam (both moments), and kept just above it', () => {
    expect(KEPT).toBeGreaterThan(FLOAT32_MIN_NORMAL);
    expect(Math.fround(0.9 * Math.fround(1.25e-38))).toBeLessThan(FLOAT32_MIN_NORMAL); // what flushing prevents
    const p = param([1, 1, 1]);
    const opt = new Adam([p], { lr: 0.1, betas: [0.9, 0.9] });
    const state = { step: 5, tensors: { expAvg: tensor(BEFORE).keep(), expAvgSq: tensor(BEFORE).keep() } };
    opt.loadStateDict({ optimizer: 'Adam', stepCount: 5, groups: [{ params: [0], hyper: {} }], state: { 0: state } });
    setGrad(p, [0, 0, 0]);
    opt.step();
    for (const name of ['expAvg', 'expAvgSq'] as const) {
      const got = values(opt.getState(p)!.tensors[name]);
      expect(got[0], name).toBe(KEPT);
      expect(Object.is(got[1], 0), `${name}: ${got[1]}`).toBe(true);
      expect(got[2], name).toBeNaN();
    }
    for (const t of Object.values(state.tensors)) t.dispose();
    opt.dispose();
    p.grad?.dispose();
    p.dispose();
  });

  it('is stored as 0 in SGD momentum and RMSprop averages', () => {
    const cases = [
      {
        make: (p: ReturnType<typeof param>) => new SGD([p], { lr: 0.1, momentum: 0.9 }),
        name: 'SGD',
        state: 'momentumBuffer',
      },
      {
        make: (p: ReturnType<typeof param>) => new RMSprop([p], { lr: 0.1, alpha: 0.9 }),
        name: 'RMSprop',
        state: 'squareAvg',
      },
    ];
    for (const c of cases) {
      const p = param([1, 1, 1]);
      const opt = c.make(p);
      const s = tensor(BEFORE).keep();
      opt.loadStateDict({
        optimizer: c.name,
        stepCount: 5,
        groups: [{ params: [0], hyper: {} }],
        state: { 0: { step: 5, tensors: { [c.state]: s } } },
      });
      setGrad(p, [0, 0, 0]);
      opt.step();
      const got = values(opt.getState(p)!.tensors[c.state]);
      expect(got[0], c.name).toBe(KEPT);
      expect(Object.is(got[1], 0), `${c.name}: ${got[1]}`).toBe(true);
      expect(got[2], c.name).toBeNaN();
      s.dispose();
      opt.dispose();
      p.grad?.dispose();
      p.dispose();
    }
  });
});
