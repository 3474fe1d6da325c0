import { buildCnn } from '@tsdl/app-mnist-cnn/model';
import { buildMlp } from '@tsdl/app-mnist-mlp/model';
import type { Model, Sequential } from '@tsdl/keras';
import type { ModelKind } from '../protocol';

/**
 * The two models on offer, built by the command-line examples' own builders:
 * the MNIST MLP of apps/mnist-mlp and the Keras convnet of apps/mnist-cnn.
 * Both take channels-last images [batch, 28, 28, 1], so the page sends one shape.
 */
export function buildModel(kind: ModelKind): Sequential {
  return kind === 'cnn' ? buildCnn() : buildMlp([28, 28, 1]);
}

export function countParameters(model: Model): number {
  return model.namedModelWeights().reduce((n, [, w]) => n + w.size, 0);
}

/** Which of our two models a loaded one is (by its layers), or 'custom'. */
export function recognise(model: Model): ModelKind | 'custom' {
  const names = model.layers.map((l) => l.className).join(',');
  if (names === 'Flatten,Dense,Dropout,Dense') return 'mlp';
  if (names === 'Conv2D,MaxPooling2D,Conv2D,MaxPooling2D,Flatten,Dense,Dense') return 'cnn';
  return 'custom';
}

/**
 * The per-sample input shape a saved model was built for (from its config),
 * so a model saved by apps/mnist-mlp ([28, 28]) works as well as ours
 * ([28, 28, 1]); anything that is not 784 values per sample is refused.
 */
export function inputShapeOf(config: Record<string, unknown>): number[] {
  const c = (
    config as {
      config?: {
        buildInputShape?: number[];
        layers?: { className: string; config: { shape?: number[]; batchInputShape?: number[] } }[];
      };
    }
  ).config;
  let shape = c?.buildInputShape ?? undefined;
  const input = c?.layers?.find((l) => l.className === 'InputLayer');
  if (!shape && input) shape = input.config.shape ?? input.config.batchInputShape?.slice(1);
  if (!shape) return [28, 28, 1];
  if (shape.reduce((a, b) => a * b, 1) !== 784) {
    throw new Error(`this model takes inputs of shape [${shape.join(', ')}], not 28×28 images`);
  }
  return shape;
}
