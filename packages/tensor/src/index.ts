/**
 * @tsdl/tensor: n-d tensors, dtypes, broadcasting, the ops, memory management and
 * backend selection. Writing a backend or an op of your own: `@tsdl/tensor/backend`.
 * What other tsdl packages share with this one: `@tsdl/tensor/internal` (not for users,
 * not semver-stable). test/entries.test.ts lists each entry's names.
 */
export { Tensor, type TensorLike, type GradNode } from './tensor';
export * from './ops/public';
export type { CreateOptions, RandomOptions } from './ops/creation';
export { tidy, keep, dispose, memory, type MemoryInfo } from './memory';
export { seed, randomPermutation } from './random';
export {
  registerBackend,
  setBackend,
  getBackend,
  activeBackend,
  listBackends,
  findBackend,
  removeBackend,
} from './registry';
export { isGradEnabled } from './engine';
// The type setBackend takes; the rest of the contract is in ./backend-api.
export type { Backend } from './backend';
export { type DType, type TypedArray, DTYPES, promoteTypes, isDType } from './dtype';
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
} from './errors';
export type { Shape } from './shape';
