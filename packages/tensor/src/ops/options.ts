import { ArgumentError } from '../errors';

/**
 * Throws for an option name an op does not take, and for an option that is
 * not a boolean where one is expected: a misspelt `{ revers: true }` would
 * otherwise be ignored and give a silently wrong result.
 */
export function checkOptions(op: string, options: object | undefined, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') {
    throw new ArgumentError(`${op}: options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new ArgumentError(`${op}: unknown option '${key}' (known: ${known.join(', ')})`);
  }
}

/** The value of a boolean option, `dflt` where it is absent. */
export function boolOption(op: string, name: string, value: unknown, dflt: boolean): boolean {
  if (value === undefined) return dflt;
  if (typeof value !== 'boolean')
    throw new ArgumentError(`${op}: option '${name}' must be a boolean, got ${JSON.stringify(value)}`);
  return value;
}
