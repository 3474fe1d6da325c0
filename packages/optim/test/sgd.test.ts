import { describe, expect, it } from 'vitest';
import { SGD } from '../src/index';
import { GRADS, INIT, expectTrajectory, param, setGrad, trajectory, useCpu, values } from './helpers';

useCpu();

interface SGDRef {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/**
 * torch.optim.SGD's documented algorithm, in float64:
 *   g ← g + λθ
 *   if μ ≠ 0: b ← g (t = 1) or μb + (1 − τ)g;  g ← g + μb (nesterov) or b
 *   θ ← θ − γg
 * (https://pytorch.org/docs/stable/generated/torch.optim.SGD.html)
 */
function sgdRef(o: SGDRef, grads = GRADS, init = INIT): number[][] {
  const mu = o.momentum ?? 0;
  const tau = o.dampening ?? 0;
  const wd = o.weightDecay ?? 0;
  const theta = [...init];
  let b: number[] | null = null;
  const out: number[][] = [];
  for (const grad of grads) {
    let g = grad.map((x, i) => x + wd * theta[i]);
    if (mu !== 0) {
      const prev: number[] | null = b;
      const nb: number[] = prev === null ? [...g] : prev.map((bi, i) => mu * bi + (1 - tau) * g[i]);
      b = nb;
      g = o.nesterov ? g.map((x, i) => x + mu * nb[i]) : nb;
    }
    for (let i = 0; i < theta.length; i++) theta[i] -= o.lr * g[i];
    out.push([...theta]);
  }
  return out;
}

describe('SGD', () => {
  const cases: SGDRef[] = [
    { lr: 0.1 },
    { lr: 0.1, weightDecay: 0.05 },
    { lr: 0.05, momentum: 0.9 },
    { lr: 0.05, momentum: 0.9, dampening: 0.3 },
    { lr: 0.05, momentum: 0.9, nesterov: true },
    { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.01 },
    { lr: 0.02, momentum: 0.5, dampening: 0.5, weightDecay: 0.1 },
  ];
  for (const c of cases) {
    it(`matches PyTorch's algorithm for ${JSON.stringify(c)}`, () => {
      expectTrajectory(
        trajectory((ps) => new SGD(ps, c)),
        sgdRef(c),
      );
    });
  }

  it('defaults to lr 1e-3 without momentum', () => {
    const p = param([1]);
    const opt = new SGD([p]);
    expect(opt.lr).toBe(1e-3);
    expect(opt.paramGroups[0]).toMatchObject({ momentum: 0, dampening: 0, weightDecay: 0, nesterov: false });
    opt.dispose();
    p.dispose();
  });

  it('uses each parameter group’s own hyper-parameters', () => {
    const a = param([1, 2]);
    const b = param([1, 2]);
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.5, momentum: 0.9 }], { lr: 0.1 });
    for (const g of [
      [1, -1],
      [2, 0.5],
    ]) {
      setGrad(a, g);
      setGrad(b, g);
      opt.step();
    }
    const refA = sgdRef(
      { lr: 0.1 },
      [
        [1, -1],
        [2, 0.5],
      ],
      [1, 2],
    );
    const refB = sgdRef(
      { lr: 0.5, momentum: 0.9 },
      [
        [1, -1],
        [2, 0.5],
      ],
      [1, 2],
    );
    expectTrajectory([values(a)], [refA[1]]);
    expectTrajectory([values(b)], [refB[1]]);
    opt.dispose();
    for (const p of [a, b]) {
      p.zeroGrad();
      p.dispose();
    }
  });
});
