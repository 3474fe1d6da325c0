import { ArgumentError } from '@tsdl/tensor';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';

/**
 * Keras' keras.optimizers.schedules.LearningRateSchedule: the learning rate
 * as a function of the optimizer's step count. Pass one as a Keras
 * optimizer's `learningRate`; the optimizer evaluates it before every update
 * (`call(iterations)`, 0 for the first) and saves it in its config.
 * Subclass it for a schedule of your own (Keras' `__call__` is `call`).
 */
export abstract class LearningRateSchedule {
  /** The name it is saved under (Keras' class_name). */
  abstract readonly className: string;
  /** The learning rate for the update after `step` updates. */
  abstract call(step: number): number;
  /** The options (camelCase) that rebuild this schedule, as Keras' get_config. */
  abstract getConfig(): Record<string, unknown>;
}

/** A schedule's constructor options: camelCase (or Keras' snake_case) keys, all known. */
export function scheduleOptions(owner: string, c: unknown, known: readonly string[]): Record<string, unknown> {
  if (c === null || typeof c !== 'object' || Array.isArray(c))
    throw new ArgumentError(`${owner}: the options must be an object { ${known.join(', ')} }, got ${quote(c)}`);
  const o = camelCaseKeys(c as Record<string, unknown>, owner);
  rejectUnknownOptions(owner, o, known);
  return o;
}

function fail(owner: string, name: string, expected: string, v: unknown): never {
  throw new ArgumentError(`${owner}: ${name} must be ${expected}, got ${quote(v)}`);
}

/** A finite number (when `min` is given, >= min; with `above`, > min). */
export function finite(owner: string, name: string, v: unknown, min?: number, above = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    fail(owner, name, min === undefined ? 'a finite number' : `a finite number ${above ? '>' : '>='} ${min}`, v);
  if (min !== undefined && (above ? !(v > min) : !(v >= min)))
    fail(owner, name, `a finite number ${above ? '>' : '>='} ${min}`, v);
  return v;
}

export function bool(owner: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') fail(owner, name, 'a boolean', v);
  return v;
}

/** Keras' `name` option: a string, or the class's default when missing or null. */
export function nameOption(owner: string, v: unknown, fallback: string): string {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string') fail(owner, 'name', 'a string', v);
  return v;
}
