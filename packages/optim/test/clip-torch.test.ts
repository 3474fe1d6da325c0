import { describe, expect, it } from 'vitest';
import { clipGradNorm } from '../src/index';
import { expectClose, param, setGrad, useCpu, values } from './helpers';
import { fixtures, num } from './schedule-fixtures';

useCpu();

const GRADS = [
  [3, -4, 0.5],
  [12, 0.25],
  [
    [1, -2],
    [0.5, 7],
  ],
];

describe('clipGradNorm matches torch.nn.utils.clip_grad_norm_', () => {
  it.each(fixtures.clipGradNorm.filter((c) => !c.nonfinite))(
    'normType $normType, maxNorm $maxNorm',
    ({ normType, maxNorm, total, grads }) => {
      const ps = GRADS.map((g) => {
        const p = param(
          Array.isArray(g[0]) ? (g as number[][]).map((r) => r.map(() => 0)) : (g as number[]).map(() => 0),
        );
        setGrad(p, g as number[]);
        return p;
      });
      const norm = clipGradNorm(ps, maxNorm, num(normType));
      expect(Math.abs(norm - num(total)) / num(total)).toBeLessThan(1e-6);
      ps.forEach((p, i) => expectClose(values(p.grad!), grads[i].map(num), 2e-6, 1e-7));
      for (const p of ps) {
        p.zeroGrad();
        p.dispose();
      }
    },
  );

  it('an infinite gradient gives an infinite norm, zeros, and NaN where it was infinite', () => {
    const c = fixtures.clipGradNorm.find((x) => x.nonfinite)!;
    const a = param([0, 0]);
    const b = param([0]);
    setGrad(a, [Infinity, 1]);
    setGrad(b, [2]);
    expect(clipGradNorm([a, b], c.maxNorm)).toBe(num(c.total));
    expect([values(a.grad!), values(b.grad!)]).toEqual(c.grads.map((g) => g.map(num)));
    for (const p of [a, b]) {
      p.zeroGrad();
      p.dispose();
    }
  });
});
