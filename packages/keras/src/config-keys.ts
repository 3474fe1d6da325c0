import { ArgumentError } from '@tsdl/tensor';

/**
 * The one policy for option names in @tsdl/keras (layer constructors, compile,
 * fit / evaluate / predict, callbacks, optimizers, loss objects): Keras'
 * Python spellings in snake_case (`batch_size`, `use_bias`, `from_logits`) are
 * accepted as aliases of the camelCase names (camelCaseKeys), and any other
 * name is an ArgumentError naming the owner and the option, with the nearest
 * known name as a suggestion (rejectUnknownOptions). A misspelt option would
 * otherwise be silently ignored and the model would train with the default.
 */

// Only an underscore inside a word: a key such as '__proto__' keeps its spelling (and is named as given when rejected).
const camel = (k: string): string => k.replace(/(?<=[a-z0-9])_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** 'batchSize' → 'batch_size', 'inputDim' → 'input_dim' (the alias a camelCase key has; digits stay attached: 'beta1'). */
type SnakeOf<S extends string> = S extends `${infer H}${infer R}`
  ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${SnakeOf<R>}`
  : S;

/**
 * An options type whose keys may also be spelt in Keras' snake_case:
 * `WithSnakeCase<{ batchSize?: number }>` accepts `{ batchSize: 32 }` and
 * `{ batch_size: 32 }` (giving both is an error at run time). Object literals
 * with any other key still fail to type-check.
 */
export type WithSnakeCase<T> = T & { [K in keyof T as K extends string ? SnakeOf<K> : never]?: T[K] };

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
    if (Object.hasOwn(out, c))
      throw new ArgumentError(`${owner}: option '${c}' is given twice (as '${k}' and as another spelling)`);
    out[c] = v;
  }
  return out as T;
}

/** Optimal-string-alignment distance (a swap of two neighbours counts 1), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [i, ...new Array<number>(t.length).fill(0)]);
  for (let j = 1; j <= t.length; j++) d[0][j] = j;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[s.length][t.length];
}

/**
 * The known name nearest to `name`, if it is near enough to be a typo: at most a third of
 * its letters apart (at least one), so 'activaton' finds 'activation' and 'epoch' 'epochs',
 * but 'sep' does not find 'separator'.
 */
export function nearestName(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best;
}

/**
 * Throws an ArgumentError naming `owner` for an option (after camelCaseKeys) that is not in
 * `known`, with the nearest known name as a suggestion: "Dense: unknown option 'activaton';
 * did you mean 'activation'? (known: …)".
 */
export function rejectUnknownOptions(owner: string, args: object, known: readonly string[]): void {
  for (const k of Object.keys(args)) {
    if (known.includes(k)) continue;
    const near = nearestName(k, known);
    const hint = near === null ? '' : `; did you mean '${near}'?`;
    throw new ArgumentError(`${owner}: unknown option '${k}'${hint} (known: ${known.join(', ')})`);
  }
}
