import { ArgumentError } from '@tsdl/tensor';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';

/**
 * The options object of a layer constructor, snake_case keys camelCased (so a
 * config copied from Keras works), or an ArgumentError naming the layer.
 * `known` is checked only when `exact` (the class itself is being made, not a
 * subclass that adds options of its own).
 */
export function layerOptions<T extends object>(
  layer: string,
  config: T | undefined | null,
  expected: string,
  known: readonly string[],
  exact: boolean,
): T {
  const args = camelCaseKeys(config ?? ({} as T), layer);
  if (args === null || typeof args !== 'object' || Array.isArray(args))
    throw new ArgumentError(`${layer}: expected ${expected}, got ${quote(args)}`);
  if (exact) rejectUnknownOptions(layer, args, known);
  return args;
}

/** A finite number (any sign), or an ArgumentError naming the layer and option. */
export function finiteNumber(layer: string, option: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ArgumentError(`${layer}: ${option} must be a finite number, got ${quote(v)}`);
  return v;
}

/** A finite number >= 0 (Keras raises for a negative slope, threshold or theta). */
export function nonNegative(layer: string, option: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new ArgumentError(`${layer}: ${option} must be a finite number >= 0, got ${quote(v)}`);
  return v;
}

/** An integer, or an ArgumentError. */
export function integer(layer: string, option: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    throw new ArgumentError(`${layer}: ${option} must be an integer, got ${quote(v)}`);
  return v;
}

/** Keras' `data_format` values; tensor's `DataFormat` is the ops' 'NHWC' | 'NCHW'. */
export type KerasDataFormat = 'channels_last' | 'channels_first';

/** Keras' data_format (default 'channels_last', Keras' image_data_format default). */
export function dataFormat(layer: string, v: unknown): KerasDataFormat {
  if (v === undefined || v === null) return 'channels_last';
  if (v !== 'channels_last' && v !== 'channels_first')
    throw new ArgumentError(`${layer}: dataFormat must be 'channels_last' or 'channels_first', got ${quote(v)}`);
  return v;
}

/**
 * Keras' standardize_tuple(value, 2, allow_zero=True): an integer n >= 0 is
 * [n, n]; a list must hold exactly two integers >= 0.
 */
export function intPair(layer: string, option: string, v: unknown): [number, number] {
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  throw new ArgumentError(
    `${layer}: ${option} must be an integer >= 0 or a list of two integers >= 0, got ${quote(v)}`,
  );
}

/**
 * The 2-D padding or cropping forms Keras takes: n (every side), [h, w]
 * (symmetric per axis) or [[top, bottom], [left, right]].
 */
export function intPairs2d(layer: string, option: string, v: unknown): [[number, number], [number, number]] {
  if (typeof v === 'number') {
    const p = intPair(layer, option, v);
    return [p, [...p]];
  }
  if (Array.isArray(v) && v.length === 2)
    return [intPair(layer, `${option}[0]`, v[0]), intPair(layer, `${option}[1]`, v[1])];
  throw new ArgumentError(
    `${layer}: ${option} must be an integer, a list of two integers [symmetricHeight, symmetricWidth] or a list of two pairs [[top, bottom], [left, right]], got ${quote(v)}`,
  );
}

/** A number or a (nested, rectangular) list of finite numbers from a config, flattened with its shape ([] for a number). */
export interface NumericArray {
  values: number[];
  shape: number[];
}

export function numericArray(layer: string, option: string, v: unknown): NumericArray {
  const bad = (): never => {
    throw new ArgumentError(
      `${layer}: ${option} must be a finite number or a rectangular (nested) list of finite numbers, got ${quote(v)}`,
    );
  };
  const shape: number[] = [];
  for (let level: unknown = v; Array.isArray(level); level = level[0]) {
    if (level.length === 0) bad();
    shape.push(level.length);
  }
  const values: number[] = [];
  const walk = (x: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (typeof x !== 'number' || !Number.isFinite(x)) bad();
      values.push(x as number);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[depth]) bad();
    for (const e of x as unknown[]) walk(e, depth + 1);
  };
  walk(v, 0);
  return { values, shape };
}
