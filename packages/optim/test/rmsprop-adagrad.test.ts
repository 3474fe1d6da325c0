import { describe, expect, it } from 'vitest';
import { Adagrad, RMSprop } from '../src/index';
import { GRADS, INIT, expectTrajectory, param, trajectory, useCpu } from './helpers';

useCpu();

interface RMSRef {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
}

/**
 * torch.optim.RMSprop's documented algorithm, in float64:
 *   g ← g + λθ;  v ← αv + (1 − α)g²;  ṽ = v
 *   centered: ḡ ← αḡ + (1 − α)g;  ṽ = v − ḡ²
 *   μ > 0: b ← μb + g / (√ṽ + ε);  θ ← θ − γb
 *   else:  θ ← θ − γ·g / (√ṽ + ε)
 * (https://pytorch.org/docs/stable/generated/torch.optim.RMSprop.html)
 */
function rmspropRef(o: RMSRef, grads = GRADS, init = INIT): number[][] {
  const lr = o.lr ?? 1e-2;
  const alpha = o.alpha ?? 0.99;
  const eps = o.eps ?? 1e-8;
  const wd = o.weightDecay ?? 0;
  const mu = o.momentum ?? 0;
  const n = init.length;
  const theta = [...init];
  const v = new Array<number>(n).fill(0);
  const ga = new Array<number>(n).fill(0);
  const b = new Array<number>(n).fill(0);
  const out: number[][] = [];
  for (const grad of grads) {
    for (let i = 0; i < n; i++) {
      const g = grad[i] + wd * theta[i];
      v[i] = alpha * v[i] + (1 - alpha) * g * g;
      let vt = v[i];
      if (o.centered) {
        ga[i] = alpha * ga[i] + (1 - alpha) * g;
        vt = v[i] - ga[i] * ga[i];
      }
      if (mu > 0) {
        b[i] = mu * b[i] + g / (Math.sqrt(vt) + eps);
        theta[i] -= lr * b[i];
      } else {
        theta[i] -= (lr * g) / (Math.sqrt(vt) + eps);
      }
    }
    out.push([...theta]);
  }
  return out;
}

interface AdagradRef {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
}

/**
 * torch.optim.Adagrad's documented algorithm, in float64:
 *   γ̃ = γ / (1 + (t − 1)η);  g ← g + λθ;  s ← s + g² (s₀ = initial accumulator value)
 *   θ ← θ − γ̃·g / (√s + ε)
 * (https://pytorch.org/docs/stable/generated/torch.optim.Adagrad.html)
 */
function adagradRef(o: AdagradRef, grads = GRADS, init = INIT): number[][] {
  const lr = o.lr ?? 1e-2;
  const eta = o.lrDecay ?? 0;
  const wd = o.weightDecay ?? 0;
  const eps = o.eps ?? 1e-10;
  const theta = [...init];
  const s = init.map(() => o.initialAccumulatorValue ?? 0);
  const out: number[][] = [];
  grads.forEach((grad, k) => {
    const clr = lr / (1 + k * eta);
    for (let i = 0; i < theta.length; i++) {
      const g = grad[i] + wd * theta[i];
      s[i] += g * g;
      theta[i] -= (clr * g) / (Math.sqrt(s[i]) + eps);
    }
    out.push([...theta]);
  });
  return out;
}

describe('RMSprop', () => {
  const cases: RMSRef[] = [
    {},
    { lr: 0.05, alpha: 0.9 },
    { lr: 0.05, momentum: 0.9 },
    { lr: 0.05, centered: true },
    { lr: 0.02, alpha: 0.8, centered: true, momentum: 0.5, weightDecay: 0.1, eps: 1e-6 },
    { lr: 0.05, weightDecay: 0.2 },
  ];
  for (const c of cases) {
    it(`matches PyTorch's algorithm for ${JSON.stringify(c)}`, () => {
      expectTrajectory(
        trajectory((ps) => new RMSprop(ps, c)),
        rmspropRef(c),
      );
    });
  }

  it('has PyTorch defaults', () => {
    const p = param([1]);
    const opt = new RMSprop([p]);
    expect(opt.paramGroups[0]).toMatchObject({
      lr: 1e-2,
      alpha: 0.99,
      eps: 1e-8,
      weightDecay: 0,
      momentum: 0,
      centered: false,
    });
    opt.dispose();
    p.dispose();
  });
});

describe('Adagrad', () => {
  const cases: AdagradRef[] = [
    {},
    { lr: 0.1 },
    { lr: 0.1, lrDecay: 0.1 },
    { lr: 0.1, weightDecay: 0.1, initialAccumulatorValue: 0.5 },
    { lr: 0.5, lrDecay: 0.05, weightDecay: 0.01, initialAccumulatorValue: 0.1, eps: 1e-3 },
  ];
  for (const c of cases) {
    it(`matches PyTorch's algorithm for ${JSON.stringify(c)}`, () => {
      expectTrajectory(
        trajectory((ps) => new Adagrad(ps, c)),
        adagradRef(c),
      );
    });
  }

  it('has PyTorch defaults', () => {
    const p = param([1]);
    const opt = new Adagrad([p]);
    expect(opt.paramGroups[0]).toMatchObject({
      lr: 1e-2,
      lrDecay: 0,
      weightDecay: 0,
      initialAccumulatorValue: 0,
      eps: 1e-10,
    });
    opt.dispose();
    p.dispose();
  });
});
