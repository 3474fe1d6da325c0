import { Concatenate, Dense, Input, Lambda, type Layer, model } from '@tsdl/keras';
import { type Tensor, tanh } from '@tsdl/tensor';

/**
 * The keras layer cases the WebGPU parity test runs on both backends
 * (keras-layers.test.ts), and the registered classes it leaves out, with the
 * reason. Every class name in keras' layer registry is in one or the other
 * (the coverage test checks it), so a layer gets a case when it is registered.
 * Layers are made from a saved-model config through the registry, as
 * loadModel makes them. Shapes are small: the test runs on SwiftShader in CI.
 */

/** One input: seeded floats in [lo, hi) (default [-1, 1)), or seeded integers in [lo, hi) for 'int32'. */
export interface InputSpec {
  shape: number[];
  dtype?: 'float32' | 'int32';
  lo?: number;
  hi?: number;
}

export interface LayerCase {
  /** The registry class name this case covers. */
  className: string;
  /** What the case exercises, beside the class name. */
  variant?: string;
  /** The layer's config (as saved; made through the registry); default {}. */
  config?: Record<string, unknown>;
  /** Makes the layer instead, for one a config cannot describe (Lambda's function). */
  make?: () => Layer;
  inputs: InputSpec[];
  /**
   * How the layer is applied to the inputs (default `layer.apply(...inputs)`); it may
   * return nested lists of tensors (a cell's [output, states]).
   */
  call?: (layer: Layer, inputs: Tensor[]) => unknown;
  /**
   * Why the training-mode gradient is not compared (forward only); absent: it is,
   * w.r.t. the float inputs and the trainable weights. Random layers take part
   * with a seed: the counter-based generator draws the same values on both backends.
   */
  noGrad?: string;
}

const f = (...shape: number[]): InputSpec => ({ shape });
/** Pixel values in [0, 255), the default valueRange of the colour augmentations. */
const image = (...shape: number[]): InputSpec => ({ shape, lo: 0, hi: 255 });
const ints = (lo: number, hi: number, ...shape: number[]): InputSpec => ({ shape, dtype: 'int32', lo, hi });
/** Merge layers take their inputs as one list. */
const asList = (l: Layer, xs: Tensor[]) => l.apply(xs);
/** Attention layers' call options follow the inputs. */
const causal = (l: Layer, xs: Tensor[]) => l.apply(xs[0], ...xs.slice(1), { useCausalMask: true });
/** A cell takes one step and its states as a list: `cell(x, [h, c])`. */
const step = (l: Layer, [x, ...states]: Tensor[]) => l.apply(x, states);
/** Calls the layer on host values (lists), for layers whose lookup runs on the host. */
const hostInput = (values: unknown[]) => (l: Layer) => (l.call as (x: unknown) => Tensor)(values);
const saved = (className: string, config: Record<string, unknown>) => ({ className, config });

/** A functional model with two branches from one input, concatenated, then a Dense layer. */
function twoBranches(): Layer {
  const x = Input({ shape: [3] });
  const a = new Dense({ units: 2, activation: 'tanh' }).apply(x);
  const b = new Dense({ units: 3, activation: 'sigmoid' }).apply(x);
  return model({ inputs: x, outputs: new Dense({ units: 2 }).apply(new Concatenate().apply([a, b])) });
}

