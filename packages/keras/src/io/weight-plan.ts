import { DataFormatError, type Tensor } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { Layer } from '../layers/layer';
import type { StTensor } from './safetensors';

type AddWeight = (
  this: Layer,
  name: string,
  shape: number[],
  initializer: string,
  options?: { trainable?: boolean; seed?: number },
) => Tensor;

/** Errors this module throws: they name both files already, so callers pass them on unchanged. */
const planned = new WeakSet<object>();

export const isPlanError = (e: unknown): boolean => typeof e === 'object' && e !== null && planned.has(e);

function refuse(message: string): never {
  const e = new DataFormatError(message);
  planned.add(e);
  throw e;
}

export interface WeightFiles {
  config: string;
  weights: string;
}

/**
 * Runs `build` (which makes layers from a saved config) with every weight a
 * layer creates checked against the weights file first: a config whose
 * `units: 3e8` meets a 424-byte file is refused before 1.2 GB is allocated
 * and initialised, not after. Weights the file holds must have its shape;
 * weights it lacks may together take no more values than the file holds (the
 * missing ones are then listed by the caller). Every weight starts as zeros,
 * since the file's values replace it, and is recorded in `created` so a failed
 * load can free it even when the layer that made it was never returned.
 *
 * Layer.addWeight is the one place layers make weights; it is swapped for the
 * synchronous `build` and restored after, so nothing else sees the change.
 */
export function withWeightPlan<T>(
  stored: Record<string, StTensor>,
  files: WeightFiles,
  created: Tensor[],
  build: () => T,
): T {
  const proto = Layer.prototype as unknown as { addWeight: AddWeight };
  const original = proto.addWeight;
  let budget = 0;
  for (const t of Object.values(stored)) budget += t.data.length;
  let used = 0;
  proto.addWeight = function (this: Layer, name, shape, _initializer, options = {}) {
    // A sub-layer's weights are saved under its parent's path ('block/conv1/kernel').
    const key = this.weightPath(name);
    const where = `layer '${this.name}' (${this.className}) in ${files.config}`;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      refuse(`${where} makes weight '${key}' with an invalid shape ${JSON.stringify(shape)}`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    const have = Object.prototype.hasOwnProperty.call(stored, key) ? stored[key] : undefined;
    if (have && have.shape.join() !== shape.join()) {
      refuse(`${files.weights}: '${key}' has shape ${fmtShape(have.shape)} but ${where} makes it ${fmtShape(shape)}`);
    }
    if (!have && used + size > budget) {
      refuse(
        `${where} makes weight '${key}' of shape ${fmtShape(shape)} (${size} values), which ${files.weights} does not hold (it holds ${budget} values in all)`,
      );
    }
    used += size;
    const t = original.call(this, name, shape, 'zeros', { ...options, seed: undefined });
    created.push(t);
    return t;
  };
  try {
    return build();
  } finally {
    proto.addWeight = original;
  }
}
