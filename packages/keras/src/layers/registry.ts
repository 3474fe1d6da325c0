import { ArgumentError, DTypeError, DataFormatError, ShapeError } from '@tsdl/tensor';
import { Conv2D } from './conv';
import { Activation, Dense, Dropout, Flatten, InputLayer, Reshape } from './core';
import { Embedding } from './embedding';
import type { Layer } from './layer';
import { quote } from '../names';
import { BatchNormalization } from './normalization';
import { AveragePooling2D, MaxPooling2D } from './pooling';
import { Conv1D } from './conv1d';
import { AveragePooling1D, MaxPooling1D } from './pooling1d';
import { LayerNormalization } from './layer-normalization';
import { StringLookup } from './string-lookup';
import { TextVectorization } from './text-vectorization';
import { GlobalAveragePooling1D, GlobalMaxPooling1D } from './global-pooling1d';
import { Masking } from './masking';
import { Bidirectional } from './recurrent/bidirectional';
import { GRU } from './recurrent/gru';
import { LSTM } from './recurrent/lstm';
import { SimpleRNN } from './recurrent/simple-rnn';
import { TimeDistributed } from './time-distributed';
import { MultiHeadAttention } from './multi-head-attention';
import { PositionalEmbedding } from './positional-embedding';
import { TokenAndPositionEmbedding } from './token-and-position-embedding';
import { Permute, RepeatVector, UpSampling1D } from './reshaping';
import { ZeroPadding1D, ZeroPadding2D } from './zero-padding';
import { Cropping1D, Cropping2D } from './cropping';
import { GlobalAveragePooling2D, GlobalMaxPooling2D } from './global-pooling2d';
import { ELU, LeakyReLU, ReLU, Softmax, ThresholdedReLU } from './activation-layers';
import { PReLU } from './prelu';
import { AlphaDropout, GaussianDropout, GaussianNoise } from './noise';
import { SpatialDropout1D, SpatialDropout2D } from './spatial-dropout';
import { Rescaling } from './preprocessing/rescaling';
import { Normalization } from './preprocessing/normalization';
import { CategoryEncoding } from './preprocessing/category-encoding';
import { CenterCrop } from './preprocessing/center-crop';
import { Lambda } from './lambda';
import { Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract } from './merge/index';
import { Sequential } from '../models/sequential';
import { Functional } from '../models/functional';
import { Conv1DTranspose, Conv2DTranspose } from './conv-transpose';
import { DepthwiseConv2D } from './depthwise-conv';
import { SeparableConv1D, SeparableConv2D } from './separable-conv';
import { UpSampling2D } from './up-sampling2d';
import { Resizing } from './resizing';
import { Identity } from './identity';
import { Attention, AdditiveAttention } from './attention';
import { GroupNormalization } from './group-normalization';
import { UnitNormalization } from './unit-normalization';
import { ActivityRegularization } from './activity-regularization';
import { SpatialDropout3D } from './spatial-dropout3d';
import { DepthwiseConv1D } from './depthwise-conv1d';
import { GRUCell, LSTMCell, SimpleRNNCell } from './recurrent/cells';
import { RNN, StackedRNNCells } from './recurrent/rnn';
import { IntegerLookup } from './preprocessing/integer-lookup';
import { Discretization } from './preprocessing/discretization';
import { Hashing } from './preprocessing/hashing';
import { RandomFlip } from './preprocessing/random-flip';
import { RandomCrop } from './preprocessing/random-crop';
import { RandomRotation, RandomTranslation, RandomZoom } from './preprocessing/random-affine';
import { RandomBrightness, RandomContrast } from './preprocessing/random-color';
import { RandomHeight, RandomWidth } from './preprocessing/random-size';
import { Conv3D } from './volume/conv3d';
import { AveragePooling3D, GlobalAveragePooling3D, GlobalMaxPooling3D, MaxPooling3D } from './volume/pooling3d';
import { Cropping3D, UpSampling3D, ZeroPadding3D } from './volume/volume-reshaping';
import { EinsumDense } from './einsum-dense';
import { MelSpectrogram } from './preprocessing/mel-spectrogram';
import { HashedCrossing } from './preprocessing/hashed-crossing';
import { SpectralNormalization } from './spectral-normalization';
import { ConvLSTM1D, ConvLSTM2D, ConvLSTM3D } from './recurrent/conv-lstm';
import { Conv3DTranspose } from './volume/conv3d-transpose';
import { GroupedQueryAttention } from './grouped-query-attention';

