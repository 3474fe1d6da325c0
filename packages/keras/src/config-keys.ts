import { ArgumentError } from '@tsdl/tensor';

// Only an underscore inside a word: a key such as '__proto__' keeps its spelling (and is named as given when rejected).
const camel = (k: string): string => k.replace(/(?<=[a-z0-9])_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/**
 * Keras' Python configs spell arguments in snake_case (`use_bias`,
 * `kernel_size`, `input_shape`); layers accept those as well as the camelCase
 * names of their TypeScript interfaces, so a config copied from Keras works.
 * `owner` names the layer or optimizer when both spellings of one argument are given.
 */
export function camelCaseKeys<T>(args: T, owner = 'config'): T {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) return args;
  // A null-prototype object: a '__proto__' key (JSON.parse makes one an own key) stays a
  // plain key here, where an ordinary object would take it as its new prototype and hand
  // its fields to every option read; as a key it is then rejected as an unknown option.
  const out: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(args)) {
    const c = camel(k);
    if (Object.hasOwn(out, c)) throw new ArgumentError(`${owner}: option '${c}' is given twice (as '${k}' and as another spelling)`);
    out[c] = v;
  }
  return out as T;
}

/** Throws an ArgumentError naming `owner` for an option (after camelCaseKeys) that is not in `known`. */
export function rejectUnknownOptions(owner: string, args: object, known: readonly string[]): void {
  for (const k of Object.keys(args)) {
    if (!known.includes(k)) throw new ArgumentError(`${owner}: unknown option '${k}' (known: ${known.join(', ')})`);
  }
}
