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
export async function fitLine(options: FitOptions = {}): Promise<FitResult> {
  const { trueWeight = 3, trueBias = 2, samples = 256, steps = 200, learningRate = 0.1, seed = 0 } = options;
  seedAll(seed);
  const x = randn([samples, 1]);
  const y = tidy(() =>
    x
      .mul(trueWeight)
      .add(trueBias)
      .add(randn([samples, 1], { std: 0.1 })),
  );
  const w = zeros([1, 1]);
  const b = zeros([1]);
  w.requiresGrad = true;
  b.requiresGrad = true;
  let lastLoss: Tensor | null = null;
  for (let step = 0; step < steps; step++) {
    lastLoss?.dispose();
    // The last step's loss leaves the tidy and is read once at the end (reads are
    // async: a GPU has none that is synchronous, and one per step would stall it).
    lastLoss = tidy(() => {
      const pred = x.matmul(w).add(b);
      const l = pred.sub(y).square().mean();
      backward(l);
      noGrad(() => {
        w.assign(w.sub((w.grad as Tensor).mul(learningRate)));
        b.assign(b.sub((b.grad as Tensor).mul(learningRate)));
      });
      w.zeroGrad();
      b.zeroGrad();
      return l.detach();
    });
  }
  const loss = lastLoss ? (await lastLoss.data())[0] : NaN;
  const result = { weight: (await w.data())[0], bias: (await b.data())[0], loss };
  for (const t of [x, y, w, b, lastLoss]) t?.dispose();
  return result;
}
