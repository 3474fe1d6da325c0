/**
 * @tsdl/tensor/internal: what the other tsdl packages share with tensor's engine (the autograd
 * hook, raw tensor construction, gradient kernels, unchecked fast paths, index checks, error
 * formatting). Not for users and not semver-stable: any release may change it.
 */
export {
  wrap,
  view,
  backendOf,
  setGradEnabled,
  setAutogradHooks,
  autogradHooks,
  liveTensorCount,
  type AutogradHooks,
} from './engine';
export { Storage } from './storage';
export { activeTrace, type HostStep, liveValues } from './capture/active';
export { CapturedStep, type CaptureStats, type StepResult } from './capture/captured-step';
export { nextKey } from './random';
export { arithmeticType, scalarType } from './dtype';
export { fmtShape } from './errors';
export { broadcastShapes, normalizeAxis, normalizeAxes, shapesEqual } from './shape';
export {
  oneHotUnchecked,
  applyDropout,
  conv2dGradInput,
  conv2dGradFilter,
  pool2dGrad,
  softmaxCrossEntropyGrad,
  softmaxCrossEntropyGradComposed,
  layerNormGrad,
  layerNormGradComposed,
  toNested,
  checkIndexRange,
  type IndexCheck,
  type IndexRangeOptions,
  detach,
  toBackend,
  toBackendAsync,
  isContiguousTensor,
  copyContiguous,
  broadcastView,
  runElementwiseGroups,
  type TensorGroup,
} from './ops/index';
export { expNegSquare, normalCdfExpr } from './ops/normal-cdf-expr';
