import { countTokens, mostFrequent } from '@tsdl/data-text';
import { ArgumentError } from '@tsdl/tensor';
import { quote } from '../names';

/** Keras' output modes of its lookup layers (TextVectorization takes all but 'one_hot'). */
export type OutputMode = 'int' | 'one_hot' | 'multi_hot' | 'count' | 'tf_idf';

export interface VocabularyOptions {
  /** The layer as errors name it. */
  label: string;
  maxTokens: number | null;
  /** 0 (an unknown token is an error) or 1. */
  numOovIndices: number;
  maskToken: string | null;
  oovToken: string;
  outputMode: OutputMode;
  padToMaxTokens: boolean;
  /** StringLookup's invert: the OOV token is then reserved in a given vocabulary too. */
  invert?: boolean;
  /** IntegerLookup's tokens: integers in decimal, whose count ties adapt breaks by value (descending), as Keras sorts them. */
  numeric?: boolean;
}

/** The index a token that has no output takes: a mask token outside 'int' mode (Keras drops those). */
export const NO_TOKEN = -1;

/**
 * The vocabulary of a Keras lookup layer (StringLookup, and TextVectorization through it)
 * with Keras' index layout: in 'int' mode the mask token (if any) at 0, then the OOV index,
 * then the tokens; in the other modes no mask index, so the OOV index is 0. Learned
 * vocabularies are ordered as Keras orders them (count descending, ties by token
 * descending), and tf-idf weights are Keras': log(1 + documents / (1 + documents with the
 * token)), the OOV index taking their mean.
 */
export class LookupVocabulary {
  private tokens: string[] = [];
  private index = new Map<string, number>();
  /** tf-idf weights for every index (OOV included), without padToMaxTokens' zeros. */
  private idf: Float32Array | null = null;
  /** Whether a vocabulary was given or learned (an index of special tokens only counts). */
  known = false;

  constructor(readonly o: VocabularyOptions) {
    const max = o.maxTokens;
    if (max !== null && max <= Math.max(this.tokenStart, 1)) {
      const reserved = this.specialTokens.map((t) => quote(t)).join(', ');
      throw new ArgumentError(
        `${o.label}: maxTokens ${max} leaves no room for a learned token: the first ${this.tokenStart} ${this.tokenStart === 1 ? 'index is' : 'indices are'} reserved (${reserved}); give at least ${Math.max(this.tokenStart, 1) + 1}`,
      );
    }
    if (o.padToMaxTokens && max === null) throw new ArgumentError(`${o.label}: padToMaxTokens needs maxTokens`);
  }

  /** The mask token's index in 'int' mode shifts the OOV index to 1. */
  get oovStart(): number {
    return this.o.maskToken !== null && this.o.outputMode === 'int' ? 1 : 0;
  }

  get tokenStart(): number {
    return this.oovStart + this.o.numOovIndices;
  }

  /** The reserved tokens in index order (as a saved vocabulary starts). */
  get specialTokens(): string[] {
    return [
      ...(this.oovStart === 1 ? [this.o.maskToken as string] : []),
      ...new Array<string>(this.o.numOovIndices).fill(this.o.oovToken),
    ];
  }

  /** Keras' vocabulary_size(): the learned or given tokens plus the reserved indices. */
  get size(): number {
    return this.tokenStart + this.tokens.length;
  }

  /** The length of a multi-hot, count, tf-idf or one-hot vector. */
  get depth(): number {
    return this.o.padToMaxTokens ? (this.o.maxTokens as number) : this.size;
  }

  /** Keras' get_vocabulary(): index i holds the token that maps to i. */
  list(includeSpecialTokens = true): string[] {
    return includeSpecialTokens ? [...this.specialTokens, ...this.tokens] : [...this.tokens];
  }

  /** The tf-idf weights by index (OOV first), padded with zeros to the depth. */
  idfWeights(): Float32Array {
    if (!this.idf)
      throw new ArgumentError(`${this.o.label}: has no tf-idf weights; adapt it or give vocabulary and idfWeights`);
    const out = new Float32Array(this.depth);
    out.set(this.idf.subarray(0, out.length));
    return out;
  }

  /** The tf-idf weights as given to or learned by the layer (for its config), or null. */
  idfList(): number[] | null {
    return this.idf ? Array.from(this.idf) : null;
  }

  /** The index of a token; the mask token outside 'int' mode is NO_TOKEN; an unknown token with no OOV index is an ArgumentError. */
  lookup(token: string): number {
    if (token === this.o.maskToken) return this.o.outputMode === 'int' ? 0 : NO_TOKEN;
    const i = this.index.get(token);
    if (i !== undefined) return i;
    if (this.o.numOovIndices === 0) {
      throw new ArgumentError(
        `${this.o.label}: token ${quote(token)} is not in the vocabulary, and numOovIndices is 0 (set it to 1 to map unknown tokens to an OOV index)`,
      );
    }
    return this.oovStart;
  }

