import { backward, noGrad } from '@tsdl/autograd';
import { type Tensor, randn, seed as seedAll, tidy, zeros } from '@tsdl/tensor';

export interface FitOptions {
  trueWeight?: number;
  trueBias?: number;
  samples?: number;
  steps?: number;
  learningRate?: number;
  seed?: number;
}

export interface FitResult {
  weight: number;
  bias: number;
  loss: number;
}

/**
 * Fits y = w·x + b to noisy samples of a known line by gradient descent on the
 * mean squared error, using autograd for the gradients.
 */
export function fitLine(options: FitOptions = {}): FitResult {
  const { trueWeight = 3, trueBias = 2, samples = 256, steps = 200, learningRate = 0.1, seed = 0 } = options;
  seedAll(seed);
  const x = randn([samples, 1]);
  const y = tidy(() => x.mul(trueWeight).add(trueBias).add(randn([samples, 1], { std: 0.1 })));
  const w = zeros([1, 1]);
  const b = zeros([1]);
  w.requiresGrad = true;
  b.requiresGrad = true;
  let loss = NaN;
  for (let step = 0; step < steps; step++) {
    tidy(() => {
      const pred = x.matmul(w).add(b);
      const l = pred.sub(y).square().mean();
      backward(l);
      if (step === steps - 1) loss = l.item();
      noGrad(() => {
        w.assign(w.sub((w.grad as Tensor).mul(learningRate)));
        b.assign(b.sub((b.grad as Tensor).mul(learningRate)));
      });
      w.zeroGrad();
      b.zeroGrad();
    });
  }
  const result = { weight: w.item(), bias: b.item(), loss };
  for (const t of [x, y, w, b]) t.dispose();
  return result;
}
