// Every op and op helper, for tensor's own modules (tensor.ts's methods). The main entry exports
// only ./public; the rest reaches other tsdl packages through src/internal.ts.
export * from './public';
export { oneHotUnchecked } from './shape';
export { applyDropout, conv2dGradInput, conv2dGradFilter, pool2dGrad } from './nn';
export { softmaxCrossEntropyGrad, softmaxCrossEntropyGradComposed } from './softmax-ce';
export { layerNormGrad } from './layer-norm';
export { layerNormGradComposed } from '../lowerings/index';
export { toNested } from './nested';
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