  /** The token at an index (StringLookup's invert): the mask token at 0, the OOV token for the OOV index or any index outside the vocabulary. */
  token(i: number): string {
    if (i === 0 && this.oovStart === 1) return this.o.maskToken as string;
    return i >= this.tokenStart && i < this.size ? this.tokens[i - this.tokenStart] : this.o.oovToken;
  }

  /**
   * Sets a given vocabulary (Keras' set_vocabulary): it may start with the reserved tokens
   * (as getVocabulary returns it) or leave them out; tokens must be unique, the mask and OOV
   * tokens nowhere else, and it must fit maxTokens. In 'tf_idf' mode `idf` (one weight per
   * entry given) is required; without the reserved tokens, the OOV index gets their mean.
   */
  set(vocabulary: unknown, idf: unknown): void {
    const who = this.o.label;
    if (!Array.isArray(vocabulary) || vocabulary.length === 0)
      throw new ArgumentError(`${who}: vocabulary must be a non-empty list of strings, got ${quote(vocabulary)}`);
    const bad = vocabulary.findIndex((t) => typeof t !== 'string');
    if (bad >= 0)
      throw new ArgumentError(
        `${who}: vocabulary must be a list of strings, got ${quote(vocabulary[bad])} at index ${bad}`,
      );
    const special = this.specialTokens;
    const withSpecial = special.every((t, i) => vocabulary[i] === t);
    const tokens = (withSpecial ? vocabulary.slice(special.length) : vocabulary) as string[];
    const seen = new Set<string>();
    for (const [i, t] of tokens.entries()) {
      const at = i + (withSpecial ? special.length : 0);
      if (seen.has(t))
        throw new ArgumentError(`${who}: vocabulary repeats ${quote(t)} (at index ${at}); its tokens must be unique`);
      seen.add(t);
      if (t === this.o.maskToken || (t === this.o.oovToken && this.o.invert)) {
        throw new ArgumentError(
          `${who}: vocabulary holds the reserved token ${quote(t)} at index ${at}; leave the reserved tokens out, or put them first in this order: [${special.map((s) => quote(s)).join(', ')}]`,
        );
      }
    }
    const size = this.tokenStart + tokens.length;
    if (this.o.maxTokens !== null && size > this.o.maxTokens) {
      throw new ArgumentError(
        `${who}: a vocabulary of ${size} entries (reserved tokens included) is larger than maxTokens ${this.o.maxTokens}`,
      );
    }
    let weights: Float32Array | null = null;
    if (this.o.outputMode === 'tf_idf') {
      if (idf === undefined || idf === null)
        throw new ArgumentError(`${who}: in 'tf_idf' mode a given vocabulary needs idfWeights (one per entry)`);
      if (!Array.isArray(idf) || !idf.every((w) => typeof w === 'number' && Number.isFinite(w)))
        throw new ArgumentError(`${who}: idfWeights must be a list of finite numbers, got ${quote(idf)}`);
      if (idf.length !== vocabulary.length)
        throw new ArgumentError(
          `${who}: idfWeights has ${idf.length} entries for a vocabulary of ${vocabulary.length}; give one per entry`,
        );
      weights = withSpecial ? Float32Array.from(idf) : withFront(Float32Array.from(idf), this.tokenStart);
    } else if (idf !== undefined && idf !== null) {
      throw new ArgumentError(
        `${who}: idfWeights is only used in 'tf_idf' mode (outputMode is '${this.o.outputMode}')`,
      );
    }
    this.replace(tokens, weights);
  }

  /** Learns the vocabulary (and tf-idf weights) from documents given as token lists, replacing any vocabulary. */
  adapt(documents: readonly (readonly string[])[]): void {
    const counts = countTokens(documents);
    // Keras never learns its reserved tokens.
    if (this.o.maskToken !== null) counts.counts.delete(this.o.maskToken);
    counts.counts.delete(this.o.oovToken);
    const limit = this.o.maxTokens === null ? Infinity : this.o.maxTokens - this.tokenStart;
    const tokens = this.o.numeric
      ? [...counts.counts]
          .sort((a, b) => b[1] - a[1] || Number(b[0]) - Number(a[0]))
          .slice(0, Math.max(0, limit))
          .map(([t]) => t)
      : mostFrequent(counts.counts, limit);
    let weights: Float32Array | null = null;
    if (this.o.outputMode === 'tf_idf') {
      const n = counts.documents;
      const learned = Float32Array.from(tokens, (t) => Math.log(1 + n / (1 + (counts.documentCounts.get(t) ?? 0))));
      weights = withFront(learned, this.tokenStart);
    }
    this.replace(tokens, weights);
  }

  private replace(tokens: string[], idf: Float32Array | null): void {
    this.tokens = tokens;
    this.index = new Map(tokens.map((t, i) => [t, i + this.tokenStart]));
    this.idf = idf;
    this.known = true;
  }
}

/** The weights with `n` entries in front holding their mean (Keras' weight for the OOV index; 0 for no weights). */
function withFront(weights: Float32Array, n: number): Float32Array {
  let sum = 0;
  for (const w of weights) sum += w;
  const out = new Float32Array(n + weights.length);
  out.fill(weights.length > 0 ? sum / weights.length : 0, 0, n);
  out.set(weights, n);
  return out;
}