export const LAYER_CASES: LayerCase[] = [
  // core
  { className: 'InputLayer', config: { shape: [3] }, inputs: [f(2, 3)] },
  { className: 'Identity', inputs: [f(2, 3)] },
  { className: 'Dense', variant: 'tanh, rank 3', config: { units: 3, activation: 'tanh' }, inputs: [f(2, 2, 4)] },
  {
    className: 'EinsumDense',
    variant: "'ab,bc->ac', gelu",
    config: { equation: 'ab,bc->ac', outputShape: 3, biasAxes: 'c', activation: 'gelu' },
    inputs: [f(2, 4)],
  },
  {
    className: 'EinsumDense',
    variant: "'abc,cde->abde', bias over 'de'",
    config: { equation: 'abc,cde->abde', outputShape: [3, 2, 2], biasAxes: 'de' },
    inputs: [f(2, 3, 4)],
  },
  { className: 'Flatten', inputs: [f(2, 2, 3)] },
  { className: 'Dropout', variant: 'seeded', config: { rate: 0.4, seed: 3 }, inputs: [f(2, 8)] },
  { className: 'Activation', variant: 'gelu', config: { activation: 'gelu' }, inputs: [f(2, 5)] },
  { className: 'Activation', variant: 'log_softmax', config: { activation: 'log_softmax' }, inputs: [f(2, 5)] },
  { className: 'Reshape', config: { targetShape: [3, -1] }, inputs: [f(2, 6)] },
  // A saved Lambda cannot hold its function, so this one is made directly.
  { className: 'Lambda', make: () => new Lambda((x) => tanh(x).mul(2)), inputs: [f(2, 4)] },
  { className: 'Masking', config: { maskValue: 0.5 }, inputs: [f(2, 3, 2)] },
  {
    className: 'ActivityRegularization',
    variant: 'the penalty in the gradient',
    config: { l1: 0.01, l2: 0.02 },
    inputs: [f(2, 5)],
  },
  // convolutions
  {
    className: 'Conv1D',
    variant: "'causal', dilation 2",
    config: { filters: 3, kernelSize: 2, padding: 'causal', dilationRate: 2 },
    inputs: [f(2, 6, 2)],
  },
  {
    className: 'Conv2D',
    variant: "'same', stride 2, relu",
    config: { filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' },
    inputs: [f(2, 5, 4, 2)],
  },
  {
    className: 'Conv2D',
    variant: 'groups 2, dilation 2',
    config: { filters: 4, kernelSize: 2, groups: 2, dilationRate: 2 },
    inputs: [f(1, 5, 5, 4)],
  },
  {
    className: 'Conv1DTranspose',
    variant: 'stride 2',
    config: { filters: 2, kernelSize: 3, strides: 2 },
    inputs: [f(2, 4, 3)],
  },
  {
    className: 'Conv2DTranspose',
    variant: "'same', stride 2, outputPadding 1",
    config: { filters: 2, kernelSize: 3, strides: 2, padding: 'same', outputPadding: 1 },
    inputs: [f(1, 3, 4, 3)],
  },
  {
    className: 'DepthwiseConv1D',
    variant: "multiplier 2, 'same'",
    config: { kernelSize: 3, depthMultiplier: 2, padding: 'same' },
    inputs: [f(2, 5, 3)],
  },
  {
    className: 'DepthwiseConv2D',
    variant: 'multiplier 2',
    config: { kernelSize: 2, depthMultiplier: 2 },
    inputs: [f(2, 4, 4, 2)],
  },
  { className: 'SeparableConv1D', config: { filters: 3, kernelSize: 3, padding: 'same' }, inputs: [f(2, 5, 2)] },
  { className: 'SeparableConv2D', config: { filters: 3, kernelSize: 2, depthMultiplier: 2 }, inputs: [f(1, 4, 4, 2)] },
  // pooling
  { className: 'MaxPooling1D', config: { poolSize: 2 }, inputs: [f(2, 5, 3)] },
  {
    className: 'AveragePooling1D',
    variant: "'same', stride 2",
    config: { poolSize: 3, strides: 2, padding: 'same' },
    inputs: [f(2, 5, 3)],
  },
  { className: 'MaxPooling2D', variant: "'same'", config: { poolSize: 2, padding: 'same' }, inputs: [f(2, 5, 3, 2)] },
  { className: 'AveragePooling2D', config: { poolSize: [2, 3] }, inputs: [f(2, 4, 6, 2)] },
  { className: 'GlobalAveragePooling1D', inputs: [f(2, 4, 3)] },
  { className: 'GlobalMaxPooling1D', inputs: [f(2, 4, 3)] },
  { className: 'GlobalAveragePooling2D', variant: 'keepdims', config: { keepdims: true }, inputs: [f(2, 3, 3, 2)] },
  { className: 'GlobalMaxPooling2D', inputs: [f(2, 3, 3, 2)] },
  // normalization
  { className: 'BatchNormalization', variant: 'batch statistics in training', inputs: [f(4, 3)] },
  { className: 'LayerNormalization', inputs: [f(2, 3, 4)] },
  { className: 'GroupNormalization', variant: '2 groups', config: { groups: 2 }, inputs: [f(2, 3, 4)] },
  { className: 'UnitNormalization', inputs: [f(2, 3, 4)] },
  {
    className: 'SpectralNormalization',
    variant: 'Dense, 2 power iterations, training',
    config: { layer: saved('Dense', { units: 3 }), powerIterations: 2 },
    inputs: [f(2, 4)],
  },
  { className: 'Normalization', config: { mean: [0.5, -1, 2], variance: [1, 4, 0.25] }, inputs: [f(2, 3)] },
  // embeddings and attention
  { className: 'Embedding', config: { inputDim: 6, outputDim: 3 }, inputs: [ints(0, 6, 2, 4)] },
  { className: 'PositionalEmbedding', config: { sequenceLength: 5 }, inputs: [f(2, 3, 4)] },
  // KerasHub's name for PositionalEmbedding, registered beside it.
  { className: 'PositionEmbedding', config: { sequenceLength: 4 }, inputs: [f(2, 4, 2)] },
  {
    className: 'TokenAndPositionEmbedding',
    config: { vocabularySize: 7, sequenceLength: 5, embeddingDim: 4 },
    inputs: [ints(0, 7, 2, 4)],
  },
  {
    className: 'MultiHeadAttention',
    variant: 'causal mask, key dim differs from value dim',
    config: { numHeads: 2, keyDim: 3, valueDim: 2 },
    inputs: [f(2, 3, 4), f(2, 3, 5)],
    call: causal,
  },
  {
    className: 'Attention',
    variant: 'dot, useScale, causal',
    config: { useScale: true },
    inputs: [f(2, 3, 4), f(2, 3, 4)],
    call: causal,
  },
  {
    className: 'Attention',
    variant: 'concat, separate key',
    config: { scoreMode: 'concat' },
    inputs: [f(2, 2, 3), f(2, 4, 3), f(2, 4, 3)],
  },
  { className: 'AdditiveAttention', config: {}, inputs: [f(2, 3, 4), f(2, 2, 4)] },
  {
    className: 'GroupedQueryAttention',
    variant: '4 query heads on 2 key/value heads, causal',
    config: { headDim: 2, numQueryHeads: 4, numKeyValueHeads: 2 },
    inputs: [f(2, 3, 4), f(2, 3, 5)],
    call: causal,
  },
  {
    className: 'GroupQueryAttention',
    variant: 'separate key, 1 key/value head',
    config: { headDim: 3, numQueryHeads: 2, numKeyValueHeads: 1 },
    inputs: [f(2, 2, 3), f(2, 4, 2), f(2, 4, 3)],
  },
  // recurrent
  {
    className: 'SimpleRNN',
    variant: 'returnSequences',
    config: { units: 3, returnSequences: true },
    inputs: [f(2, 4, 2)],
  },
  { className: 'LSTM', variant: 'returnState', config: { units: 3, returnState: true }, inputs: [f(2, 4, 2)] },
  {
    className: 'GRU',
    variant: 'resetAfter (default), goBackwards',
    config: { units: 3, goBackwards: true },
    inputs: [f(2, 4, 2)],
  },
  {
    className: 'GRU',
    variant: 'resetAfter false',
    config: { units: 2, resetAfter: false, returnSequences: true },
    inputs: [f(2, 3, 3)],
  },
  {
    className: 'SimpleRNN',
    variant: 'relu, returnState',
    config: { units: 3, activation: 'relu', returnState: true },
    inputs: [f(2, 4, 2)],
  },
  // Hard-sigmoid gates (TF.js' LSTM and GRU default) also run as one fused op.
  {
    className: 'LSTM',
    variant: 'hard_sigmoid_legacy gates, returnSequences',
    config: { units: 3, recurrentActivation: 'hard_sigmoid_legacy', returnSequences: true },
    inputs: [f(2, 4, 2)],
  },
  {
    className: 'GRU',
    variant: 'resetAfter false, hard_sigmoid_legacy gates',
    config: { units: 2, resetAfter: false, recurrentActivation: 'hard_sigmoid_legacy' },
    inputs: [f(2, 3, 3)],
  },
  {
    className: 'ConvLSTM2D',
    variant: "'same', returnSequences, goBackwards",
    config: { filters: 2, kernelSize: 2, padding: 'same', returnSequences: true, goBackwards: true },
    inputs: [f(1, 2, 3, 4, 2)],
  },
  {
    className: 'ConvLSTM1D',
    variant: 'strides 2, returnState',
    config: { filters: 2, kernelSize: 2, strides: 2, returnState: true },
    inputs: [f(2, 2, 5, 3)],
  },
  {
    className: 'ConvLSTM3D',
    variant: "'same'",
    config: { filters: 2, kernelSize: 2, padding: 'same' },
    inputs: [f(1, 2, 2, 3, 2, 1)],
  },
  {
    className: 'Bidirectional',
    variant: 'LSTM, concat',
    config: { layer: saved('LSTM', { units: 2, returnSequences: true }) },
    inputs: [f(2, 3, 2)],
  },
  { className: 'SimpleRNNCell', variant: 'one step', config: { units: 3 }, inputs: [f(2, 2), f(2, 3)], call: step },
  { className: 'LSTMCell', variant: 'one step', config: { units: 3 }, inputs: [f(2, 2), f(2, 3), f(2, 3)], call: step },
  {
    className: 'GRUCell',
    variant: 'one step, resetAfter false',
    config: { units: 2, resetAfter: false },
    inputs: [f(2, 3), f(2, 2)],
    call: step,
  },
  {
    className: 'StackedRNNCells',
    variant: 'SimpleRNNCell then LSTMCell, one step',
    config: { cells: [saved('SimpleRNNCell', { units: 3 }), saved('LSTMCell', { units: 2 })] },
    inputs: [f(2, 2), f(2, 3), f(2, 2), f(2, 2)],
    call: step,
  },
  {
    className: 'RNN',
    variant: 'GRUCell, returnSequences',
    config: { cell: saved('GRUCell', { units: 3 }), returnSequences: true },
    inputs: [f(2, 4, 2)],
  },
  {
    className: 'RNN',
    variant: 'stacked cells, returnState',
    config: {
      cell: saved('StackedRNNCells', {
        cells: [saved('LSTMCell', { units: 2 }), saved('SimpleRNNCell', { units: 3 })],
      }),
      returnState: true,
    },
    inputs: [f(2, 3, 2)],
  },
  {
    className: 'TimeDistributed',
    variant: 'Dense',
    config: { layer: saved('Dense', { units: 2 }) },
    inputs: [f(2, 3, 4)],
  },
  // models used as layers
  {
    className: 'Sequential',
    variant: 'Dense, BatchNormalization, Dense',
    config: {
      layers: [
        saved('Dense', { units: 3, activation: 'relu' }),
        saved('BatchNormalization', {}),
        saved('Dense', { units: 2 }),
      ],
    },
    inputs: [f(4, 3)],
  },
  { className: 'Functional', variant: 'two branches concatenated', make: twoBranches, inputs: [f(2, 3)] },
  // reshaping
  { className: 'Permute', config: { dims: [2, 1] }, inputs: [f(2, 3, 4)] },
  { className: 'RepeatVector', config: { n: 3 }, inputs: [f(2, 4)] },
  { className: 'UpSampling1D', config: { size: 2 }, inputs: [f(2, 3, 2)] },
  {
    className: 'UpSampling2D',
    variant: 'bilinear',
    config: { size: [2, 3], interpolation: 'bilinear' },
    inputs: [f(1, 3, 2, 2)],
  },
  { className: 'UpSampling2D', variant: 'nearest', config: { size: 2 }, inputs: [f(1, 2, 3, 2)] },
  { className: 'ZeroPadding1D', config: { padding: [1, 2] }, inputs: [f(2, 3, 2)] },
  {
    className: 'ZeroPadding2D',
    config: {
      padding: [
        [1, 0],
        [0, 2],
      ],
    },
    inputs: [f(2, 2, 3, 2)],
  },
  { className: 'Cropping1D', config: { cropping: [1, 2] }, inputs: [f(2, 6, 2)] },
  {
    className: 'Cropping2D',
    config: {
      cropping: [
        [1, 0],
        [1, 1],
      ],
    },
    inputs: [f(2, 4, 5, 2)],
  },
  { className: 'Resizing', variant: 'bilinear', config: { height: 5, width: 3 }, inputs: [f(1, 3, 4, 2)] },
  {
    className: 'Resizing',
    variant: 'nearest, cropToAspectRatio',
    config: { height: 2, width: 4, interpolation: 'nearest', cropToAspectRatio: true },
    inputs: [f(1, 4, 5, 2)],
  },
  { className: 'CenterCrop', config: { height: 2, width: 3 }, inputs: [f(2, 4, 4, 2)] },
  // activations
  {
    className: 'ReLU',
    variant: 'maxValue, negativeSlope, threshold',
    config: { maxValue: 0.6, negativeSlope: 0.1, threshold: 0.2 },
    inputs: [f(3, 5)],
  },
  { className: 'LeakyReLU', config: { negativeSlope: 0.2 }, inputs: [f(3, 5)] },
  { className: 'PReLU', variant: 'shared over axis 1', config: { sharedAxes: [1] }, inputs: [f(2, 3, 4)] },
  { className: 'ELU', config: { alpha: 0.7 }, inputs: [f(3, 5)] },
  { className: 'Softmax', variant: 'axis 1', config: { axis: 1 }, inputs: [f(2, 4, 3)] },
  { className: 'ThresholdedReLU', config: { theta: 0.3 }, inputs: [f(3, 5)] },
  // noise
  { className: 'GaussianNoise', config: { stddev: 0.3, seed: 5 }, inputs: [f(2, 6)] },
  { className: 'GaussianDropout', config: { rate: 0.3, seed: 6 }, inputs: [f(2, 6)] },
  { className: 'AlphaDropout', config: { rate: 0.3, seed: 7 }, inputs: [f(2, 6)] },
  { className: 'SpatialDropout1D', config: { rate: 0.5, seed: 8 }, inputs: [f(2, 3, 4)] },
  { className: 'SpatialDropout2D', config: { rate: 0.5, seed: 9 }, inputs: [f(2, 2, 2, 4)] },
  { className: 'SpatialDropout3D', config: { rate: 0.5, seed: 10 }, inputs: [f(2, 2, 1, 2, 4)] },
  // image augmentation (training only; the host draws from the seeded counter-based generator, the same numbers for both backends)
  {
    className: 'RandomFlip',
    variant: 'horizontal_and_vertical',
    config: { mode: 'horizontal_and_vertical', seed: 11 },
    inputs: [f(3, 3, 4, 2)],
  },
  { className: 'RandomCrop', config: { height: 3, width: 2, seed: 12 }, inputs: [f(2, 5, 4, 2)] },
  {
    className: 'RandomTranslation',
    variant: "'reflect'",
    config: { heightFactor: 0.3, widthFactor: 0.4, seed: 13 },
    inputs: [f(2, 5, 6, 2)],
  },
  {
    className: 'RandomRotation',
    variant: "'constant' fill, nearest",
    config: { factor: 0.2, fillMode: 'constant', interpolation: 'nearest', seed: 14 },
    inputs: [f(2, 5, 5, 2)],
  },
  {
    className: 'RandomZoom',
    config: { heightFactor: 0.3, widthFactor: [-0.2, 0.1], seed: 15 },
    inputs: [f(2, 6, 5, 2)],
  },
  { className: 'RandomContrast', config: { factor: 0.4, seed: 16 }, inputs: [image(2, 3, 4, 2)] },
  { className: 'RandomBrightness', config: { factor: 0.2, seed: 17 }, inputs: [image(2, 3, 4, 2)] },
  { className: 'RandomWidth', config: { factor: 0.4, seed: 18 }, inputs: [f(2, 3, 4, 2)] },
  {
    className: 'RandomHeight',
    variant: 'nearest',
    config: { factor: 0.4, interpolation: 'nearest', seed: 19 },
    inputs: [f(2, 4, 3, 2)],
  },
  // volumes
  {
    className: 'Conv3D',
    variant: "'same', stride 2",
    config: { filters: 2, kernelSize: 2, strides: 2, padding: 'same' },
    inputs: [f(1, 3, 4, 3, 2)],
  },
  { className: 'MaxPooling3D', config: { poolSize: 2 }, inputs: [f(1, 4, 4, 3, 2)] },
  {
    className: 'AveragePooling3D',
    variant: "'same'",
    config: { poolSize: 2, padding: 'same' },
    inputs: [f(1, 3, 4, 3, 2)],
  },
  { className: 'GlobalAveragePooling3D', inputs: [f(2, 2, 3, 2, 2)] },
  {
    className: 'Conv3DTranspose',
    variant: "'same', strides [2, 1, 2]",
    config: { filters: 2, kernelSize: [2, 3, 2], strides: [2, 1, 2], padding: 'same' },
    inputs: [f(1, 2, 3, 2, 2)],
  },
  { className: 'GlobalMaxPooling3D', inputs: [f(2, 2, 3, 2, 2)] },
  { className: 'UpSampling3D', config: { size: [2, 1, 2] }, inputs: [f(1, 2, 2, 3, 2)] },
  { className: 'ZeroPadding3D', config: { padding: [1, 0, 2] }, inputs: [f(1, 2, 2, 2, 2)] },
  {
    className: 'Cropping3D',
    config: {
      cropping: [
        [1, 0],
        [0, 1],
        [1, 1],
      ],
    },
    inputs: [f(1, 3, 3, 4, 2)],
  },
  // preprocessing
  { className: 'Rescaling', config: { scale: 1 / 127.5, offset: -1 }, inputs: [{ shape: [2, 4], lo: 0, hi: 255 }] },
  {
    className: 'MelSpectrogram',
    variant: 'decibels',
    config: { fftLength: 16, sequenceStride: 4, samplingRate: 2000, numMelBins: 4 },
    inputs: [f(2, 24)],
  },
  {
    className: 'MelSpectrogram',
    variant: "magnitude, 'hamming', sequenceLength 12",
    config: {
      fftLength: 16,
      sequenceLength: 12,
      sequenceStride: 6,
      window: 'hamming',
      numMelBins: 3,
      powerToDb: false,
      magExp: 1,
    },
    inputs: [f(30)],
  },
  {
    className: 'CategoryEncoding',
    variant: 'count',
    config: { numTokens: 5, outputMode: 'count' },
    inputs: [ints(0, 5, 2, 4)],
    noGrad: 'integer input, no weights',
  },
  {
    className: 'CategoryEncoding',
    variant: 'one_hot',
    config: { numTokens: 4, outputMode: 'one_hot' },
    inputs: [ints(0, 4, 3)],
    noGrad: 'integer input, no weights',
  },
  {
    className: 'Discretization',
    variant: "'int'",
    config: { binBoundaries: [-0.5, 0, 0.3] },
    inputs: [f(2, 5)],
    noGrad: 'integer output',
  },
  {
    className: 'Discretization',
    variant: "'count'",
    config: { binBoundaries: [-0.5, 0, 0.3], outputMode: 'count' },
    inputs: [f(2, 5)],
    noGrad: 'piecewise constant',
  },
  // IntegerLookup and Hashing look values up on the host: they read a tensor input synchronously,
  // which WebGPU cannot (a BackendError), so these cases give lists; the output tensor and its
  // encoding are made on the backend under test.
  {
    className: 'IntegerLookup',
    variant: "'int', OOV values",
    config: { vocabulary: [12, 5, 7, 9] },
    inputs: [],
    call: hostInput([
      [5, 3, 12, 9],
      [7, 7, 0, 13],
    ]),
    noGrad: 'integer input and output',
  },
  {
    className: 'IntegerLookup',
    variant: "'multi_hot'",
    config: { vocabulary: [4, 6, 8], outputMode: 'multi_hot' },
    inputs: [],
    call: hostInput([
      [4, 5, 8],
      [6, 6, 3],
    ]),
    noGrad: 'integer input',
  },
  {
    className: 'Hashing',
    variant: 'Fingerprint64',
    config: { numBins: 5 },
    inputs: [],
    call: hostInput([
      [17, 4, 99],
      [0, 56, 23],
    ]),
    noGrad: 'integer input and output',
  },
  {
    className: 'Hashing',
    variant: "SipHash salt, 'one_hot'",
    config: { numBins: 4, salt: [7, 9], outputMode: 'one_hot' },
    inputs: [],
    call: hostInput([3, 41, 8, 77, 12]),
    noGrad: 'integer input',
  },
  {
    className: 'HashedCrossing',
    variant: "strings × integers, 'one_hot'",
    config: { numBins: 4, outputMode: 'one_hot' },
    inputs: [],
    call: hostInput([
      ['A', 'B', 'A'],
      [101, 101, 102],
    ]),
    noGrad: 'string and integer input',
  },
  // merge
  { className: 'Add', variant: '3 inputs', inputs: [f(2, 3), f(2, 3), f(2, 3)], call: asList },
  { className: 'Subtract', inputs: [f(2, 3), f(2, 3)], call: asList },
  { className: 'Multiply', inputs: [f(2, 3), f(2, 3)], call: asList },
  { className: 'Average', inputs: [f(2, 3), f(2, 3)], call: asList },
  { className: 'Maximum', inputs: [f(2, 3), f(2, 3)], call: asList },
  { className: 'Minimum', inputs: [f(2, 3), f(2, 3)], call: asList },
  { className: 'Concatenate', variant: 'axis 1', config: { axis: 1 }, inputs: [f(2, 2, 3), f(2, 1, 3)], call: asList },
  {
    className: 'Dot',
    variant: 'axes [2, 2], normalize',
    config: { axes: [2, 2], normalize: true },
    inputs: [f(2, 3, 4), f(2, 2, 4)],
    call: asList,
  },
];

/**
 * Registered classes with no case, and why: layers whose work is on the host,
 * so the backends have nothing of theirs to compare.
 */
export const EXCLUDED = new Map<string, string>([
  ['TextVectorization', 'splits and looks up strings in JavaScript; its output tensor is written from host arrays'],
  ['StringLookup', 'a string-to-index table in JavaScript; its output tensor is written from host arrays'],
]);
