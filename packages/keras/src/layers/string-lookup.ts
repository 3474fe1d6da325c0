import {
  ArgumentError,
  type Backend,
  DTypeError,
  ShapeError,
  type Tensor,
  Tensor as TensorClass,
  getBackend,
  reshape,
  tensor,
  tidy,
} from '@tsdl/tensor';
import { oneHotUnchecked } from '@tsdl/tensor/internal';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape } from './layer';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';
import { type BagMode, bagOfTokens, checkIds } from './categorical-encoding';
import { LookupVocabulary, NO_TOKEN, type OutputMode } from './lookup-vocabulary';
import { optionalBool, positiveInt } from './options';
import { type ReadsStrings, type StringSamples, stringRows } from './string-input';

export interface StringLookupArgs<I extends boolean = boolean> extends LayerArgs {
  /** The largest vocabulary, reserved indices (mask, OOV) included. */
  maxTokens?: number | null;
  /** Indices for unknown tokens: 1 (default), or 0 to make an unknown token an error. */
  numOovIndices?: number;
  /** A token for padding: index 0 in 'int' mode, dropped in the others (default null: none). */
  maskToken?: string | null;
  /** What invert gives for an OOV index (default '[UNK]'). */
  oovToken?: string;
  vocabulary?: string[] | null;
  /** 'tf_idf' with a given vocabulary: one weight per vocabulary entry. */
  idfWeights?: number[] | null;
  /** Map indices back to tokens ('int' mode only). */
  invert?: I;
  outputMode?: OutputMode;
  padToMaxTokens?: boolean;
}

const STRING_LOOKUP_OPTIONS = [
  ...LAYER_OPTIONS,
  'maxTokens',
  'numOovIndices',
  'maskToken',
  'oovToken',
  'vocabulary',
  'idfWeights',
  'invert',
  'outputMode',
  'padToMaxTokens',
];

/** What the layer returns: indices or encodings as a tensor, or with invert the tokens. */
export type StringLookupOutput<I extends boolean> = I extends true ? string[] | string[][] : Tensor;

/** Numbers by sample (invert's input when not a tensor). */
export type IndexSamples = readonly number[] | readonly (readonly number[])[];

const MODE_ALIASES = new Map<unknown, OutputMode>([
  ['binary', 'multi_hot'],
  ['tf-idf', 'tf_idf'],
]);

/**
 * Keras' StringLookup: maps strings to indices of a vocabulary given or learned with
 * `adapt`, in Keras' layout (the mask token, if any, at 0 in 'int' mode; then the OOV index;
 * then the tokens by frequency). Takes string[] (int32 [n]) or string[][] (int32 [n, m]);
 * 'one_hot' adds a depth axis (replacing a last axis of 1), and 'multi_hot', 'count' and
 * 'tf_idf' encode each row (a flat list is one sample, as in Keras) into a float32 vector.
 * With `invert: true` it maps indices back to tokens.
 */
export class StringLookup<I extends boolean = false> extends Layer implements ReadsStrings {
  readonly maxTokens: number | null;
  readonly numOovIndices: number;
  readonly maskToken: string | null;
  readonly oovToken: string;
  readonly invert: boolean;
  readonly outputMode: OutputMode;
  readonly padToMaxTokens: boolean;
  private vocab: LookupVocabulary;
  private builtDepth: number | null = null;

  constructor(config: StringLookupArgs<I> = {}) {
    const args = camelCaseKeys(config ?? {}, 'StringLookup');
    if (typeof args !== 'object' || Array.isArray(args))
      throw new ArgumentError(`StringLookup: expected an options object, got ${quote(args)}`);
    if (new.target === StringLookup) rejectUnknownOptions('StringLookup', args, STRING_LOOKUP_OPTIONS);
    super(args);
    const who = this.label;
    this.maxTokens =
      args.maxTokens === undefined || args.maxTokens === null ? null : positiveInt(who, 'maxTokens', args.maxTokens);
    const oov: unknown = args.numOovIndices ?? 1;
    if (oov !== 0 && oov !== 1) {
      throw new ArgumentError(
        `${who}: numOovIndices must be 0 or 1, got ${quote(oov)}` +
          (typeof oov === 'number' && oov > 1
            ? " (Keras hashes unknown tokens into several OOV indices with TensorFlow's FarmHash, which tsdl does not have)"
            : ''),
      );
    }
    this.numOovIndices = oov;
    const mask: unknown = args.maskToken ?? null;
    if (mask !== null && typeof mask !== 'string')
      throw new ArgumentError(`${who}: maskToken must be a string or null, got ${quote(mask)}`);
    this.maskToken = mask;
    const oovToken: unknown = args.oovToken ?? '[UNK]';
    if (typeof oovToken !== 'string')
      throw new ArgumentError(`${who}: oovToken must be a string, got ${quote(oovToken)}`);
    if (oovToken === mask)
      throw new ArgumentError(`${who}: maskToken and oovToken must differ, both are ${quote(mask)}`);
    this.oovToken = oovToken;
    this.invert = optionalBool(who, 'invert', args.invert, false);
    const mode: unknown = MODE_ALIASES.get(args.outputMode) ?? args.outputMode ?? 'int';
    if (!['int', 'one_hot', 'multi_hot', 'count', 'tf_idf'].includes(mode as string)) {
      throw new ArgumentError(
        `${who}: outputMode must be 'int', 'one_hot', 'multi_hot', 'count' or 'tf_idf', got ${quote(args.outputMode)}`,
      );
    }
    this.outputMode = mode as OutputMode;
    if (this.invert && mode !== 'int') throw new ArgumentError(`${who}: invert needs outputMode 'int', got '${mode}'`);
    this.padToMaxTokens = optionalBool(who, 'padToMaxTokens', args.padToMaxTokens, false);
    this.vocab = this.emptyVocabulary();
    if (args.vocabulary !== undefined && args.vocabulary !== null) this.vocab.set(args.vocabulary, args.idfWeights);
    else if (args.idfWeights !== undefined && args.idfWeights !== null)
      throw new ArgumentError(`${who}: idfWeights needs a vocabulary`);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'StringLookup';
  }

