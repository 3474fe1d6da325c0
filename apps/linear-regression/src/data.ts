import { type Tensor, matmul, randn, tensor, tidy } from '@tsdl/tensor';

/** The coefficients the data is generated from: what training should recover. */
export const TRUE_WEIGHTS = [2, -3.5, 0.5, 1.25, -0.75];
export const TRUE_BIAS = 4;
export const NOISE_STD = 0.1;

/**
 * n samples of y = X·w_true + b_true + noise, with X standard Gaussian
 * [n, d] and Gaussian noise of std NOISE_STD. Draws come from the global
 * generator, so call seed() first.
 */
export function regressionData(n: number): { x: Tensor; y: Tensor } {
  const d = TRUE_WEIGHTS.length;
  return tidy(() => {
    const x = randn([n, d]);
    const w = tensor(TRUE_WEIGHTS, [d, 1]);
    const y = matmul(x, w)
      .add(TRUE_BIAS)
      .add(randn([n, 1], { std: NOISE_STD }));
    return { x, y };
  });
}
