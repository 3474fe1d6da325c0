import { ArgumentError, type Backend, type Tensor } from '@tsdl/tensor';
import type { Layer } from '../layers/layer';
import { isStringSamples, readsStrings } from '../layers/string-input';

/**
 * String samples given to fit / evaluate / predict as `what` of `who`, encoded by the
 * model's first layer (TextVectorization, StringLookup) into the tensor that layer's forward
 * takes, on `backend`, pushed on `created` for the caller to dispose; null when `value` is
 * not strings. From then on they are batched, shuffled and split like any input tensor, so
 * the strings are tokenized once per call, not once per epoch. Strings for a model that
 * starts with another layer are an ArgumentError saying what to do instead.
 */
export function stringSamplesArg(
  first: Layer | undefined,
  value: unknown,
  who: string,
  what: string,
  backend: Backend,
  created: Tensor[],
): Tensor | null {
  if (!isStringSamples(value)) return null;
  if (!readsStrings(first) || !first.readsStrings) {
    const name = first ? `${first.name} (${first.className})` : 'none';
    throw new ArgumentError(
      `${who}: ${what} holds strings, but the model's first layer (${name}) does not take strings; ` +
        'start the model with a TextVectorization or StringLookup layer, or turn the strings into numbers first',
    );
  }
  const t = first.encodeStrings(value, backend);
  created.push(t);
  return t;
}
