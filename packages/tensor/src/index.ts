/**
 * @tsdl/tensor: n-d tensors, dtypes, broadcasting, the ops, memory
 * management, and the backend contract with its registry.
 */
export { Tensor, type TensorLike, type GradNode } from './tensor';
export * from './ops/index';
export type { CreateOptions, RandomOptions } from './ops/creation';
export { tidy, keep, dispose, memory, type MemoryInfo } from './memory';
export { seed, nextKey, mix32, randomBits, randomUniform, randomNormal, randomPermutation } from './random';
export {
  registerBackend,
  setBackend,
  getBackend,
  activeBackend,
  listBackends,
  findBackend,
  removeBackend,
} from './registry';
export {
  dispatch,
  wrap,
  view,
  backendOf,
  isGradEnabled,
  setGradEnabled,
  setAutogradHooks,
  autogradHooks,
  liveTensorCount,
  type AutogradHooks,
} from './engine';
export { isColumnLayout, reduceIdentity, ACCELERATIONS } from './backend';
export type { OpAttrs, OpName, PlainOpName, ExtensionOpName, ReduceAttrs, ConvGradOptions } from './op-names';
export { lowerings } from './lowerings/index';
export type {
  Backend,
  CoreBackend,
  Accelerations,
  AccelerationName,
  BackendMemory,
  DataId,
  View,
  ElementwiseSpec,
  ElementwiseGroupsSpec,
  ElementwiseGroup,
  ReduceOp,
  Conv2dParams,
  Pool2dParams,
} from './backend';
export {
  type DType,
  type TypedArray,
  DTYPES,
  BYTES_PER_ELEMENT,
  promoteTypes,
  arithmeticType,
  scalarType,
  makeTypedArray,
  isDType,
} from './dtype';
export {
  type Expr,
  type UnaryOp,
  type BinaryOp,
  E,
  UNARY_OPS,
  BINARY_OPS,
  exprKey,
  evalExpr,
  scalarValue,
  UNARY_REF,
  BINARY_REF,
  roundHalfEven,
  erf as erfScalar,
} from './expr';
export {
  TsdlError,
  ShapeError,
  AxisError,
  DTypeError,
  ArgumentError,
  DisposedError,
  BackendError,
  GradientError,
  DataFormatError,
  fmtShape,
} from './errors';
export { Storage } from './storage';
export {
  sizeOf,
  contiguousStrides,
  isContiguous,
  broadcastShapes,
  normalizeAxis,
  normalizeAxes,
  shapesEqual,
  type Shape,
} from './shape';