  /** A layer with invert reads indices, not strings. */
  get readsStrings(): boolean {
    return !this.invert;
  }

  private emptyVocabulary(): LookupVocabulary {
    return new LookupVocabulary({
      label: this.label,
      maxTokens: this.maxTokens,
      numOovIndices: this.numOovIndices,
      maskToken: this.maskToken,
      oovToken: this.oovToken,
      outputMode: this.outputMode,
      padToMaxTokens: this.padToMaxTokens,
      invert: this.invert,
    });
  }

  // ---- vocabulary ----------------------------------------------------------------------

  /**
   * Learns the vocabulary (and in 'tf_idf' mode the idf weights) from tokens: a flat list
   * (each token a document) or a list of rows (each row a document). Replaces any vocabulary.
   */
  adapt(data: StringSamples): void {
    const rows = stringRows(this.label, data);
    if (rows.length === 0) throw new ArgumentError(`${this.label}: adapt needs at least one token`);
    const next = this.emptyVocabulary();
    next.adapt(rows);
    this.install(next);
  }

  /** Replaces the vocabulary (Keras' set_vocabulary); in 'tf_idf' mode with idf weights, one per entry. */
  setVocabulary(vocabulary: string[], idfWeights?: number[]): void {
    const next = this.emptyVocabulary();
    next.set(vocabulary, idfWeights);
    this.install(next);
  }

  private install(next: LookupVocabulary): void {
    if (this.builtDepth !== null && next.depth !== this.builtDepth) {
      throw new ArgumentError(
        `${this.label}: the new vocabulary would make the output ${next.depth} wide, but the layer was built ${this.builtDepth} wide; set padToMaxTokens with maxTokens, or make the layer again`,
      );
    }
    this.vocab = next;
  }

  getVocabulary(includeSpecialTokens = true): string[] {
    return this.vocab.list(includeSpecialTokens);
  }

  vocabularySize(): number {
    return this.vocab.size;
  }

  private requireVocabulary(): void {
    if (!this.vocab.known)
      throw new ArgumentError(`${this.label}: has no vocabulary; call adapt(tokens) or give a vocabulary first`);
  }

  // ---- encoding --------------------------------------------------------------------------

  /** Token indices of string samples: int32 [n] for a flat list, [n, m] for rows (ragged rows, padded with -1, only in the bag modes). */
  private indices(samples: StringSamples, backend: Backend): Tensor {
    if (this.invert)
      throw new ArgumentError(`${this.label}: with invert it maps indices to tokens; give it indices, not strings`);
    const rows = stringRows(this.label, samples);
    this.requireVocabulary();
    const flat = rows.length > 0 && !Array.isArray(samples[0]);
    if (flat)
      return tensor(
        Int32Array.from(rows, (r) => this.vocab.lookup(r[0])),
        [rows.length],
        'int32',
        { backend },
      );
    let width = 0;
    for (const r of rows) width = Math.max(width, r.length);
    const bag = this.outputMode !== 'int' && this.outputMode !== 'one_hot';
    const ragged = rows.findIndex((r) => r.length !== width);
    if (ragged >= 0 && !bag) {
      throw new ShapeError(
        `${this.label}: rows of different lengths (${rows[ragged].length} in sample ${ragged}, ${width} in another) need a bag outputMode; pad them (with the mask token) for '${this.outputMode}'`,
      );
    }
    const out = new Int32Array(rows.length * width).fill(NO_TOKEN);
    rows.forEach((r, i) => r.forEach((t, j) => (out[i * width + j] = this.vocab.lookup(t))));
    return tensor(out, [rows.length, width], 'int32', { backend });
  }

  /**
   * Samples as the tensor forward takes (a model's inputs): the token indices, a flat list
   * as one token per sample ([n, 1] in the bag modes, so each sample keeps its own vector).
   */
  encodeStrings(samples: StringSamples, backend: Backend = getBackend()): Tensor {
    const ids = this.indices(samples, backend);
    if (ids.rank === 1 && this.outputMode !== 'int' && this.outputMode !== 'one_hot') {
      const column = reshape(ids, [ids.shape[0], 1]);
      ids.dispose();
      return column;
    }
    return ids;
  }

