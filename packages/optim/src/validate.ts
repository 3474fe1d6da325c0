import { ArgumentError } from '@tsdl/tensor';

/**
 * Hyper-parameter checks shared by the optimizers and schedules. Each throws
 * an ArgumentError that names the owner (`Adam`, `StepLR` …), the option and
 * the value it got.
 */

function fmt(v: unknown): string {
  if (typeof v === 'number') return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function fail(owner: string, name: string, expected: string, got: unknown): never {
  throw new ArgumentError(`${owner}: ${name} must be ${expected}, got ${fmt(got)}`);
}

/** A finite number >= 0 (learning rates, weight decay, epsilons). */
export function nonNegative(owner: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(owner, name, 'a finite number >= 0', v);
  return v;
}

/** A finite number > 0. */
export function positive(owner: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(owner, name, 'a finite number > 0', v);
  return v;
}

/** A number in [0, 1) (betas, alpha, momentum coefficients of moving averages). */
export function unitInterval(owner: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail(owner, name, 'a number in [0, 1)', v);
  return v;
}

/** A number in [0, 1] (dampening). */
export function closedUnit(owner: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) fail(owner, name, 'a number in [0, 1]', v);
  return v;
}

/** An integer >= min. */
export function integer(owner: string, name: string, v: unknown, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(owner, name, `an integer >= ${min}`, v);
  return v;
}

export function boolean(owner: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') fail(owner, name, 'a boolean', v);
  return v;
}

/** One of the listed strings. */
export function oneOf<T extends string>(owner: string, name: string, v: unknown, choices: readonly T[]): T {
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
    fail(owner, name, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, v);
  }
  return v as T;
}

/** Throws an ArgumentError naming the owner and the problem. */
export function argumentError(owner: string, message: string): never {
  throw new ArgumentError(`${owner}: ${message}`);
}
