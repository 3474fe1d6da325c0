import { Linear, ReLU, Sequential } from '@tsdl/nn';

/**
 * The 784-128-64-10 multilayer perceptron. It outputs logits (no softmax):
 * crossEntropy applies log-softmax itself, which is exact and stable.
 */
export function buildMlp(seed: number): Sequential {
  return new Sequential(
    new Linear(784, 128, { seed }),
    new ReLU(),
    new Linear(128, 64, { seed: seed + 2 }),
    new ReLU(),
    new Linear(64, 10, { seed: seed + 4 }),
  );
}
