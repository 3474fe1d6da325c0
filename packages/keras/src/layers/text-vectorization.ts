import { type SplitMode, type StandardizeMode, splitText, standardizeText, withNgrams } from '@tsdl/data-text';
import {
  ArgumentError,
  type Backend,
  DTypeError,
  ShapeError,
  type Tensor,
  Tensor as TensorClass,
  getBackend,
  tensor,
} from '@tsdl/tensor';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape } from './layer';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';
import { type BagMode, bagOfTokens } from './categorical-encoding';
import { LookupVocabulary, NO_TOKEN } from './lookup-vocabulary';
import { optionalBool, positiveInt } from './options';
import { type ReadsStrings, type StringSamples, stringRows } from './string-input';

export type TextOutputMode = 'int' | 'multi_hot' | 'count' | 'tf_idf';

export interface TextVectorizationArgs extends LayerArgs {
  /** The largest vocabulary, reserved indices included ('' and '[UNK]' in 'int' mode, '[UNK]' otherwise). */
  maxTokens?: number | null;
  /** Default 'lower_and_strip_punctuation'. A function cannot be saved with the model. */
  standardize?: StandardizeMode;
  /** Default 'whitespace'. A function cannot be saved with the model. */
  split?: SplitMode;
  /** n-grams of the split tokens: an integer n for 1- to n-grams, or a list of sizes. */
  ngrams?: number | number[] | null;
  /** Default 'int' (token indices, 0 for padding). */
  outputMode?: TextOutputMode;
  /** 'int' mode: pad with 0 or truncate every sample to this many tokens. */
  outputSequenceLength?: number | null;
  /** 'multi_hot', 'count', 'tf_idf': make the output maxTokens wide whatever the vocabulary's size. */
  padToMaxTokens?: boolean;
  /** A vocabulary instead of adapt(): tokens by index, with or without the reserved tokens in front. */
  vocabulary?: string[] | null;
  /** 'tf_idf' with a given vocabulary: one weight per vocabulary entry. */
  idfWeights?: number[] | null;
}

const TEXT_VECTORIZATION_OPTIONS = [
  ...LAYER_OPTIONS,
  'maxTokens',
  'standardize',
  'split',
  'ngrams',
  'outputMode',
  'outputSequenceLength',
  'padToMaxTokens',
  'vocabulary',
  'idfWeights',
];

// Keras' spellings of the same modes.
const MODE_ALIASES = new Map<unknown, TextOutputMode>([
  ['binary', 'multi_hot'],
  ['tf-idf', 'tf_idf'],
]);

/**
 * Keras' TextVectorization: standardizes, splits and n-grams each text, then maps its
 * tokens to indices of a vocabulary given or learned with `adapt(texts)`. 'int' mode gives
 * int32 [batch, tokens] (0 is padding, 1 the unknown token '[UNK]'); 'multi_hot', 'count'
 * and 'tf_idf' give float32 [batch, vocabularySize] ('[UNK]' at 0). Call it on strings
 * (`layer.call(['a text', …])`), or make it a model's first layer and give the model
 * strings: see ReadsStrings for how. The vocabulary (and idf weights) are saved in the
 * layer's config, as Keras' constructor arguments `vocabulary` and `idf_weights`.
 */
export class TextVectorization extends Layer implements ReadsStrings {
  readonly readsStrings = true;
  readonly maxTokens: number | null;
  readonly standardize: StandardizeMode;
  readonly split: SplitMode;
  readonly ngrams: number | number[] | null;
  readonly outputMode: TextOutputMode;
  readonly outputSequenceLength: number | null;
  readonly padToMaxTokens: boolean;
  private vocab: LookupVocabulary;
  /** The output width the layer was built with in a bag mode (a model's next layer depends on it). */
  private builtDepth: number | null = null;

