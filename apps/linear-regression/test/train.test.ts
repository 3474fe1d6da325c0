import { memory } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { useBackend } from '@tsdl/app-cli';
import { NOISE_STD, TRUE_BIAS, TRUE_WEIGHTS } from '../src/data';
import { trainLinearRegression } from '../src/train';

describe('linear-regression', () => {
  it('SGD lands within 2.5e-3 of the float64 least-squares solution in 20 epochs', async () => {
    await useBackend('cpu');
    const before = memory().numTensors;
    const { learned, leastSquares, epochLosses } = await trainLinearRegression({ epochs: 20, batchSize: 32, seed: 0 });
    // Seeds 0-4 end 4.8e-4 to 1.4e-3 from least squares; SGD without the annealed rate ends 6e-3 to 1e-2 away.
    TRUE_WEIGHTS.forEach((_, i) => expect(Math.abs(learned.weights[i] - leastSquares.weights[i])).toBeLessThan(2.5e-3));
    expect(Math.abs(learned.bias - leastSquares.bias)).toBeLessThan(2.5e-3);
    // Least squares on 1,000 samples with noise std 0.1 sits within ~0.003 (1 std) of the truth; allow 5 std.
    TRUE_WEIGHTS.forEach((t, i) => expect(Math.abs(leastSquares.weights[i] - t)).toBeLessThan(0.016));
    expect(Math.abs(leastSquares.bias - TRUE_BIAS)).toBeLessThan(0.016);
    // The final MSE is the noise variance, 0.01 (to within sampling error).
    expect(epochLosses).toHaveLength(20);
    expect(epochLosses[19]).toBeGreaterThan(0.8 * NOISE_STD ** 2);
    expect(epochLosses[19]).toBeLessThan(1.2 * NOISE_STD ** 2);
    expect(memory().numTensors).toBe(before);
  });
});