type LayerClass = new (config: any) => Layer;

/** Layer classes by Keras class name, to rebuild saved models (a Map: see names.ts for why not an object). */
const LAYERS = new Map<string, LayerClass>([
  ['InputLayer', InputLayer],
  ['Dense', Dense],
  ['Flatten', Flatten],
  ['Dropout', Dropout],
  ['Activation', Activation],
  ['Reshape', Reshape],
  ['Conv2D', Conv2D],
  ['MaxPooling2D', MaxPooling2D],
  ['AveragePooling2D', AveragePooling2D],
  ['BatchNormalization', BatchNormalization],
  ['Embedding', Embedding],
  ['Conv1D', Conv1D],
  ['MaxPooling1D', MaxPooling1D],
  ['AveragePooling1D', AveragePooling1D],
  ['LayerNormalization', LayerNormalization],
  ['TextVectorization', TextVectorization],
  ['StringLookup', StringLookup],
  ['SimpleRNN', SimpleRNN],
  ['LSTM', LSTM],
  ['GRU', GRU],
  ['Bidirectional', Bidirectional],
  ['TimeDistributed', TimeDistributed],
  ['Masking', Masking],
  ['GlobalAveragePooling1D', GlobalAveragePooling1D],
  ['GlobalMaxPooling1D', GlobalMaxPooling1D],
  ['MultiHeadAttention', MultiHeadAttention],
  ['PositionalEmbedding', PositionalEmbedding],
  // KerasHub's name for it.
  ['PositionEmbedding', PositionalEmbedding],
  ['TokenAndPositionEmbedding', TokenAndPositionEmbedding],
  ['Permute', Permute],
  ['RepeatVector', RepeatVector],
  ['UpSampling1D', UpSampling1D],
  ['ZeroPadding1D', ZeroPadding1D],
  ['ZeroPadding2D', ZeroPadding2D],
  ['Cropping1D', Cropping1D],
  ['Cropping2D', Cropping2D],
  ['GlobalAveragePooling2D', GlobalAveragePooling2D],
  ['GlobalMaxPooling2D', GlobalMaxPooling2D],
  ['ReLU', ReLU],
  ['LeakyReLU', LeakyReLU],
  ['PReLU', PReLU],
  ['ELU', ELU],
  ['Softmax', Softmax],
  ['ThresholdedReLU', ThresholdedReLU],
  ['GaussianNoise', GaussianNoise],
  ['GaussianDropout', GaussianDropout],
  ['AlphaDropout', AlphaDropout],
  ['SpatialDropout1D', SpatialDropout1D],
  ['SpatialDropout2D', SpatialDropout2D],
  ['Rescaling', Rescaling],
  ['Normalization', Normalization],
  ['CategoryEncoding', CategoryEncoding],
  ['CenterCrop', CenterCrop],
  // Its fromConfig refuses: a saved Lambda cannot hold its function.
  ['Lambda', Lambda],
  ['Add', Add],
  ['Subtract', Subtract],
  ['Multiply', Multiply],
  ['Average', Average],
  ['Maximum', Maximum],
  ['Minimum', Minimum],
  ['Concatenate', Concatenate],
  ['Dot', Dot],
  // A model used as a layer of another model (rebuilt by their fromConfig).
  ['Sequential', Sequential],
  ['Functional', Functional],
  ['Conv2DTranspose', Conv2DTranspose],
  ['Conv1DTranspose', Conv1DTranspose],
  ['DepthwiseConv2D', DepthwiseConv2D],
  ['SeparableConv2D', SeparableConv2D],
  ['SeparableConv1D', SeparableConv1D],
  ['UpSampling2D', UpSampling2D],
  ['Resizing', Resizing],
  ['Identity', Identity],
  ['Attention', Attention],
  ['AdditiveAttention', AdditiveAttention],
  ['GroupNormalization', GroupNormalization],
  ['UnitNormalization', UnitNormalization],
  ['ActivityRegularization', ActivityRegularization],
  ['SpatialDropout3D', SpatialDropout3D],
  ['DepthwiseConv1D', DepthwiseConv1D],
  ['SimpleRNNCell', SimpleRNNCell],
  ['LSTMCell', LSTMCell],
  ['GRUCell', GRUCell],
  ['StackedRNNCells', StackedRNNCells],
  ['RNN', RNN],
  ['IntegerLookup', IntegerLookup],
  ['Discretization', Discretization],
  ['Hashing', Hashing],
  ['RandomFlip', RandomFlip],
  ['RandomCrop', RandomCrop],
  ['RandomTranslation', RandomTranslation],
  ['RandomRotation', RandomRotation],
  ['RandomZoom', RandomZoom],
  ['RandomContrast', RandomContrast],
  ['RandomBrightness', RandomBrightness],
  ['RandomWidth', RandomWidth],
  ['RandomHeight', RandomHeight],
  ['Conv3D', Conv3D],
  ['MaxPooling3D', MaxPooling3D],
  ['AveragePooling3D', AveragePooling3D],
  ['GlobalAveragePooling3D', GlobalAveragePooling3D],
  ['GlobalMaxPooling3D', GlobalMaxPooling3D],
  ['UpSampling3D', UpSampling3D],
  ['ZeroPadding3D', ZeroPadding3D],
  ['Cropping3D', Cropping3D],
  ['EinsumDense', EinsumDense],
  ['MelSpectrogram', MelSpectrogram],
  ['HashedCrossing', HashedCrossing],
  ['SpectralNormalization', SpectralNormalization],
  ['ConvLSTM1D', ConvLSTM1D],
  ['ConvLSTM2D', ConvLSTM2D],
  ['ConvLSTM3D', ConvLSTM3D],
  ['Conv3DTranspose', Conv3DTranspose],
  ['GroupedQueryAttention', GroupedQueryAttention],
  // Keras 3 exports the class under both names.
  ['GroupQueryAttention', GroupedQueryAttention],
]);