  constructor(config: TextVectorizationArgs = {}) {
    const args = camelCaseKeys(config ?? {}, 'TextVectorization');
    if (typeof args !== 'object' || Array.isArray(args))
      throw new ArgumentError(`TextVectorization: expected an options object, got ${quote(args)}`);
    if (new.target === TextVectorization) rejectUnknownOptions('TextVectorization', args, TEXT_VECTORIZATION_OPTIONS);
    super(args);
    const who = this.label;
    this.maxTokens =
      args.maxTokens === undefined || args.maxTokens === null ? null : positiveInt(who, 'maxTokens', args.maxTokens);
    this.standardize = choice(who, 'standardize', args.standardize, 'lower_and_strip_punctuation', [
      'lower_and_strip_punctuation',
      'lower',
      'strip_punctuation',
    ]);
    this.split = choice(who, 'split', args.split, 'whitespace', ['whitespace', 'character']);
    this.ngrams = ngramsOption(who, args.ngrams);
    const mode: unknown = MODE_ALIASES.get(args.outputMode) ?? args.outputMode ?? 'int';
    if (mode !== 'int' && mode !== 'multi_hot' && mode !== 'count' && mode !== 'tf_idf') {
      throw new ArgumentError(
        `${who}: outputMode must be 'int', 'multi_hot', 'count' or 'tf_idf', got ${quote(args.outputMode)}`,
      );
    }
    this.outputMode = mode;
    const len = args.outputSequenceLength;
    this.outputSequenceLength =
      len === undefined || len === null ? null : positiveInt(who, 'outputSequenceLength', len);
    if (this.outputSequenceLength !== null && mode !== 'int')
      throw new ArgumentError(`${who}: outputSequenceLength is only used in 'int' mode (outputMode is '${mode}')`);
    this.padToMaxTokens = optionalBool(who, 'padToMaxTokens', args.padToMaxTokens, false);
    // Keras' TextVectorization is a StringLookup with '' as the mask (padding) token.
    this.vocab = new LookupVocabulary({
      label: who,
      maxTokens: this.maxTokens,
      numOovIndices: 1,
      maskToken: '',
      oovToken: '[UNK]',
      outputMode: mode,
      padToMaxTokens: this.padToMaxTokens,
    });
    if (args.vocabulary !== undefined && args.vocabulary !== null) this.vocab.set(args.vocabulary, args.idfWeights);
    else if (args.idfWeights !== undefined && args.idfWeights !== null)
      throw new ArgumentError(`${who}: idfWeights needs a vocabulary`);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'TextVectorization';
  }

  // ---- vocabulary ----------------------------------------------------------------------

  /**
   * Learns the vocabulary (and in 'tf_idf' mode the idf weights) from texts: one string per
   * sample, or [[string], …]. Replaces any vocabulary. Tokens are ordered by count, ties by
   * token (descending), and cut to maxTokens, as Keras does.
   */
  adapt(texts: StringSamples): void {
    const rows = stringRows(this.label, texts, 1);
    if (rows.length === 0) throw new ArgumentError(`${this.label}: adapt needs at least one text`);
    const before = this.vocab.known ? this.vocab.depth : null;
    const next = new LookupVocabulary(this.vocab.o);
    next.adapt(rows.map((r) => this.tokens(r[0])));
    this.install(next, before);
  }

  /** Replaces the vocabulary (Keras' set_vocabulary); in 'tf_idf' mode with idf weights, one per entry. */
  setVocabulary(vocabulary: string[], idfWeights?: number[]): void {
    const before = this.vocab.known ? this.vocab.depth : null;
    const next = new LookupVocabulary(this.vocab.o);
    next.set(vocabulary, idfWeights);
    this.install(next, before);
  }

  private install(next: LookupVocabulary, before: number | null): void {
    // A model built on this layer has weights sized by its output width.
    if (this.builtDepth !== null && next.depth !== this.builtDepth) {
      throw new ArgumentError(
        `${this.label}: the new vocabulary would make the output ${next.depth} wide, but the layer was built ${this.builtDepth} wide (${before} before); ` +
          'set padToMaxTokens with maxTokens, or make the layer again',
      );
    }
    this.vocab = next;
  }

  /** Tokens by index (Keras' get_vocabulary): '' and '[UNK]' first in 'int' mode, '[UNK]' in the others. */
  getVocabulary(includeSpecialTokens = true): string[] {
    return this.vocab.list(includeSpecialTokens);
  }

  /** The vocabulary's size, reserved indices included. */
  vocabularySize(): number {
    return this.vocab.size;
  }

  /** The tokens of one text: standardized, split and n-grammed as configured. */
  tokens(text: string): string[] {
    const s = standardizeText(text, this.standardize);
    if (typeof s !== 'string')
      throw new DTypeError(`${this.label}: the standardize function must return a string, got ${quote(s)}`);
    const parts = splitText(s, this.split);
    if (!Array.isArray(parts) || !parts.every((p) => typeof p === 'string'))
      throw new DTypeError(`${this.label}: the split function must return a list of strings, got ${quote(parts)}`);
    return this.ngrams === null ? parts : withNgrams(parts, this.ngrams);
  }

  private requireVocabulary(): void {
    if (!this.vocab.known)
      throw new ArgumentError(`${this.label}: has no vocabulary; call adapt(texts) or give a vocabulary first`);
  }

  // ---- encoding --------------------------------------------------------------------------

