import { ArgumentError } from '@tsdl/tensor';
import { quote } from '../names';

/**
 * Checks of layer constructor options, each an ArgumentError naming the layer
 * (`Dense`, `Conv2D` …), the option and the value it got. Checked when the
 * layer is made, so a bad option fails there (or at load, naming the config),
 * not as a RangeError or a NaN in the first forward pass. undefined and null
 * (JSON's missing value) mean "not given" for optional options.
 */

function fail(layer: string, option: string, expected: string, got: unknown): never {
  throw new ArgumentError(`${layer}: ${option} must be ${expected}, got ${quote(got)}`);
}

/** A size (units, filters, inputDim …): an integer > 0 that a parameter count can be computed from exactly. */
export function positiveInt(layer: string, option: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) fail(layer, option, 'a positive integer', v);
  return v;
}

export function optionalBool(layer: string, option: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') fail(layer, option, 'a boolean', v);
  return v;
}

export function optionalSeed(layer: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(layer, 'seed', 'an integer', v);
  return v;
}

export function padding(layer: string, v: unknown): 'valid' | 'same' {
  if (v === undefined || v === null) return 'valid';
  if (v !== 'valid' && v !== 'same') fail(layer, 'padding', "'valid' or 'same'", v);
  return v;
}

/** A shape of one sample (no batch dimension): a list of positive integers. */
export function sampleShape(layer: string, option: string, v: unknown): number[] {
  if (!Array.isArray(v) || !v.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d > 0)) {
    fail(layer, option, 'a list of positive integers (without the batch dimension)', v);
  }
  return [...v];
}

/** A finite number in [lo, hi] (or [lo, hi) with `openHigh`). */
export function numberIn(layer: string, option: string, v: unknown, lo: number, hi: number, openHigh = false): number {
  if (typeof v !== 'number' || !(v >= lo && (openHigh ? v < hi : v <= hi))) {
    fail(layer, option, `in [${lo}, ${hi}${openHigh ? ')' : ']'}`, v);
  }
  return v;
}

export function finiteNonNegative(layer: string, option: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(layer, option, 'a finite number >= 0', v);
  return v;
}

/** Throws an ArgumentError naming the layer when a weight of `shape` has more elements than can be counted exactly (2^53 − 1). */
export function checkWeightSize(layer: string, weight: string, shape: readonly number[]): void {
  const n = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(n)) {
    throw new ArgumentError(
      `${layer}: weight '${weight}' of shape [${shape.join(',')}] would have ${n.toExponential(3)} elements, more than 2^53 − 1; use smaller sizes`,
    );
  }
}
