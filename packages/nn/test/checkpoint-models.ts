import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Tensor, reshape, slice, tensor, tidy } from '@tsdl/tensor';
import {
  BatchNorm2d,
  Conv2d,
  Flatten,
  LSTM,
  LayerNorm,
  Linear,
  MaxPool2d,
  Module,
  ReLU,
  Sequential,
  TransformerEncoder,
  TransformerEncoderLayer,
} from '../src/index';

/** The four models of fixtures/make_checkpoint_fixtures.py, built in tsdl with the same state-dict names. */

export const CHECKPOINTS = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'checkpoints');

export const MODEL_NAMES = ['mlp', 'cnn', 'lstm', 'transformer'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

interface Encoded {
  shape: number[];
  data: number[];
}
export interface Fixtures {
  torch: string;
  models: Record<ModelName, { input: Encoded; output: Encoded; keys: string[] }>;
  views: Record<string, Encoded>;
}

export const fixtures: Fixtures = JSON.parse(readFileSync(join(CHECKPOINTS, 'checkpoints.json'), 'utf8'));

export const fixtureBytes = (file: string): Uint8Array => new Uint8Array(readFileSync(join(CHECKPOINTS, file)));

/** PyTorch's LSTMClassifier: a 2-layer batch-first LSTM read at its last step, then a Linear. */
class LSTMClassifier extends Module {
  lstm = this.registerModule('lstm', new LSTM(5, 7, { numLayers: 2, batchFirst: true }));
  fc = this.registerModule('fc', new Linear(7, 3));
  override forward(x: Tensor): Tensor {
    return tidy(() => {
      const [out] = this.lstm.call(x) as [Tensor, unknown];
      const [n, , h] = out.shape;
      return this.fc.call(reshape(slice(out, [0, -1]), [n, h]));
    });
  }
}

/** A fresh (randomly initialised) tsdl model in eval mode. */
export function buildModel(name: ModelName): Module {
  switch (name) {
    case 'mlp':
      return new Sequential(new Linear(6, 8), new ReLU(), new Linear(8, 3)).eval();
    case 'cnn':
      return new Sequential(
        new Conv2d(2, 4, 3, { padding: 1 }),
        new BatchNorm2d(4),
        new ReLU(),
        new MaxPool2d(2),
        new Flatten(),
        new Linear(36, 5),
      ).eval();
    case 'lstm':
      return new LSTMClassifier().eval();
    case 'transformer': {
      const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, batchFirst: true });
      return new TransformerEncoder(layer, 2, { norm: new LayerNorm(8) }).eval();
    }
  }
}

/** The model's output on the fixture's input, as host values. */
export function runModel(model: Module, name: ModelName): { shape: number[]; data: Float32Array } {
  const { input } = fixtures.models[name];
  const y = tidy(() => model.call(tensor(input.data, input.shape)) as Tensor);
  const out = { shape: [...y.shape], data: y.dataSync() as Float32Array };
  y.dispose();
  return out;
}
