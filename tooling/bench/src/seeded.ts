import { mulberry32 } from '@tsdl/data-mnist';

/** `size` float32 values uniform in [lo, hi) from a seeded stream: the same inputs for every framework. */
export function uniform(size: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rand = mulberry32(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

/**
 * Keras' default kernel initializer (Glorot uniform: ±√(6 / (fanIn + fanOut)))
 * drawn from a seed, so every framework starts from identical weights and their
 * losses can be compared step for step.
 */
export function glorotUniform(size: number, fanIn: number, fanOut: number, seed: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return uniform(size, seed, -limit, limit);
}