/** The class names loadModel can rebuild (built-ins, aliases and registered custom layers), in registration order. */
export function registeredLayerClasses(): string[] {
  return [...LAYERS.keys()];
}

/** Whether a saved model's layer class can be made (a built-in or a registered layer). */
export function knownLayerClass(className: string): boolean {
  return LAYERS.has(className);
}

/** Registers a custom layer class so saved models that use it can be loaded. */
export function registerLayer(className: string, ctor: LayerClass): void {
  if (typeof className !== 'string' || className === '')
    throw new ArgumentError(`registerLayer: className must be a non-empty string, got ${quote(className)}`);
  if (typeof ctor !== 'function')
    throw new ArgumentError(`registerLayer: '${className}' must be registered with a layer class, got ${quote(ctor)}`);
  LAYERS.set(className, ctor);
}

/**
 * Makes a layer from a saved `{ className, config }` entry. The entry comes from a
 * file, so what is wrong with it is a DataFormatError: an unknown class (listing
 * the known ones) or a config its constructor rejects (the constructor's message,
 * and its error as the cause).
 */
export function layerFromConfig(entry: { className: string; config: Record<string, unknown> }): Layer {
  if (entry === null || typeof entry !== 'object')
    throw new DataFormatError(`loadModel: a layer entry must be an object { className, config }, got ${quote(entry)}`);
  const { className, config } = entry;
  const Ctor = typeof className === 'string' ? LAYERS.get(className) : undefined;
  if (!Ctor) {
    throw new DataFormatError(
      `loadModel: unknown layer class ${quote(className)} (known: ${[...LAYERS.keys()].join(', ')}; register custom layers with registerLayer)`,
    );
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new DataFormatError(`loadModel: the config of a ${className} layer must be an object, got ${quote(config)}`);
  }
  try {
    // Wrappers (Bidirectional, TimeDistributed) hold saved layers in their config and rebuild them through this function.
    const fromConfig = (Ctor as { fromConfig?: unknown }).fromConfig;
    if (typeof fromConfig === 'function')
      return (fromConfig as (c: object, d: typeof layerFromConfig) => Layer).call(Ctor, config, layerFromConfig);
    return new Ctor(config);
  } catch (e) {
    if (!(e instanceof ArgumentError || e instanceof ShapeError || e instanceof DTypeError)) throw e;
    const name = typeof config.name === 'string' ? ` '${config.name}'` : '';
    const err = new DataFormatError(`loadModel: the config of ${className} layer${name} is invalid: ${e.message}`);
    err.cause = e;
    throw err;
  }
}
