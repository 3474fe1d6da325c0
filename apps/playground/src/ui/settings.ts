import type { BackendChoice, ModelKind, TrainSettings, TrainTarget } from '../protocol';

const input = (id: string) => document.getElementById(id) as HTMLInputElement;

/** Reads one number field; a value out of range is an error that names the field in words. */
export function field(id: string, label: string, integer: boolean): number {
  const el = input(id);
  const v = Number(el.value);
  const min = Number(el.min);
  const max = Number(el.max);
  if (el.value.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
    throw new Error(
      `${label} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max} (got "${el.value}")`,
    );
  }
  return v;
}

export function readSettings(): TrainSettings {
  return {
    model: (document.getElementById('model') as HTMLSelectElement).value as TrainTarget,
    epochs: field('epochs', 'Epochs', true),
    batchSize: field('batch-size', 'Batch size', true),
    learningRate: field('learning-rate', 'Learning rate', false),
    trainImages: field('train-images', 'Training images', true),
    validationImages: field('validation-images', 'Validation images', true),
    seed: 0,
  };
}

export function backendChoice(): BackendChoice {
  return (document.getElementById('backend') as HTMLSelectElement).value as BackendChoice;
}

/**
 * Sensible sizes per model and backend: the MLP trains on all 60,000 images
 * in seconds per epoch, the CNN on the CPU takes minutes per 10,000 images.
 */
export function suggestSizes(model: ModelKind, backend: 'webgpu' | 'cpu' | null): void {
  const slow = model === 'cnn' && backend !== 'webgpu';
  input('train-images').value = slow ? '5000' : '60000';
  input('epochs').value = model === 'cnn' ? '2' : '3';
  input('batch-size').value = model === 'cnn' ? '128' : '64';
}
