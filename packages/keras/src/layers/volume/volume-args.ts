import { ArgumentError, type Tensor, transpose } from '@tsdl/tensor';
import { quote } from '../../names';
import type { KerasDataFormat } from '../layer-config';
import type { PartialShape } from '../layer';

/** Option parsing and layout moves shared by the 3-D layers (volumes [batch, d1, d2, d3, channels]). */

export type IntTriple = number | [number, number, number];

/** A size per spatial axis: one positive integer for all three, or three. */
export function tripleOf(layer: string, name: string, v: unknown, dflt: number): [number, number, number] {
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
  if (v === undefined || v === null) return [dflt, dflt, dflt];
  if (ok(v)) return [v, v, v];
  if (Array.isArray(v) && v.length === 3 && v.every(ok)) return [v[0], v[1], v[2]];
  throw new ArgumentError(`${layer}: ${name} must be a positive integer or a list of three, got ${quote(v)}`);
}

/**
 * Keras' 3-D padding or cropping forms: n (every side), [a, b, c] (symmetric per axis) or
 * [[a1, a2], [b1, b2], [c1, c2]]; integers >= 0.
 */
export function sidePairs3d(
  layer: string,
  option: string,
  v: unknown,
): [[number, number], [number, number], [number, number]] {
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (ok(v))
    return [
      [v, v],
      [v, v],
      [v, v],
    ];
  if (Array.isArray(v) && v.length === 3) {
    if (v.every(ok)) return v.map((n: number) => [n, n]) as [[number, number], [number, number], [number, number]];
    if (v.every((p) => Array.isArray(p) && p.length === 2 && p.every(ok)))
      return v.map((p: number[]) => [p[0], p[1]]) as [[number, number], [number, number], [number, number]];
  }
  throw new ArgumentError(
    `${layer}: ${option} must be an integer >= 0, a list of three, or a list of three pairs [[before, after], ...], got ${quote(v)}`,
  );
}

/** [batch, d1, d2, d3, channels] from the layer's data format. */
export function toChannelsLast(x: Tensor, format: KerasDataFormat): Tensor {
  return format === 'channels_last' ? x : transpose(x, [0, 2, 3, 4, 1]);
}

export function fromChannelsLast(x: Tensor, format: KerasDataFormat): Tensor {
  return format === 'channels_last' ? x : transpose(x, [0, 4, 1, 2, 3]);
}

/** A shape in the layer's format as channels-last, and back. */
export function shapeToLast(s: PartialShape, format: KerasDataFormat): PartialShape {
  return format === 'channels_last' ? s : [s[0], s[2], s[3], s[4], s[1]];
}

export function shapeFromLast(s: PartialShape, format: KerasDataFormat): PartialShape {
  return format === 'channels_last' ? s : [s[0], s[4], s[1], s[2], s[3]];
}

export function volumeWhat(format: KerasDataFormat): string {
  return format === 'channels_last'
    ? 'volumes [batch, dim1, dim2, dim3, channels]'
    : 'volumes [batch, channels, dim1, dim2, dim3]';
}

/** The output length of a window along one axis under 'valid' or 'same' (TensorFlow's), null for unknown. */
export function windowLength(
  size: number | null,
  k: number,
  stride: number,
  padding: 'valid' | 'same',
  dilation = 1,
): number | null {
  if (size === null) return null;
  if (padding === 'same') return Math.ceil(size / stride);
  return Math.floor((size - (k - 1) * dilation - 1) / stride) + 1;
}

/** TensorFlow's 'same' padding of one axis: [before, after], the odd cell after. */
export function samePads(size: number, k: number, stride: number, dilation = 1): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}
