import { ArgumentError } from '@tsdl/tensor';

/**
 * Name tables (activations, initializers, losses, metrics, optimizers, layer
 * classes) are Maps, never object literals: an object answers `in` and `[name]`
 * for its inherited keys too, so 'constructor' would find Object (which, called
 * on a tensor, returns it: an identity activation) and 'toString' or
 * '__proto__' would find functions that fail later with a TypeError.
 */
export function nameTable<T>(entries: Record<string, T>): Map<string, T> {
  // Object.entries lists own keys only, so the table holds exactly the literal's names.
  return new Map(Object.entries(entries));
}

/** Keras' snake_case for a camelCase spelling: 'logSoftmax' → 'log_softmax', 'glorotUniform' → 'glorot_uniform'. */
export function snakeCase(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/** Quotes a user-given value for an error message (strings in quotes, anything else as JSON or its type). */
export function quote(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'function') return 'a function';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return typeof v;
  }
}

/**
 * Looks `name` up in `table` (after `normalize`, and through `aliases`), or throws an
 * ArgumentError naming the owner, what kind of name it is and every valid name.
 */
export function lookupName<T>(
  owner: string,
  kind: string,
  name: unknown,
  table: ReadonlyMap<string, T>,
  options: {
    normalize?: (s: string) => string;
    aliases?: ReadonlyMap<string, string>;
    /** Valid names handled outside the table (listed first). */
    extra?: readonly string[];
    /** The argument that gave the name (kernelInitializer …), when it is not just `kind`. */
    option?: string;
    /** How the name is quoted in the message (default: single quotes). */
    show?: (v: unknown) => string;
  } = {},
): { key: string; value: T } {
  const show = options.show ?? quote;
  const where = options.option ? ` for ${options.option}` : '';
  const known = (): string =>
    [...(options.extra ?? []), ...table.keys(), ...(options.aliases?.keys() ?? [])].join(', ');
  if (typeof name !== 'string')
    throw new ArgumentError(
      `${owner}: ${options.option ?? kind} must be a name, got ${quote(name)} (known: ${known()})`,
    );
  const normal = options.normalize ? options.normalize(name) : name;
  const key = options.aliases?.get(normal) ?? normal;
  const value = table.get(key);
  if (value === undefined)
    throw new ArgumentError(`${owner}: unknown ${kind} ${show(name)}${where} (known: ${known()})`);
  return { key, value };
}
