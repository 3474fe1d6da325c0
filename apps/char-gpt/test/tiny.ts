import type { Recipe } from '../src/recipe';

/** The reduced run of the tests: 1 layer, E 32, context 16, batch 8, 30 iterations at lr 1e-2. */
export const TINY: Partial<Recipe> = {
  iters: 30,
  batchSize: 8,
  lr: 1e-2,
  warmupIters: 3,
  evalInterval: 15,
  evalIters: 2,
  model: { nLayer: 1, nHead: 2, nEmbd: 32, blockSize: 16 },
};
