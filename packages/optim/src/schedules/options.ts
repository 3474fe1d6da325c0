import { argumentError } from '../validate';

/**
 * A schedule's options object, checked: an object (or undefined when none are
 * required) whose own keys are all in `known`. A misspelt option such as
 * `totalIter` would otherwise leave its default in place without a word.
 */
export function checkOptions<T extends object>(
  owner: string,
  options: T | undefined,
  known: readonly string[],
  required: boolean,
): T {
  if (options === undefined && !required) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    argumentError(
      owner,
      `options { ${known.join(', ')} } must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`,
    );
  }
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) argumentError(owner, `unknown option '${k}' (known: ${known.join(', ')})`);
  }
  return options;
}

/** A factor in [0, 1] (LinearLR's and ConstantLR's multipliers). */
export function factor(owner: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1))
    argumentError(
      owner,
      `${name} must be a number in [0, 1], got ${typeof v === 'number' ? v : (JSON.stringify(v) ?? typeof v)}`,
    );
  return v;
}
