import { ArgumentError } from '@tsdl/tensor';
import { type GptConfig, NANO_GPT_CPU } from './model';

/**
 * How the model trains. The defaults are nanoGPT's documented CPU recipe
 * (config/train_shakespeare_char.py with the README's CPU overrides):
 * batch 12, 2,000 iterations, AdamW lr 1e-3, betas 0.9/0.99, weight decay
 * 0.1, 100 warm-up iterations then cosine to 1e-4, gradient norm clipped to
 * 1, dropout 0 (so the model has no dropout layers). Evaluation is nanoGPT's
 * estimate_loss with 20 batches per split instead of 200, to keep it cheap.
 */
export interface Recipe {
  /** Optimizer steps of the whole run; the cosine ends at the last. */
  iters: number;
  batchSize: number;
  lr: number;
  minLr: number;
  warmupIters: number;
  betas: [number, number];
  weightDecay: number;
  /** The largest global gradient norm. */
  clip: number;
  /** Iterations between evaluations (there is always one after the last iteration). */
  evalInterval: number;
  /** Batches per split averaged by an evaluation. */
  evalIters: number;
  /** The model's shape, less the vocabulary size, which the text fixes. */
  model: Omit<GptConfig, 'vocabSize'>;
}

export const NANO_GPT_RECIPE: Recipe = {
  iters: 2000,
  batchSize: 12,
  lr: 1e-3,
  minLr: 1e-4,
  warmupIters: 100,
  betas: [0.9, 0.99],
  weightDecay: 0.1,
  clip: 1,
  evalInterval: 250,
  evalIters: 20,
  model: NANO_GPT_CPU,
};

const KEYS = Object.keys(NANO_GPT_RECIPE);

/** The recipe with `overrides` applied; unknown keys and non-positive counts are errors. */
export function recipeWith(overrides: Partial<Recipe> = {}): Recipe {
  for (const k of Object.keys(overrides))
    if (!KEYS.includes(k))
      throw new ArgumentError(`char-gpt recipe: unknown option '${k}' (known: ${KEYS.join(', ')})`);
  const r: Recipe = { ...NANO_GPT_RECIPE, ...overrides, model: { ...NANO_GPT_RECIPE.model, ...overrides.model } };
  for (const k of ['iters', 'batchSize', 'evalInterval', 'evalIters'] as const) {
    if (!Number.isInteger(r[k]) || r[k] < 1)
      throw new ArgumentError(`char-gpt recipe: ${k} must be a positive integer, got ${String(r[k])}`);
  }
  if (!Number.isInteger(r.warmupIters) || r.warmupIters < 0 || r.warmupIters > r.iters) {
    throw new ArgumentError(
      `char-gpt recipe: warmupIters must be an integer in [0, iters = ${r.iters}], got ${String(r.warmupIters)}`,
    );
  }
  return r;
}
