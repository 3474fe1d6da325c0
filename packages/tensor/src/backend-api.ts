/**
 * @tsdl/tensor/backend: for code that extends tsdl. A backend implements the contract here
 * (`CoreBackend`, optionally `Accelerations`; docs/guides/add-a-backend.md) with the helpers
 * it needs; an op of your own is a `dispatch` with an `Expr` run by `runElementwise`
 * (docs/guides/add-an-op.md). As stable as the main entry.
 */
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
export { ACCELERATIONS, isColumnLayout, reduceIdentity } from './backend';
export { lowerings } from './lowerings/index';
export {
  type Expr,
  type UnaryOp,
  type BinaryOp,
  E,
  UNARY_OPS,
  BINARY_OPS,
  UNARY_REF,
  BINARY_REF,
  exprKey,
  evalExpr,
  scalarValue,
  roundHalfEven,
  erf as erfScalar,
} from './expr';
// The counter-based generator a backend's `random` reproduces element for element.
export { mix32, randomBits, randomUniform, randomNormal } from './random';
export { BYTES_PER_ELEMENT, makeTypedArray } from './dtype';
export { sizeOf, contiguousStrides, isContiguous } from './shape';
// Ops of your own: one recorded dispatch, its kernel one elementwise expression.
export { dispatch } from './engine';
export { runElementwise } from './ops/internal';
export type {
  OpAttrs,
  OpName,
  PlainOpName,
  ExtensionOpName,
  ReduceAttrs,
  ConvGradOptions,
  LayerNormAttrs,
} from './op-names';
