import { ArgumentError } from '@tsdl/tensor';
import { Conv2D } from './conv';
import { Activation, Dense, Dropout, Flatten, InputLayer, Reshape } from './core';
import { Embedding } from './embedding';
import type { Layer } from './layer';
import { BatchNormalization } from './normalization';
import { AveragePooling2D, MaxPooling2D } from './pooling';

/** Layer classes by Keras class name, to rebuild saved models. */
const LAYERS: Record<string, new (config: any) => Layer> = {
  InputLayer,
  Dense,
  Flatten,
  Dropout,
  Activation,
  Reshape,
  Conv2D,
  MaxPooling2D,
  AveragePooling2D,
  BatchNormalization,
  Embedding,
};

/** Registers a custom layer class so saved models that use it can be loaded. */
export function registerLayer(className: string, ctor: new (config: any) => Layer): void {
  LAYERS[className] = ctor;
}

export function layerFromConfig(entry: { className: string; config: Record<string, unknown> }): Layer {
  const Ctor = LAYERS[entry.className];
  if (!Ctor) throw new ArgumentError(`loadModel: unknown layer class '${entry.className}' (register custom layers with registerLayer)`);
  return new Ctor(entry.config);
}
