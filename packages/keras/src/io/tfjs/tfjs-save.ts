import { ArgumentError } from '@tsdl/tensor';
import type { Model } from '../../models/model';
import { layerToTfjs } from './tfjs-config';
import type { TfjsArtifacts } from './tfjs-read';
import { type DecodedWeight, encodeTfjsWeights } from './tfjs-weights';

/**
 * A tsdl keras model as TF.js Layers artifacts: the Keras topology TF.js'
 * `tf.loadLayersModel` reads and every weight under the name TF.js gives it
 * ('<layer>/<weight>'). What TF.js cannot express (a layer class it lacks, an
 * option it has no name for) is an ArgumentError listing all of it.
 */

type Obj = Record<string, unknown>;

/** TF.js' Layers classes (tfjs-layers 4.x) that tsdl also has. */
const TFJS_CLASSES = new Set([
  'InputLayer',
  'Dense',
  'Flatten',
  'Dropout',
  'Activation',
  'Reshape',
  'Permute',
  'RepeatVector',
  'Conv1D',
  'Conv2D',
  'Conv2DTranspose',
  'DepthwiseConv2D',
  'SeparableConv2D',
  'Cropping2D',
  'UpSampling2D',
  'ZeroPadding2D',
  'MaxPooling1D',
  'MaxPooling2D',
  'AveragePooling1D',
  'AveragePooling2D',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling1D',
  'GlobalMaxPooling2D',
  'BatchNormalization',
  'LayerNormalization',
  'Embedding',
  'Masking',
  'SimpleRNN',
  'LSTM',
  'GRU',
  'Bidirectional',
  'TimeDistributed',
  'ReLU',
  'LeakyReLU',
  'PReLU',
  'ELU',
  'Softmax',
  'ThresholdedReLU',
  'SpatialDropout1D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'Rescaling',
  'CenterCrop',
  'Resizing',
  'CategoryEncoding',
  'Add',
  'Average',
  'Concatenate',
  'Dot',
  'Maximum',
  'Minimum',
  'Multiply',
]);

/** tsdl options whose value TF.js cannot run, by layer class: [option, value TF.js needs, why]. */
const TFJS_REQUIRES: Record<string, [string, unknown, string][]> = {
  GRU: [['resetAfter', false, 'TF.js GRUs only compute resetAfter: false']],
};

function checkLayer(className: string, config: Obj, problems: string[], where: string): void {
  if (!TFJS_CLASSES.has(className)) problems.push(`${where}: TF.js has no ${className} layer`);
  if (className === 'UpSampling2D' && config.interpolation === 'bilinear' && config.halfPixelCenters !== false) {
    problems.push(
      `${where}: TF.js' bilinear UpSampling2D samples at the corners' grid, not at half-pixel centres (halfPixelCenters: false computes what TF.js does)`,
    );
  }
  for (const [option, needed, why] of TFJS_REQUIRES[className] ?? []) {
    if (config[option] !== needed) problems.push(`${where}: ${option} is ${JSON.stringify(config[option])} (${why})`);
  }
  for (const key of ['layer', 'backwardLayer']) {
    const inner = config[key] as { className?: string; config?: Obj } | undefined;
    if (inner?.className) checkLayer(inner.className, inner.config ?? {}, problems, `${where}.${key}`);
  }
}

function topology(model: Model, problems: string[]): Obj {
  const c = model.getConfig() as Obj;
  const layers = c.layers as { className: string; config: Obj; inboundNodes?: unknown[][][] }[];
  const convert = (l: { className: string; config: Obj }, i: number): { class_name: string; config: Obj } => {
    const where = `layer ${i} '${String(l.config.name)}'`;
    checkLayer(l.className, l.config, problems, where);
    return layerToTfjs(l.className, l.config, problems, where);
  };
  if (model.className === 'Sequential') {
    const out = layers.map(convert);
    // A Sequential built from its input (not from a first layer's inputShape) keeps the shape on its first layer for TF.js.
    const first = out[0]?.config;
    if (first && first.batch_input_shape === undefined && Array.isArray(c.buildInputShape))
      first.batch_input_shape = [null, ...(c.buildInputShape as number[])];
    return { class_name: 'Sequential', config: { name: c.name, layers: out } };
  }
  if (model.className === 'Functional') {
    const out = layers.map((l, i) => {
      const t = convert(l, i);
      // The functional config already lists Keras' inbound nodes ([layer, node, tensor, kwargs?] per input); TF.js wants the kwargs always.
      const inbound = (l.inboundNodes ?? []).map((node) =>
        node.map(([name, n, k, kwargs]) => [name, n, k, kwargs ?? {}]),
      );
      return { name: l.config.name, class_name: t.class_name, config: t.config, inbound_nodes: inbound };
    });
    return {
      class_name: 'Model',
      config: { name: c.name, layers: out, input_layers: c.inputLayers, output_layers: c.outputLayers },
    };
  }
  problems.push(`the model is a ${model.className}; TF.js reads Sequential and functional models`);
  return {};
}

/** The model as TF.js ModelArtifacts (what `tf.io.fromMemory` and IO handlers take); works in browsers. */
export async function modelToTfjsArtifacts(model: Model): Promise<TfjsArtifacts & { weightData: ArrayBuffer }> {
  const problems: string[] = [];
  const config = topology(model, problems);
  if (problems.length)
    throw new ArgumentError(`saveTfjsModel: the model cannot be written for TF.js:\n  ${problems.join('\n  ')}`);
  const weights: [string, DecodedWeight][] = [];
  for (const [name, w] of model.namedModelWeights()) {
    const data = await w.data();
    weights.push([
      name,
      { dtype: w.dtype as DecodedWeight['dtype'], shape: [...w.shape], data: data as DecodedWeight['data'] },
    ]);
  }
  const { specs, data } = encodeTfjsWeights(weights);
  return {
    modelTopology: { ...config, keras_version: 'tsdl-keras', backend: 'tensor_flow.js' },
    weightSpecs: specs,
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer,
    format: 'layers-model',
    generatedBy: '@tsdl/keras',
    convertedBy: null,
  };
}
