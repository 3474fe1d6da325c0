import { ArgumentError, type Backend, DisposedError, Tensor, TsdlError, tensor } from '@tsdl/tensor';
import { describeValue } from './options';

/** Nested JS arrays of numbers (or booleans), as Keras takes Python lists. */
export type NestedNumbers = number | boolean | NestedNumbers[];

/**
 * What fit, evaluate and predict take as data (x, y, validationData): a
 * tensor, nested arrays (`[[1, 2], [3, 4]]`) or a TypedArray, as Keras takes
 * NumPy arrays and lists. Arrays become tensors as `tensor()` makes them
 * (numbers float32, an Int32Array int32), for the duration of the call.
 */
export type TensorLike = Tensor | NestedNumbers[] | ArrayBufferView;

/**
 * The tensor for data argument `what` of `who`: the tensor itself, or one
 * made on `backend` from arrays and pushed on `created`, which the caller
 * disposes when the call ends (with an error too). Anything else is an
 * ArgumentError naming the argument; a ragged array keeps tensor()'s error
 * class with the argument named.
 */
export function dataArg(value: unknown, who: string, what: string, backend: Backend, created: Tensor[]): Tensor {
  if (value instanceof Tensor) {
    if (value.isDisposed) throw new DisposedError(`${who}: ${what} (shape [${value.shape.join(',')}]) was disposed`);
    return value;
  }
  if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    let t: Tensor;
    try {
      t = tensor(value as NestedNumbers[], undefined, undefined, { backend });
    } catch (e) {
      if (!(e instanceof TsdlError)) throw e;
      const Kind = e.constructor as new (message: string) => TsdlError;
      throw new Kind(`${who}: ${what}: ${e.message.replace(/^tensor: /, '')}`);
    }
    created.push(t);
    return t;
  }
  throw new ArgumentError(`${who}: ${what} must be a Tensor, nested arrays of numbers or a TypedArray, got ${describeValue(value)}`);
}