  /**
   * The texts as the int32 tensor forward takes: in 'int' mode the output itself, [samples,
   * outputSequenceLength or the longest text's tokens] padded with 0; in the other modes the
   * token indices [samples, the longest text's tokens], padded with -1 (no token).
   */
  encodeStrings(samples: StringSamples, backend: Backend = getBackend()): Tensor {
    const rows = stringRows(this.label, samples, 1);
    this.requireVocabulary();
    const ids = rows.map((r) => this.tokens(r[0]).map((t) => this.vocab.lookup(t)));
    const int = this.outputMode === 'int';
    let longest = 0;
    for (const r of ids) longest = Math.max(longest, r.length);
    const width = int && this.outputSequenceLength !== null ? this.outputSequenceLength : longest;
    const out = new Int32Array(rows.length * width).fill(int ? 0 : NO_TOKEN);
    ids.forEach((r, i) => out.set(r.length > width ? r.slice(0, width) : r, i * width));
    return tensor(out, [rows.length, width], 'int32', { backend });
  }

  override build(inputShape: PartialShape): void {
    this.computeOutputShape(inputShape);
    if (this.outputMode !== 'int') this.builtDepth = this.vocab.depth;
    this.built = true;
  }

  /** [batch, outputSequenceLength or null] in 'int' mode, [batch, depth] in the others (which needs the vocabulary). */
  override computeOutputShape(s: PartialShape): PartialShape {
    if (this.outputMode === 'int') return [s[0], this.outputSequenceLength];
    if (!this.padToMaxTokens) this.requireVocabulary();
    return [s[0], this.vocab.depth];
  }

  /**
   * Strings (one per sample, or [[string], …]) to the output; or a tensor from encodeStrings
   * (what a model feeds this layer) to the output.
   */
  override forward(x: Tensor | StringSamples): Tensor {
    if (!(x instanceof TensorClass)) {
      const ids = this.encodeStrings(x);
      if (this.outputMode === 'int') return ids;
      try {
        return this.fromIds(ids);
      } finally {
        ids.dispose();
      }
    }
    return this.fromIds(x);
  }

  private fromIds(ids: Tensor): Tensor {
    if (ids.rank !== 2)
      throw new ShapeError(
        `${this.label}: expects strings, or their encoding [samples, tokens] from encodeStrings; got a tensor of shape [${ids.shape.join(',')}]`,
      );
    if (this.outputMode !== 'int') {
      if (!this.padToMaxTokens) this.requireVocabulary();
      const mode = this.outputMode as BagMode;
      return bagOfTokens(this.label, ids, this.vocab.depth, mode, mode === 'tf_idf' ? this.vocab.idfWeights() : null);
    }
    if (ids.dtype !== 'int32')
      throw new DTypeError(
        `${this.label}: expects strings, or their int32 encoding from encodeStrings; got a ${ids.dtype} tensor`,
      );
    if (this.outputSequenceLength !== null && ids.shape[1] !== this.outputSequenceLength) {
      throw new ShapeError(
        `${this.label}: an encoding of ${ids.shape[1]} tokens per sample does not match outputSequenceLength ${this.outputSequenceLength}`,
      );
    }
    // In 'int' mode the encoding is the output.
    return ids;
  }

  override getConfig(): Record<string, unknown> {
    for (const [option, v] of [
      ['standardize', this.standardize],
      ['split', this.split],
    ] as const) {
      if (typeof v === 'function')
        throw new ArgumentError(
          `${this.label}: cannot be saved: its ${option} is a function (only the named modes can be written to a config)`,
        );
    }
    return {
      ...super.getConfig(),
      maxTokens: this.maxTokens,
      standardize: this.standardize,
      split: this.split,
      ngrams: this.ngrams,
      outputMode: this.outputMode,
      outputSequenceLength: this.outputSequenceLength,
      padToMaxTokens: this.padToMaxTokens,
      vocabulary: this.vocab.known ? this.vocab.list(true) : null,
      idfWeights: this.vocab.idfList(),
    };
  }
}

/** A named mode from `names`, null, or a function (Keras' callables). */
function choice<T>(label: string, option: string, v: unknown, dflt: T, names: readonly string[]): T {
  if (v === undefined) return dflt;
  if (v === null || typeof v === 'function' || names.includes(v as string)) return v as T;
  throw new ArgumentError(
    `${label}: ${option} must be ${names.map((n) => `'${n}'`).join(', ')}, null or a function, got ${quote(v)}`,
  );
}

function ngramsOption(label: string, v: unknown): number | number[] | null {
  if (v === undefined || v === null) return null;
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;
  if (ok(v)) return v;
  if (Array.isArray(v) && v.length > 0 && v.every(ok)) return [...v];
  throw new ArgumentError(`${label}: ngrams must be a positive integer or a non-empty list of them, got ${quote(v)}`);
}
