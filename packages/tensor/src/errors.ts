/**
 * The tsdl error family. Every error names the op, what it got and what it
 * expected, in the user's terms. Catch `TsdlError` for all of them, or a
 * subclass for one kind.
 */
export class TsdlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that cannot be combined: broadcasting, matmul, reshape, concat … */
export class ShapeError extends TsdlError {}

/** An axis outside a tensor's rank, or repeated. */
export class AxisError extends TsdlError {}

/** A dtype an op or a backend does not support. */
export class DTypeError extends TsdlError {}

/** A bad argument value that is neither a shape, an axis nor a dtype. */
export class ArgumentError extends TsdlError {}

/** A tensor used after dispose(). */
export class DisposedError extends TsdlError {}

/** No backend, an unknown backend, tensors on different backends, a lost device. */
export class BackendError extends TsdlError {}

/** Gradient problems: no rule for an op, backward on a non-scalar without a seed, a freed graph. */
export class GradientError extends TsdlError {}

/** A malformed data file (wrong magic number, truncated payload, counts that disagree). */
export class DataFormatError extends TsdlError {}

/** Formats a shape the way error messages print it: [2,3]. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
