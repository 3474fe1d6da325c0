import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registeredLayerClasses } from '../src/layers/registry';

/**
 * The README's table of every Keras 3 layer (keras.layers, by Keras' own grouping) says which
 * ones @tsdl/keras has. It is checked here against the layer registry, so it stays true: when a
 * layer is added, this test fails with the table to paste between the README's markers.
 */
const KERAS_LAYERS: Record<string, string[]> = {
  Core: ['Dense', 'EinsumDense', 'Embedding', 'Identity', 'InputLayer', 'Lambda', 'Masking'],
  Activations: ['Activation', 'ELU', 'LeakyReLU', 'PReLU', 'ReLU', 'Softmax'],
  Convolution: [
    'Conv1D',
    'Conv1DTranspose',
    'Conv2D',
    'Conv2DTranspose',
    'Conv3D',
    'Conv3DTranspose',
    'DepthwiseConv1D',
    'DepthwiseConv2D',
    'SeparableConv1D',
    'SeparableConv2D',
  ],
  Pooling: [
    'AveragePooling1D',
    'AveragePooling2D',
    'AveragePooling3D',
    'MaxPooling1D',
    'MaxPooling2D',
    'MaxPooling3D',
    'GlobalAveragePooling1D',
    'GlobalAveragePooling2D',
    'GlobalAveragePooling3D',
    'GlobalMaxPooling1D',
    'GlobalMaxPooling2D',
    'GlobalMaxPooling3D',
  ],
  Recurrent: [
    'SimpleRNN',
    'LSTM',
    'GRU',
    'SimpleRNNCell',
    'LSTMCell',
    'GRUCell',
    'RNN',
    'StackedRNNCells',
    'Bidirectional',
    'TimeDistributed',
    'ConvLSTM1D',
    'ConvLSTM2D',
    'ConvLSTM3D',
  ],
  Attention: ['Attention', 'AdditiveAttention', 'MultiHeadAttention', 'GroupQueryAttention'],
  Normalization: [
    'BatchNormalization',
    'GroupNormalization',
    'LayerNormalization',
    'UnitNormalization',
    'SpectralNormalization',
  ],
  Regularization: [
    'Dropout',
    'AlphaDropout',
    'GaussianDropout',
    'GaussianNoise',
    'SpatialDropout1D',
    'SpatialDropout2D',
    'SpatialDropout3D',
    'ActivityRegularization',
  ],
  Reshaping: [
    'Flatten',
    'Reshape',
    'Permute',
    'RepeatVector',
    'Cropping1D',
    'Cropping2D',
    'Cropping3D',
    'UpSampling1D',
    'UpSampling2D',
    'UpSampling3D',
    'ZeroPadding1D',
    'ZeroPadding2D',
    'ZeroPadding3D',
  ],
  Merging: ['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate', 'Dot'],
  Preprocessing: [
    'TextVectorization',
    'StringLookup',
    'IntegerLookup',
    'Hashing',
    'HashedCrossing',
    'Discretization',
    'CategoryEncoding',
    'Normalization',
    'Rescaling',
    'Resizing',
    'CenterCrop',
    'MelSpectrogram',
  ],
  Augmentation: [
    'RandomFlip',
    'RandomCrop',
    'RandomTranslation',
    'RandomRotation',
    'RandomZoom',
    'RandomContrast',
    'RandomBrightness',
  ],
  'Other frameworks': ['TFSMLayer', 'JaxLayer', 'FlaxLayer', 'TorchModuleWrapper'],
};

/**
 * Registered names that are no layer of their own here: models (layers too, for nesting, but not
 * picked from this table) and Keras' other spelling of a listed class.
 */
const MODELS_AND_ALIASES = new Set(['Sequential', 'Functional', 'GroupedQueryAttention']);

/** Layers that run another framework's code: nothing tsdl could run. */
const NOT_APPLICABLE = new Set(KERAS_LAYERS['Other frameworks']);

function expectedTable(registered: string[]): string {
  const has = new Set(registered);
  const mark = (n: string): string =>
    has.has(n) ? `\`${n}\`` : NOT_APPLICABLE.has(n) ? `~~${n}~~ (n/a)` : `${n} (not yet)`;
  const lines = ['| group | layers |', '|---|---|'];
  for (const [group, names] of Object.entries(KERAS_LAYERS)) lines.push(`| ${group} | ${names.map(mark).join(', ')} |`);
  const keras = new Set(Object.values(KERAS_LAYERS).flat());
  const extra = registered.filter((n) => !keras.has(n) && !MODELS_AND_ALIASES.has(n)).sort();
  lines.push(`| not in Keras 3 (tf.keras 2, TF.js, KerasHub) | ${extra.map((n) => `\`${n}\``).join(', ')} |`);
  return lines.join('\n');
}

describe("the README's table of Keras layers", () => {
  it('matches the layer registry', () => {
    const path = join(__dirname, '..', 'README.md');
    const readme = readFileSync(path, 'utf8');
    const markers = /(<!-- layer-table:start -->\n)([\s\S]*?)(\n<!-- layer-table:end -->)/;
    const m = markers.exec(readme);
    expect(m, 'the README has the layer-table markers').not.toBeNull();
    const table = expectedTable(registeredLayerClasses());
    if (process.env.UPDATE_README_TABLE)
      writeFileSync(
        path,
        readme.replace(markers, (_all, a: string, _old: string, b: string) => a + table + b),
      );
    else expect((m as RegExpExecArray)[2]).toBe(table);
  });
});
