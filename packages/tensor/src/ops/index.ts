export * from './creation';
export * from './elementwise';
export * from './reduce';
export * from './linalg';
export * from './shape';
export * from './nn';
export * from './softmax-ce';
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
export { toNested, type NestedArray } from './nested';
export { checkIndexRange, type IndexCheck, type IndexRangeOptions } from './index-range';
export {
  detach,
  toBackend,
  toBackendAsync,
  isContiguousTensor,
  copyContiguous,
  runElementwise,
  broadcastView,
} from './internal';
export { runElementwiseGroups, type TensorGroup } from './elementwise-groups';
export { conv2dTranspose, type Conv2dTransposeOptions } from './conv-transpose';
export { depthwiseConv2d, type DepthwiseConv2dOptions } from './depthwise-conv';
export { resizeNearest, resizeBilinear, type ResizeOptions } from './resize';
