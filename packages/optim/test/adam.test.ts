import { describe, expect, it } from 'vitest';
import { Adam, AdamW } from '../src/index';
import { GRADS, INIT, expectTrajectory, param, trajectory, useCpu } from './helpers';

useCpu();

interface AdamRef {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}

/**
 * torch.optim.Adam's documented algorithm (decoupled = false), and
 * torch.optim.AdamW's (decoupled = true), in float64:
 *   Adam:  g ← g + λθ                 AdamW: θ ← θ − γλθ
 *   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²
 *   m̂ = m / (1 − β1^t)
 *   amsgrad: v̂max ← max(v̂max, v), v̂ = v̂max / (1 − β2^t); else v̂ = v / (1 − β2^t)
 *   θ ← θ − γ·m̂ / (√v̂ + ε)
 * (https://pytorch.org/docs/stable/generated/torch.optim.Adam.html, .../torch.optim.AdamW.html)
 */
function adamRef(o: AdamRef, decoupled: boolean, grads = GRADS, init = INIT): number[][] {
  const lr = o.lr ?? 1e-3;
  const [b1, b2] = o.betas ?? [0.9, 0.999];
  const eps = o.eps ?? 1e-8;
  const wd = o.weightDecay ?? (decoupled ? 1e-2 : 0);
  const n = init.length;
  const theta = [...init];
  const m = new Array<number>(n).fill(0);
  const v = new Array<number>(n).fill(0);
  const vmax = new Array<number>(n).fill(0);
  const out: number[][] = [];
  grads.forEach((grad, k) => {
    const t = k + 1;
    for (let i = 0; i < n; i++) {
      let g = grad[i];
      if (decoupled) theta[i] -= lr * wd * theta[i];
      else g += wd * theta[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      const mhat = m[i] / (1 - b1 ** t);
      let vhat: number;
      if (o.amsgrad) {
        vmax[i] = Math.max(vmax[i], v[i]);
        vhat = vmax[i] / (1 - b2 ** t);
      } else {
        vhat = v[i] / (1 - b2 ** t);
      }
      theta[i] -= (lr * mhat) / (Math.sqrt(vhat) + eps);
    }
    out.push([...theta]);
  });
  return out;
}

const CASES: AdamRef[] = [
  {},
  { lr: 0.1 },
  { lr: 0.05, betas: [0.8, 0.9], eps: 1e-7 }, // Keras' epsilon
  { lr: 0.1, weightDecay: 0.1 },
  { lr: 0.1, amsgrad: true },
  { lr: 0.1, betas: [0.5, 0.6], amsgrad: true, weightDecay: 0.05 },
  { lr: 0.1, eps: 0.5 },
];

describe('Adam', () => {
  for (const c of CASES) {
    it(`matches PyTorch's algorithm for ${JSON.stringify(c)}`, () => {
      expectTrajectory(
        trajectory((ps) => new Adam(ps, c)),
        adamRef(c, false),
      );
    });
  }

  it('amsgrad changes the trajectory for this gradient sequence (the max is exercised)', () => {
    const plain = adamRef({ lr: 0.1, betas: [0.5, 0.6] }, false);
    const ams = adamRef({ lr: 0.1, betas: [0.5, 0.6], amsgrad: true }, false);
    expect(Math.abs(plain[4][2] - ams[4][2])).toBeGreaterThan(1e-3);
  });

  it('has PyTorch defaults', () => {
    const p = param([1]);
    const opt = new Adam([p]);
    expect(opt.paramGroups[0]).toMatchObject({
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      amsgrad: false,
    });
    opt.dispose();
    p.dispose();
  });
});

describe('AdamW', () => {
  for (const c of [
    { lr: 0.1 },
    { lr: 0.1, weightDecay: 0.2 },
    { lr: 0.05, weightDecay: 0.1, amsgrad: true, betas: [0.5, 0.6] as [number, number] },
  ]) {
    it(`matches PyTorch's algorithm for ${JSON.stringify(c)}`, () => {
      expectTrajectory(
        trajectory((ps) => new AdamW(ps, c)),
        adamRef(c, true),
      );
    });
  }

  it('defaults to weight decay 0.01 and differs from Adam with the same weight decay', () => {
    const p = param([1]);
    const opt = new AdamW([p]);
    expect(opt.paramGroups[0].weightDecay).toBe(0.01);
    opt.dispose();
    p.dispose();
    const w = adamRef({ lr: 0.1, weightDecay: 0.2 }, true);
    const l2 = adamRef({ lr: 0.1, weightDecay: 0.2 }, false);
    expect(Math.abs(w[4][0] - l2[4][0])).toBeGreaterThan(1e-3);
  });
});
