/**
 * @tsdl/keras: a Keras-like API over tsdl — Sequential and functional models,
 * Keras layers and defaults, compile / fit / evaluate / predict, callbacks,
 * summary, and save / load (JSON config + safetensors weights).
 */
export { Layer, SymbolicTensor, type LayerArgs, type PartialShape, fmtKerasShape } from './layers/layer';
export {
  Input,
  InputLayer,
  Dense,
  Flatten,
  Dropout,
  Activation,
  Reshape,
  type DenseArgs,
  type DropoutArgs,
} from './layers/core';
export { Conv2D, type Conv2DArgs } from './layers/conv';
export { MaxPooling2D, AveragePooling2D, type Pooling2DArgs } from './layers/pooling';
export { BatchNormalization, type BatchNormalizationArgs } from './layers/normalization';
export { Embedding, type EmbeddingArgs } from './layers/embedding';
export { Conv1D, type Conv1DArgs, type Padding1D } from './layers/conv1d';
export {
  Conv2DTranspose,
  Conv1DTranspose,
  type Conv2DTransposeArgs,
  type Conv1DTransposeArgs,
} from './layers/conv-transpose';
export { DepthwiseConv2D, type DepthwiseConv2DArgs } from './layers/depthwise-conv';
export {
  SeparableConv2D,
  SeparableConv1D,
  type SeparableConv2DArgs,
  type SeparableConv1DArgs,
} from './layers/separable-conv';
export { UpSampling2D, type UpSampling2DArgs, type UpSamplingInterpolation } from './layers/up-sampling2d';
export { Resizing, type ResizingArgs, type ResizingInterpolation } from './layers/resizing';
export { MaxPooling1D, AveragePooling1D, type Pooling1DArgs } from './layers/pooling1d';
export { LayerNormalization, type LayerNormalizationArgs } from './layers/layer-normalization';
export { TextVectorization, type TextVectorizationArgs, type TextOutputMode } from './layers/text-vectorization';
export {
  StringLookup,
  type StringLookupArgs,
  type StringLookupOutput,
  type IndexSamples,
} from './layers/string-lookup';
export { type OutputMode as LookupOutputMode } from './layers/lookup-vocabulary';
export { type StringSamples, type ReadsStrings } from './layers/string-input';
export { SimpleRNN, type SimpleRNNArgs } from './layers/recurrent/simple-rnn';
export { LSTM, type LSTMArgs } from './layers/recurrent/lstm';
export { GRU, type GRUArgs } from './layers/recurrent/gru';
export { RecurrentLayer, type RecurrentArgs, type RecurrentCallOptions } from './layers/recurrent/rnn-base';
export { Bidirectional, type BidirectionalArgs, type MergeMode } from './layers/recurrent/bidirectional';
export { TimeDistributed, type TimeDistributedArgs } from './layers/time-distributed';
export { Masking, type MaskingArgs } from './layers/masking';
export { GlobalAveragePooling1D, GlobalMaxPooling1D, type GlobalPooling1DArgs } from './layers/global-pooling1d';
export {
  MultiHeadAttention,
  type MultiHeadAttentionArgs,
  type MultiHeadAttentionCallOptions,
} from './layers/multi-head-attention';
export { PositionalEmbedding, type PositionalEmbeddingArgs } from './layers/positional-embedding';
export { TokenAndPositionEmbedding, type TokenAndPositionEmbeddingArgs } from './layers/token-and-position-embedding';
export {
  Permute,
  RepeatVector,
  UpSampling1D,
  type PermuteArgs,
  type RepeatVectorArgs,
  type UpSampling1DArgs,
} from './layers/reshaping';
export { ZeroPadding1D, ZeroPadding2D, type ZeroPadding1DArgs, type ZeroPadding2DArgs } from './layers/zero-padding';
export { Cropping1D, Cropping2D, type Cropping1DArgs, type Cropping2DArgs } from './layers/cropping';
export { GlobalAveragePooling2D, GlobalMaxPooling2D, type GlobalPooling2DArgs } from './layers/global-pooling2d';
export { type KerasDataFormat } from './layers/layer-config';
export {
  ReLU,
  LeakyReLU,
  ELU,
  Softmax,
  ThresholdedReLU,
  type ReLUArgs,
  type LeakyReLUArgs,
  type ELUArgs,
  type SoftmaxArgs,
  type ThresholdedReLUArgs,
} from './layers/activation-layers';
export { PReLU, type PReLUArgs } from './layers/prelu';
export {
  GaussianNoise,
  GaussianDropout,
  AlphaDropout,
  type GaussianNoiseArgs,
  type GaussianDropoutArgs,
  type AlphaDropoutArgs,
} from './layers/noise';
export {
  SpatialDropout1D,
  SpatialDropout2D,
  type SpatialDropout1DArgs,
  type SpatialDropout2DArgs,
} from './layers/spatial-dropout';
export { Rescaling, type RescalingArgs } from './layers/preprocessing/rescaling';
export { Normalization, type NormalizationArgs, type AdaptData } from './layers/preprocessing/normalization';
export {
  CategoryEncoding,
  type CategoryEncodingArgs,
  type CategoryEncodingMode,
} from './layers/preprocessing/category-encoding';
export { CenterCrop, type CenterCropArgs } from './layers/preprocessing/center-crop';
export { Lambda, type LambdaArgs, type LambdaFunction } from './layers/lambda';
export { Identity, type IdentityArgs } from './layers/identity';
export {
  Attention,
  AdditiveAttention,
  type AttentionArgs,
  type AdditiveAttentionArgs,
  type AttentionCallOptions,
  type AttentionScoreMode,
} from './layers/attention';
export { GroupNormalization, type GroupNormalizationArgs } from './layers/group-normalization';
export { UnitNormalization, type UnitNormalizationArgs } from './layers/unit-normalization';
export { ActivityRegularization, type ActivityRegularizationArgs } from './layers/activity-regularization';
export { SpatialDropout3D, type SpatialDropout3DArgs } from './layers/spatial-dropout3d';
export { DepthwiseConv1D, type DepthwiseConv1DArgs } from './layers/depthwise-conv1d';
export {
  RecurrentCell,
  SimpleRNNCell,
  LSTMCell,
  GRUCell,
  type RNNCellArgs,
  type LSTMCellArgs,
  type GRUCellArgs,
} from './layers/recurrent/cells';
export { RNN, StackedRNNCells, type RNNArgs, type StackedRNNCellsArgs, type CustomCell } from './layers/recurrent/rnn';
export { IntegerLookup, type IntegerLookupArgs, type IntegerSamples } from './layers/preprocessing/integer-lookup';
export {
  Discretization,
  type DiscretizationArgs,
  type DiscretizationMode,
} from './layers/preprocessing/discretization';
export { Hashing, type HashingArgs, type HashingMode, type HashSamples } from './layers/preprocessing/hashing';
export { RandomImageLayer, type RandomImageArgs } from './layers/preprocessing/random-image';
export { RandomFlip, type RandomFlipArgs, type FlipMode } from './layers/preprocessing/random-flip';
export { RandomCrop, type RandomCropArgs } from './layers/preprocessing/random-crop';
export {
  RandomTranslation,
  RandomRotation,
  RandomZoom,
  type AffineArgs,
  type RandomTranslationArgs,
  type RandomRotationArgs,
  type RandomZoomArgs,
} from './layers/preprocessing/random-affine';
export { type FillMode, type Interpolation as AffineInterpolation } from './layers/preprocessing/affine-sampler';
export {
  RandomContrast,
  RandomBrightness,
  type RandomContrastArgs,
  type RandomBrightnessArgs,
} from './layers/preprocessing/random-color';
export { RandomWidth, RandomHeight, type RandomSizeArgs } from './layers/preprocessing/random-size';
export { Conv3D, type Conv3DArgs } from './layers/volume/conv3d';
export {
  MaxPooling3D,
  AveragePooling3D,
  GlobalAveragePooling3D,
  GlobalMaxPooling3D,
  type Pooling3DArgs,
  type GlobalPooling3DArgs,
} from './layers/volume/pooling3d';
export {
  UpSampling3D,
  ZeroPadding3D,
  Cropping3D,
  type UpSampling3DArgs,
  type ZeroPadding3DArgs,
  type Cropping3DArgs,
} from './layers/volume/volume-reshaping';
export { type IntTriple } from './layers/volume/volume-args';
export { EinsumDense, type EinsumDenseArgs } from './layers/einsum-dense';
export { MelSpectrogram, type MelSpectrogramArgs } from './layers/preprocessing/mel-spectrogram';
export { HashedCrossing, type HashedCrossingArgs, type CrossFeature } from './layers/preprocessing/hashed-crossing';
export { SpectralNormalization, type SpectralNormalizationArgs } from './layers/spectral-normalization';
export {
  ConvLSTM,
  ConvLSTM1D,
  ConvLSTM2D,
  ConvLSTM3D,
  type ConvLSTMArgs,
  type ConvLSTMCallOptions,
} from './layers/recurrent/conv-lstm';
export { Conv3DTranspose, type Conv3DTransposeArgs } from './layers/volume/conv3d-transpose';
export {
  GroupedQueryAttention,
  GroupedQueryAttention as GroupQueryAttention,
  type GroupedQueryAttentionArgs,
} from './layers/grouped-query-attention';
export { registerLayer, registeredLayerClasses } from './layers/registry';
export {
  Merge,
  Add,
  Subtract,
  Multiply,
  Average,
  Maximum,
  Minimum,
  Concatenate,
  Dot,
  type ConcatenateArgs,
  type DotArgs,
  add,
  subtract,
  multiply,
  average,
  maximum,
  minimum,
  concatenate,
  dot,
} from './layers/merge/index';
export {
  Model,
  History,
  type AnyModel,
  type CompileArgs,
  type FitArgs,
  type EvaluateArgs,
  type PredictArgs,
  type DataArray,
  type ModelData,
  type LossesArg,
  type LossWeightsArg,
  type MetricsArg,
  type WeightArgs,
  type SampleWeightArgs,
} from './models/model';
export { Sequential } from './models/sequential';
export { Functional, model, type FunctionalArgs } from './models/functional';
export {
  Callback,
  LambdaCallback,
  EarlyStopping,
  ModelCheckpoint,
  LearningRateScheduler,
  ReduceLROnPlateau,
  TerminateOnNaN,
  CSVLogger,
  type CallbackHooks,
  type TrainingModel,
  type EarlyStoppingArgs,
  type ModelCheckpointArgs,
  type ReduceLROnPlateauArgs,
} from './callbacks';
export { optimizers, KerasOptimizer, type OptimizerConfig } from './optimizers';
export {
  LearningRateSchedule,
  ExponentialDecay,
  PiecewiseConstantDecay,
  PolynomialDecay,
  InverseTimeDecay,
  CosineDecay,
  CosineDecayRestarts,
  serializeSchedule,
  deserializeSchedule,
  type SerializedSchedule,
  type ExponentialDecayArgs,
  type PiecewiseConstantDecayArgs,
  type PolynomialDecayArgs,
  type InverseTimeDecayArgs,
  type CosineDecayArgs,
  type CosineDecayRestartsArgs,
} from './schedules/index';
export { type GradientClipping } from './gradient-clipping';
export { resolveLoss, serializeLoss, type LossArgument, type LossFn, type LossSpec } from './losses';
export {
  losses,
  Loss,
  SparseCategoricalCrossentropy,
  CategoricalCrossentropy,
  BinaryCrossentropy,
  MeanSquaredError,
  MeanAbsoluteError,
  Huber,
  type LossReduction,
  type LossArgs,
  type CrossEntropyArgs,
  type SmoothedCrossEntropyArgs,
  type HuberArgs,
} from './loss-objects';
export { resolveMetric, metrics, Metric, type MetricSpec, type MetricArgs, type BinaryAccuracyArgs } from './metrics';
export { utils, toCategorical } from './utils';
export { camelCaseKeys, type WithSnakeCase } from './config-keys';
export { saveModel, modelToArtifacts, type ModelArtifacts } from './io/save';
export { loadModel, modelFromArtifacts } from './io/load';
export { loadTfjsModel } from './io/tfjs/tfjs-load';
export { modelToTfjsArtifacts } from './io/tfjs/tfjs-save';
export { saveTfjsModel } from './io/tfjs/tfjs-write';
export { type TfjsArtifacts } from './io/tfjs/tfjs-read';
export { encodeSafetensors, decodeSafetensors, type StTensor } from './io/safetensors';
export { type Logs } from './progress';