  override build(inputShape: PartialShape): void {
    this.computeOutputShape(inputShape);
    if (this.outputMode !== 'int') this.builtDepth = this.vocab.depth;
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    if (this.outputMode === 'int') return s;
    if (!this.padToMaxTokens) this.requireVocabulary();
    const depth = this.vocab.depth;
    if (this.outputMode === 'one_hot')
      return s.length > 1 && s[s.length - 1] === 1 ? [...s.slice(0, -1), depth] : [...s, depth];
    return [...s.slice(0, -1), depth];
  }

  /** Strings to indices or encodings; a tensor of indices (from encodeStrings) to encodings; with invert, indices to tokens. */
  override forward(x: Tensor | StringSamples | IndexSamples): StringLookupOutput<I> {
    if (this.invert) return this.tokensOf(x) as StringLookupOutput<I>;
    if (x instanceof TensorClass) return this.encode(x) as StringLookupOutput<I>;
    const ids = this.indices(x as StringSamples, getBackend());
    if (this.outputMode === 'int') return ids as StringLookupOutput<I>;
    try {
      return this.encode(ids) as StringLookupOutput<I>;
    } finally {
      ids.dispose();
    }
  }

  /** Indices to this mode's output. */
  private encode(ids: Tensor): Tensor {
    if (ids.dtype !== 'int32')
      throw new DTypeError(
        `${this.label}: expects strings, or their int32 indices from encodeStrings; got a ${ids.dtype} tensor`,
      );
    if (this.outputMode === 'int') return ids;
    if (!this.padToMaxTokens) this.requireVocabulary();
    const depth = this.vocab.depth;
    if (this.outputMode === 'one_hot') {
      checkIds(this.label, ids, depth);
      return tidy(() => {
        const squeezed = ids.rank > 1 && ids.shape[ids.rank - 1] === 1 ? reshape(ids, ids.shape.slice(0, -1)) : ids;
        return oneHotUnchecked(squeezed, depth);
      });
    }
    if (ids.rank !== 1 && ids.rank !== 2)
      throw new ShapeError(
        `${this.label}: '${this.outputMode}' encodes rows of indices; got shape [${ids.shape.join(',')}]`,
      );
    const mode = this.outputMode as BagMode;
    const idf = mode === 'tf_idf' ? this.vocab.idfWeights() : null;
    // A flat list is one sample (Keras' bincount over a rank-1 input).
    if (ids.rank === 1)
      return tidy(() => reshape(bagOfTokens(this.label, reshape(ids, [1, ids.shape[0]]), depth, mode, idf), [depth]));
    return bagOfTokens(this.label, ids, depth, mode, idf);
  }

  /** invert: indices (a tensor or nested numbers, rank 1 or 2) to tokens. */
  private tokensOf(x: unknown): string[] | string[][] {
    this.requireVocabulary();
    let values: ArrayLike<number>;
    let shape: readonly number[];
    if (x instanceof TensorClass) {
      if (x.dtype !== 'int32')
        throw new DTypeError(`${this.label}: with invert it expects int32 indices, got a ${x.dtype} tensor`);
      values = x.dataSync();
      shape = x.shape;
    } else if (Array.isArray(x) && (x.length === 0 || !Array.isArray(x[0]))) {
      values = x as number[];
      shape = [x.length];
    } else if (Array.isArray(x)) {
      const rows = x as unknown[];
      const m = (rows[0] as unknown[]).length;
      const bad = rows.findIndex((r) => !Array.isArray(r) || r.length !== m);
      if (bad >= 0)
        throw new ShapeError(
          `${this.label}: with invert it expects rows of equal length, got ${quote(rows[bad])} in row ${bad} (row 0 has ${m})`,
        );
      values = (rows as number[][]).flat();
      shape = [rows.length, m];
    } else
      throw new ArgumentError(
        `${this.label}: with invert it expects indices (an int32 tensor or a list of integers), got ${quote(x)}`,
      );
    if (shape.length !== 1 && shape.length !== 2)
      throw new ShapeError(
        `${this.label}: with invert it expects indices of rank 1 or 2, got shape [${shape.join(',')}]`,
      );
    const tokens: string[] = [];
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isSafeInteger(v))
        throw new ArgumentError(
          `${this.label}: with invert it expects integer indices, got ${quote(v)} at position ${i}`,
        );
      tokens.push(this.vocab.token(v));
    }
    if (shape.length === 1) return tokens;
    const m = shape[1];
    return Array.from({ length: shape[0] }, (_, i) => tokens.slice(i * m, (i + 1) * m));
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      maxTokens: this.maxTokens,
      numOovIndices: this.numOovIndices,
      maskToken: this.maskToken,
      oovToken: this.oovToken,
      invert: this.invert,
      outputMode: this.outputMode,
      padToMaxTokens: this.padToMaxTokens,
      vocabulary: this.vocab.known ? this.vocab.list(true) : null,
      idfWeights: this.vocab.idfList(),
    };
  }
}
