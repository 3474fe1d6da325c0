import { type Tensor, elu, gelu, leakyRelu, logSoftmax, mul, relu, sigmoid, softmax, softplus, tanh } from '@tsdl/tensor';
import { lookupName, nameTable, snakeCase } from './names';

/** Keras activation names and the functions they apply (over the last axis for softmax). */
export type ActivationName =
  | 'linear'
  | 'relu'
  | 'sigmoid'
  | 'tanh'
  | 'softmax'
  | 'log_softmax'
  | 'elu'
  | 'gelu'
  | 'softplus'
  | 'leaky_relu'
  | 'swish'
  | 'silu';

const ACTIVATIONS = nameTable<(x: Tensor) => Tensor>({
  linear: (x) => x,
  relu,
  sigmoid,
  tanh,
  softmax: (x) => softmax(x, -1),
  log_softmax: (x) => logSoftmax(x, -1),
  elu: (x) => elu(x),
  gelu: (x) => gelu(x),
  softplus,
  // Keras' leaky_relu default slope is 0.2.
  leaky_relu: (x) => leakyRelu(x, 0.2),
  swish: (x) => mul(x, sigmoid(x)),
  silu: (x) => mul(x, sigmoid(x)),
} satisfies Record<ActivationName, (x: Tensor) => Tensor>);

/**
 * Accepts Keras' snake_case names and their camelCase spellings ('logSoftmax', 'leakyRelu');
 * undefined or null is 'linear'. `owner` names the layer in the error for an unknown name.
 */
export function activationName(name: unknown, owner = 'activation'): ActivationName {
  if (name === undefined || name === null) return 'linear';
  return lookupName(owner, 'activation', name, ACTIVATIONS, { normalize: snakeCase }).key as ActivationName;
}

export function getActivation(name: string | undefined | null): (x: Tensor) => Tensor {
  return ACTIVATIONS.get(activationName(name)) as (x: Tensor) => Tensor;
}
