import { ArgumentError } from '@tsdl/tensor';

/** Throws for an option name the function does not take (a typo would otherwise be ignored). */
export function checkOptions(where: string, options: object | undefined, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') {
    throw new ArgumentError(`${where}: options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ArgumentError(`${where}: unknown option '${key}' (known: ${known.join(', ')})`);
    }
  }
}
