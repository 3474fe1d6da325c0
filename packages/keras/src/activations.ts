import { ArgumentError, type Tensor, elu, gelu, leakyRelu, logSoftmax, mul, relu, sigmoid, softmax, softplus, tanh } from '@tsdl/tensor';

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

const ACTIVATIONS: Record<ActivationName, (x: Tensor) => Tensor> = {
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
};

/** Accepts Keras' snake_case names and their camelCase spellings ('logSoftmax', 'leakyRelu'). */
export function activationName(name: string | undefined | null): ActivationName {
  if (name === undefined || name === null) return 'linear';
  const snake = name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  if (!(snake in ACTIVATIONS)) {
    throw new ArgumentError(`activation: unknown activation '${name}' (known: ${Object.keys(ACTIVATIONS).join(', ')})`);
  }
  return snake as ActivationName;
}

export function getActivation(name: string | undefined | null): (x: Tensor) => Tensor {
  return ACTIVATIONS[activationName(name)];
}
