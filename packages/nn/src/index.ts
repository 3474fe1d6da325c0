/**
 * @tsdl/nn: modules, layers, activations, losses and initializers, with
 * PyTorch's semantics and defaults (every default can be overridden).
 */
export {
  Module,
  parameter,
  type LoadStateDictOptions,
  type LoadStateDictResult,
  type RegisterBufferOptions,
} from './module';
export { Sequential, ModuleList } from './containers';
export { Linear, type LinearOptions, defaultWeightInit, defaultBiasInit } from './layers/linear';
export { Conv2d, type Conv2dModuleOptions, type Pair } from './layers/conv';
export { Conv1d, type Conv1dOptions, type Single } from './layers/conv1d';
export type { PaddingMode } from './layers/padding-mode';
export { ConvTranspose2d, type ConvTranspose2dOptions } from './layers/conv-transpose';
export {
  MaxPool2d,
  AvgPool2d,
  type Pool2dModuleOptions,
  type MaxPool2dModuleOptions,
  type AvgPool2dModuleOptions,
} from './layers/pooling';
export {
  MaxPool1d,
  AvgPool1d,
  type Pool1dOptions,
  type MaxPool1dOptions,
  type AvgPool1dOptions,
} from './layers/pooling1d';
export { Flatten, Unflatten, Identity } from './layers/flatten';
export { Upsample, type UpsampleOptions, type UpsampleMode } from './layers/upsample';
export { Dropout, type DropoutModuleOptions } from './layers/dropout';
export { BatchNorm, BatchNorm1d, BatchNorm2d, type BatchNormOptions } from './layers/batchnorm';
export { LayerNorm, type LayerNormOptions } from './layers/layernorm';
export { Embedding, type EmbeddingOptions } from './layers/embedding';
export {
  RNN,
  LSTM,
  GRU,
  RNNBase,
  RNNCell,
  LSTMCell,
  GRUCell,
  type RNNOptions,
  type LSTMOptions,
  type GRUOptions,
  type RecurrentOptions,
  type RecurrentForwardOptions,
  type CellOptions,
  type RNNCellOptions,
} from './layers/recurrent/index';
export {
  MultiheadAttention,
  TransformerEncoderLayer,
  TransformerEncoder,
  TransformerDecoderLayer,
  TransformerDecoder,
  type MultiheadAttentionOptions,
  type MultiheadAttentionForwardOptions,
  type TransformerLayerOptions,
  type TransformerEncoderForwardOptions,
  type TransformerEncoderOptions,
  type TransformerDecoderForwardOptions,
  type TransformerDecoderOptions,
} from './layers/attention/index';
export {
  ReLU,
  LeakyReLU,
  ELU,
  GELU,
  type GELUOptions,
  Sigmoid,
  Tanh,
  SiLU,
  Softplus,
  Softmax,
  LogSoftmax,
} from './layers/activations';
export * from './losses/index';
export { type StTensor, type StDType, encodeSafetensors, decodeSafetensors } from './io/safetensors';
export {
  stateDictToSafetensors,
  loadSafetensorsInto,
  safetensorsToStateDict,
  loadTorchCheckpointInto,
  torchCheckpointToStateDict,
  type StateDictSource,
  type LoadFileOptions,
  type LoadTorchOptions,
} from './io/state-dict-io';
export { decodeTorchCheckpoint, type DecodeTorchOptions, type TorchCheckpoint } from './io/torch-checkpoint';
/** Weight initializers: `init.heUniform(shape, { seed })`, `init.computeFans(shape, layout)` … */
export * as init from './init/index';
export type { Initializer, InitOptions, DiracOptions, WeightLayout, Fans, FanMode, Nonlinearity } from './init/index';
