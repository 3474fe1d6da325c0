import { backward } from '@tsdl/autograd';
import { Linear, mseLoss } from '@tsdl/nn';
import { CosineAnnealingLR, SGD } from '@tsdl/optim';
import { dispose, gather, randomPermutation, seed as seedAll, tensor, tidy } from '@tsdl/tensor';
import { regressionData, TRUE_WEIGHTS } from './data';
import { leastSquares } from './least-squares';

export interface RegressionOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  /** Training samples (default 1,000). */
  samples?: number;
  /** SGD's starting learning rate (default 0.05), annealed to 0 over the run. */
  lr?: number;
}

export interface RegressionResult {
  learned: { weights: number[]; bias: number };
  /** The float64 least-squares fit to the same samples: the best any linear model can do on them. */
  leastSquares: { weights: number[]; bias: number };
  /** Mean squared error over all samples after each epoch. */
  epochLosses: number[];
}

/**
 * Fits y = x·w + b with a one-output nn.Linear, the mean squared error and
 * minibatch SGD. SGD with a constant rate keeps jittering around the optimum
 * (each batch's gradient is noisy); annealing the rate to 0 (cosine schedule,
 * stepped per batch) lets it settle on the least-squares solution.
 */
export async function trainLinearRegression(o: RegressionOptions): Promise<RegressionResult> {
  seedAll(o.seed);
  const n = o.samples ?? 1000;
  const d = TRUE_WEIGHTS.length;
  const { x, y } = regressionData(n);
  const model = new Linear(d, 1, { seed: o.seed });
  const optimizer = new SGD(model.parameters(), { lr: o.lr ?? 0.05 });
  const stepsPerEpoch = Math.ceil(n / o.batchSize);
  const schedule = new CosineAnnealingLR(optimizer, { totalSteps: o.epochs * stepsPerEpoch });
  const epochLosses: number[] = [];
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const order = randomPermutation(n, o.seed + epoch);
      for (let start = 0; start < n; start += o.batchSize) {
        tidy(() => {
          const idx = tensor(order.subarray(start, Math.min(start + o.batchSize, n)), undefined, 'int32');
          const loss = mseLoss(model.call(gather(x, idx)), gather(y, idx));
          backward(loss);
          optimizer.step();
          optimizer.zeroGrad();
        });
        schedule.step();
      }
      // Reads are async (a GPU has no synchronous read); one per epoch.
      const epochLoss = tidy(() => mseLoss(model.call(x), y));
      epochLosses.push((await epochLoss.data())[0]);
      epochLoss.dispose();
    }
    const w = await model.weight.data(); // [1, d], PyTorch's [out, in] layout
    const learned = { weights: Array.from(w), bias: (await (model.bias as NonNullable<typeof model.bias>).data())[0] };
    return { learned, leastSquares: leastSquares(await x.data(), await y.data(), n, d), epochLosses };
  } finally {
    optimizer.dispose();
    model.dispose();
    dispose([x, y]);
  }
}
