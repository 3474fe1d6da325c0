import { ArgumentError } from '@tsdl/tensor';

/**
 * Text to tokens, the way Keras' TextVectorization does it, shared by
 * @tsdl/keras's TextVectorization and anything that prepares text by hand.
 */

export type StandardizeMode =
  | 'lower_and_strip_punctuation'
  | 'lower'
  | 'strip_punctuation'
  | null
  | ((text: string) => string);
export type SplitMode = 'whitespace' | 'character' | null | ((text: string) => string[]);

/** Keras' DEFAULT_STRIP_REGEX: ASCII punctuation. */
const PUNCTUATION = /[!"#$%&()*+,\-./:;<=>?@[\\\]^_`{|}~']/g;

export function standardizeText(text: string, mode: StandardizeMode = 'lower_and_strip_punctuation'): string {
  if (typeof text !== 'string') throw new ArgumentError(`standardize: expected a string, got ${typeof text}`);
  if (mode === null) return text;
  if (typeof mode === 'function') return mode(text);
  switch (mode) {
    case 'lower_and_strip_punctuation':
      return text.toLowerCase().replace(PUNCTUATION, '');
    case 'lower':
      return text.toLowerCase();
    case 'strip_punctuation':
      return text.replace(PUNCTUATION, '');
    default:
      throw new ArgumentError(
        `standardize: unknown mode ${JSON.stringify(mode)} (known: lower_and_strip_punctuation, lower, strip_punctuation, null, or a function)`,
      );
  }
}

export function splitText(text: string, mode: SplitMode = 'whitespace'): string[] {
  if (mode === null) return [text];
  if (typeof mode === 'function') return mode(text);
  switch (mode) {
    case 'whitespace':
      return text.split(/\s+/).filter((t) => t.length > 0);
    case 'character':
      return [...text];
    default:
      throw new ArgumentError(
        `split: unknown mode ${JSON.stringify(mode)} (known: whitespace, character, null, or a function)`,
      );
  }
}

/**
 * The tokens plus their n-grams joined by a space, as Keras' `ngrams` option:
 * `ngrams = 2` gives unigrams and bigrams, `[2]` bigrams only.
 */
export function withNgrams(tokens: readonly string[], ngrams: number | readonly number[] | null = null): string[] {
  if (ngrams === null) return [...tokens];
  const sizes =
    typeof ngrams === 'number' ? Array.from({ length: Math.max(0, Math.floor(ngrams)) }, (_, i) => i + 1) : [...ngrams];
  const valid = (n: unknown) => Number.isInteger(n) && (n as number) >= 1;
  if ((typeof ngrams === 'number' && !valid(ngrams)) || sizes.length === 0 || !sizes.every(valid)) {
    throw new ArgumentError(`ngrams: expected a positive integer or a list of them, got ${JSON.stringify(ngrams)}`);
  }
  const out: string[] = [];
  for (const n of sizes) {
    for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join(' '));
  }
  return out;
}

/** How often each token occurs, and in how many documents (for tf-idf). */
export interface TokenCounts {
  counts: Map<string, number>;
  documentCounts: Map<string, number>;
  documents: number;
}

export function countTokens(documents: Iterable<readonly string[]>, into?: TokenCounts): TokenCounts {
  const out = into ?? { counts: new Map(), documentCounts: new Map(), documents: 0 };
  for (const tokens of documents) {
    out.documents++;
    for (const t of tokens) out.counts.set(t, (out.counts.get(t) ?? 0) + 1);
    for (const t of new Set(tokens)) out.documentCounts.set(t, (out.documentCounts.get(t) ?? 0) + 1);
  }
  return out;
}

/**
 * Tokens by descending count, ties by descending token order (Keras' rule),
 * at most `limit` of them.
 */
export function mostFrequent(counts: ReadonlyMap<string, number>, limit = Infinity): string[] {
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0));
  return sorted.slice(0, Math.max(0, limit)).map(([t]) => t);
}
