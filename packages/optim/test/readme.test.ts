import '@tsdl/autograd';
import { tensor, tidy } from '@tsdl/tensor';
import { expect, it } from 'vitest';
import { Adam, CosineAnnealingLR, clipGradNorm } from '../src/index';
import { useCpu } from './helpers';

useCpu();

it("the README's regression example fits y = 3x − 1", () => {
  // Fit y = 3x − 1.
  const x = tensor([[0], [0.25], [0.5], [0.75], [1]]);
  const y = x.mul(3).sub(1);
  const w = tensor([[0]]);
  const b = tensor([0]);
  w.requiresGrad = true;
  b.requiresGrad = true;

  const opt = new Adam([w, b], { lr: 0.1 });
  const schedule = new CosineAnnealingLR(opt, { totalSteps: 500, warmupSteps: 10 });
  for (let step = 0; step < 500; step++) {
    tidy(() => {
      opt.zeroGrad();
      const loss = x.matmul(w).add(b).sub(y).square().mean();
      loss.backward();
      clipGradNorm([w, b], 1.0);
      opt.step();
    });
    schedule.step();
  }
  expect(w.item()).toBeCloseTo(3, 2);
  expect(b.item()).toBeCloseTo(-1, 2);
  opt.zeroGrad();
  opt.dispose();
  for (const t of [x, y, w, b]) t.dispose();
});
