import { ArgumentError } from '@tsdl/tensor';
import { camelCaseKeys } from '../config-keys';
import { initializerName } from '../initializers';
import { quote } from '../names';

/**
 * Option parsing shared by the convolution-family layers added for Keras parity
 * (transposed, depthwise, separable convolutions, resizing). Each check throws an
 * ArgumentError naming the layer and the option, when the layer is made.
 */

/** The options object of a layer constructor (snake_case keys camelCased), or an ArgumentError naming the layer. */
export function convOptions<T>(layer: string, config: T, expected: string): T {
  const args = camelCaseKeys(config, layer);
  if (args === null || typeof args !== 'object' || Array.isArray(args))
    throw new ArgumentError(`${layer}: expected ${expected}, got ${quote(args)}`);
  return args;
}

/** An initializer option: the name as given (default `dflt`), checked now so an unknown name fails here, as in Keras, not at build. */
export function initializerOption(layer: string, option: string, v: unknown, dflt: string): string {
  const name = v === undefined || v === null ? dflt : v;
  initializerName(name, layer, option);
  return name as string;
}

/**
 * Keras' `output_padding` of a transposed convolution: null (the default: Keras infers
 * the length) or an integer >= 0 per spatial axis, each smaller than that axis' stride.
 */
export function outputPaddingOf(layer: string, v: unknown, strides: readonly number[]): number[] | null {
  if (v === undefined || v === null) return null;
  const n = strides.length;
  const ok = (d: unknown): d is number => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0;
  let p: number[] | null = null;
  if (ok(v)) p = new Array<number>(n).fill(v);
  else if (Array.isArray(v) && v.length === n && v.every(ok)) p = [...v];
  if (p === null) {
    throw new ArgumentError(
      `${layer}: outputPadding must be null, an integer >= 0 or a list of ${n} of them, got ${quote(v)}`,
    );
  }
  if (p.some((d, i) => d >= strides[i])) {
    throw new ArgumentError(
      `${layer}: outputPadding [${p.join(', ')}] must be smaller than strides [${strides.join(', ')}] on every axis`,
    );
  }
  return p;
}
