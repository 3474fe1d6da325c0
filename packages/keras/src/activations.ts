import {
  type Tensor,
  abs,
  add,
  clip,
  div,
  elu,
  exp,
  gelu,
  leakyRelu,
  logSoftmax,
  mul,
  relu,
  sigmoid,
  softmax,
  softplus,
  tanh,
} from '@tsdl/tensor';
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
  | 'silu'
  | 'relu6'
  | 'selu'
  | 'softsign'
  | 'mish'
  | 'exponential'
  | 'hard_sigmoid'
  | 'hard_sigmoid_legacy'
  | 'hard_silu'
  | 'hard_swish'
  | 'gelu_new';

// SELU's constants (Klambauer et al. 2017), as Keras and PyTorch.
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/**
 * The hard sigmoids, clip(slope·x + 0.5, 0, 1), by name: Keras 3's hard_sigmoid (relu6(x + 3) / 6)
 * and Keras 2's and TF.js' (their LSTM/GRU default recurrent activation), a steeper line.
 */
export const HARD_SIGMOID_SLOPES = { hard_sigmoid: 1 / 6, hard_sigmoid_legacy: 0.2 } as const;

const hardSigmoidOf =
  (slope: number) =>
  (x: Tensor): Tensor =>
    clip(add(mul(x, slope), 0.5), 0, 1);
const hardSigmoid = hardSigmoidOf(HARD_SIGMOID_SLOPES.hard_sigmoid);

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
  relu6: (x) => clip(x, 0, 6),
  selu: (x) => mul(elu(x, SELU_ALPHA), SELU_SCALE),
  softsign: (x) => div(x, add(abs(x), 1)),
  mish: (x) => mul(x, tanh(softplus(x))),
  exponential: (x) => exp(x),
  hard_sigmoid: hardSigmoid,
  hard_sigmoid_legacy: hardSigmoidOf(HARD_SIGMOID_SLOPES.hard_sigmoid_legacy),
  hard_silu: (x) => mul(x, hardSigmoid(x)),
  hard_swish: (x) => mul(x, hardSigmoid(x)),
  // TF.js' name for GELU's tanh approximation.
  gelu_new: (x) => gelu(x, 'tanh'),
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
