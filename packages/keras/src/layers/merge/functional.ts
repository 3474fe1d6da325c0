import type { Tensor } from '@tsdl/tensor';
import type { LayerArgs, SymbolicTensor } from '../layer';
import { Concatenate } from './concatenate';
import { Dot } from './dot';
import { Add, Average, Maximum, Minimum, Multiply, Subtract } from './elementwise';

/**
 * Keras' functional forms of the merge layers (`keras.layers.add(inputs)` …): each makes
 * the layer and applies it, to symbolic tensors (a node of a functional model) or to
 * tensors (the merged tensor).
 */
type Merged<T> = T extends SymbolicTensor ? SymbolicTensor : Tensor;

export function add<T extends SymbolicTensor | Tensor>(inputs: T[], options?: LayerArgs): Merged<T> {
  return new Add(options).apply(inputs);
}

export function subtract<T extends SymbolicTensor | Tensor>(inputs: T[], options?: LayerArgs): Merged<T> {
  return new Subtract(options).apply(inputs);
}

export function multiply<T extends SymbolicTensor | Tensor>(inputs: T[], options?: LayerArgs): Merged<T> {
  return new Multiply(options).apply(inputs);
}

export function average<T extends SymbolicTensor | Tensor>(inputs: T[], options?: LayerArgs): Merged<T> {
  return new Average(options).apply(inputs);
}

export function maximum<T extends SymbolicTensor | Tensor>(inputs: T[], options?: LayerArgs): Merged<T> {
  return new Maximum(options).apply(inputs);
}

export function minimum<T extends SymbolicTensor | Tensor>(inputs: T[], options?: LayerArgs): Merged<T> {
  return new Minimum(options).apply(inputs);
}

/** `concatenate([a, b], axis)`, as Keras' `keras.layers.concatenate(inputs, axis=-1)`. */
export function concatenate<T extends SymbolicTensor | Tensor>(inputs: T[], axis = -1, options?: LayerArgs): Merged<T> {
  return new Concatenate({ ...options, axis }).apply(inputs);
}

/** `dot([a, b], axes, normalize)`, as Keras' `keras.layers.dot(inputs, axes, normalize=False)`. */
export function dot<T extends SymbolicTensor | Tensor>(
  inputs: T[],
  axes: number | [number, number],
  normalize = false,
  options?: LayerArgs,
): Merged<T> {
  return new Dot({ ...options, axes, normalize }).apply(inputs);
}
