import type { Tensor } from '@tsdl/tensor';
import { init } from '@tsdl/nn';
import { lookupName, nameTable, snakeCase } from './names';

/**
 * Keras initializer names over @tsdl/nn's initializers, with Keras' weight
 * layout ([in, out] kernels, [kH, kW, in, out] filters) for the fans.
 */
export type InitializerName =
  | 'zeros'
  | 'ones'
  | 'glorot_uniform'
  | 'glorot_normal'
  | 'he_uniform'
  | 'he_normal'
  | 'lecun_uniform'
  | 'lecun_normal'
  | 'random_normal'
  | 'random_uniform'
  | 'orthogonal';

type Make = (shape: readonly number[], seed?: number) => Tensor;

const INITIALIZERS = nameTable<Make>({
  zeros: (s) => init.zeros(s),
  ones: (s) => init.ones(s),
  glorot_uniform: (s, seed) => init.glorotUniform(s, { seed, layout: 'inOut' }),
  glorot_normal: (s, seed) => init.glorotNormal(s, { seed, layout: 'inOut' }),
  he_uniform: (s, seed) => init.heUniform(s, { seed, layout: 'inOut' }),
  he_normal: (s, seed) => init.heNormal(s, { seed, layout: 'inOut' }),
  lecun_uniform: (s, seed) => init.lecunUniform(s, { seed, layout: 'inOut' }),
  lecun_normal: (s, seed) => init.lecunNormal(s, { seed, layout: 'inOut' }),
  // Keras' RandomNormal is N(0, 0.05) and RandomUniform U(-0.05, 0.05).
  random_normal: (s, seed) => init.normal(s, { seed, mean: 0, std: 0.05 }),
  random_uniform: (s, seed) => init.uniform(s, { seed, a: -0.05, b: 0.05 }),
  orthogonal: (s, seed) => init.orthogonal(s, { seed, layout: 'inOut' }),
} satisfies Record<InitializerName, Make>);

/** The snake_case name for a Keras initializer name or its camelCase spelling; `owner` and `option` name the layer and argument in the error. */
export function initializerName(name: unknown, owner = 'initializer', option?: string): InitializerName {
  return lookupName(owner, 'initializer', name, INITIALIZERS, { normalize: snakeCase, option }).key as InitializerName;
}

export function makeWeight(name: string, shape: readonly number[], seed?: number): Tensor {
  return (INITIALIZERS.get(initializerName(name)) as Make)(shape, seed);
}
