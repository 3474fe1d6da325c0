// The ops users call, as the main entry exports them. ops/index.ts adds the helpers other tsdl
// packages need (gradient kernels, unchecked variants, index checks), which go to ./internal.
export * from './creation';
export * from './elementwise';
export * from './reduce';
export * from './linalg';
export {
  reshape,
  flatten,
  squeeze,
  unsqueeze,
  transpose,
  broadcastTo,
  slice,
  concat,
  stack,
  split,
  pad,
  tile,
  gather,
  scatterAdd,
  oneHot,
} from './shape';
export {
  softmax,
  logSoftmax,
  conv2d,
  maxPool2d,
  avgPool2d,
  dropout,
  type Padding2d,
  type DataFormat,
  type Conv2dOptions,
  type Pool2dOptions,
  type AvgPool2dOptions,
  type DropoutOptions,
} from './nn';
export { softmaxCrossEntropy } from './softmax-ce';
export { layerNorm } from './layer-norm';
export { cumsum, cumprod, type CumulativeOptions } from './cumulative';
export { flip } from './flip';
export { unstack } from './unstack';
export { tril, triu } from './triangular';
export { topk, type TopkOptions, type TopkResult } from './topk';
export { multinomial, categorical, type MultinomialOptions, type CategoricalOptions } from './sampling';
export { sequenceMask } from './sequence-mask';
export {
  scaledDotProductAttention,
  attentionWeights,
  type ScaledDotProductAttentionOptions,
  type AttentionWeightsOptions,
} from './attention';
export type { NestedArray } from './nested';
export { conv2dTranspose, type Conv2dTransposeOptions } from './conv-transpose';
export { depthwiseConv2d, type DepthwiseConv2dOptions } from './depthwise-conv';
export { resizeNearest, resizeBilinear, type ResizeOptions } from './resize';
