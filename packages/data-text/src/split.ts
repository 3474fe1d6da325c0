import { ArgumentError, randomPermutation } from '@tsdl/tensor';

/**
 * Splits sample indices into train and test so that each class keeps its
 * share in both (a stratified split), the same for the same seed. Each class's
 * indices are shuffled with its own seeded permutation and the first
 * round(testFraction · n_class) go to test; both lists come back sorted, so
 * the data keeps its original order within a split.
 */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  testFraction: number,
  seed: number,
): { train: number[]; test: number[] } {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new ArgumentError(`stratifiedSplit: testFraction must be in (0, 1), got ${testFraction}`);
  }
  if (!Number.isInteger(seed)) throw new ArgumentError(`stratifiedSplit: seed must be an integer, got ${seed}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byClass.get(labels[i]) ?? [];
    list.push(i);
    byClass.set(labels[i], list);
  }
  const train: number[] = [];
  const test: number[] = [];
  for (const [label, indices] of [...byClass].sort((a, b) => a[0] - b[0])) {
    const order = randomPermutation(indices.length, (seed * 1000003 + label) >>> 0);
    const nTest = Math.round(testFraction * indices.length);
    order.forEach((k, j) => (j < nTest ? test : train).push(indices[k]));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}
