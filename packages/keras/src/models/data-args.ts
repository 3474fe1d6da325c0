import { ArgumentError, type Backend, DisposedError, Tensor, TsdlError, tensor } from '@tsdl/tensor';
import { describeValue } from './options';
import type { StringSamples } from '../layers/string-input';

/** Nested JS arrays of numbers (or booleans), as Keras takes Python lists. */
export type NestedNumbers = number | boolean | NestedNumbers[];

/**
 * What fit, evaluate and predict take as data (x, y, validationData): a
 * tensor, nested arrays (`[[1, 2], [3, 4]]`) or a TypedArray, as Keras takes
 * NumPy arrays and lists. Arrays become tensors as `tensor()` makes them
 * (numbers float32, an Int32Array int32), for the duration of the call.
 * Strings (one per sample, or a list per sample) are inputs of a model whose
 * first layer reads them (TextVectorization, StringLookup).
 */
export type DataArray = Tensor | NestedNumbers[] | ArrayBufferView | StringSamples;

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
  throw new ArgumentError(
    `${who}: ${what} must be a Tensor, nested arrays of numbers or a TypedArray, got ${describeValue(value)}`,
  );
}

/**
 * fit's training and validation parts of its data (inputs, targets, sample weights: one
 * list, every tensor with the same samples) for `validationSplit`: as Keras, the last
 * samples are held out and both parts must be non-empty. The views are pushed on
 * `created`; a split of 0 gives the data itself and no validation.
 */
export function splitValidation(
  who: string,
  data: readonly Tensor[],
  split: number,
  created: Tensor[],
): { train: Tensor[]; val: Tensor[] | null } {
  if (split === 0) return { train: [...data], val: null };
  const n = data[0].shape[0];
  const nTrain = Math.floor(n * (1 - split));
  if (nTrain === 0 || nTrain === n) {
    throw new ArgumentError(
      `${who}: validationSplit ${split} of ${n} samples leaves ${nTrain === 0 ? 'no training' : 'no validation'} samples`,
    );
  }
  const train: Tensor[] = [];
  const val: Tensor[] = [];
  for (const t of data) {
    train.push(t.slice([0], [nTrain]));
    created.push(train[train.length - 1]);
    val.push(t.slice([nTrain]));
    created.push(val[val.length - 1]);
  }
  return { train, val };
}
