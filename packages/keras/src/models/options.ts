import { ArgumentError } from '@tsdl/tensor';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';

/**
 * Checks of the options objects of fit, evaluate and predict. They run before
 * anything is allocated, so a bad option costs nothing to clean up; an option
 * whose value is undefined counts as not given (callers pass `{ readEvery: o.readEvery }`).
 */

/** How a value reads in an error message: 'null', 'a string', '2.5'. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return `a string ('${v.length > 20 ? `${v.slice(0, 20)}…` : v}')`;
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  const name = (v as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

/**
 * The options object with Keras' snake_case names camelCased (`batch_size` is
 * `batchSize`), or {} when none was given; throws an ArgumentError for a
 * non-object or an option name not in `known`, suggesting the nearest known
 * one (a misspelt option would otherwise be silently ignored). Read the
 * options from the returned object, not the argument.
 */
export function checkOptions<T extends object>(
  who: string,
  options: T | undefined,
  known: readonly (keyof T & string)[],
): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ArgumentError(`${who}: options must be an object, got ${describeValue(options)}`);
  }
  const args = camelCaseKeys(options, who);
  rejectUnknownOptions(who, args, known);
  return args;
}

/** An integer option at least `min`, or `fallback` when not given. */
export function intOption(who: string, name: string, value: unknown, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    const what = min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : 'an integer';
    throw new ArgumentError(`${who}: ${name} must be ${what}, got ${describeValue(value)}`);
  }
  return value;
}

/** One of `allowed`, or `fallback` when not given. */
export function choiceOption<T>(who: string, name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T))
    throw new ArgumentError(`${who}: ${name} must be one of ${allowed.join(', ')}, got ${describeValue(value)}`);
  return value as T;
}
