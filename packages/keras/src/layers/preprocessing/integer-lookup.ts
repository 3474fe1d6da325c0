import {
  ArgumentError,
  DTypeError,
  ShapeError,
  type Tensor,
  Tensor as TensorClass,
  reshape,
  tensor,
  tidy,
} from '@tsdl/tensor';
import { oneHotUnchecked } from '@tsdl/tensor/internal';
import { quote } from '../../names';
import { type BagMode, bagOfTokens, checkIds } from '../categorical-encoding';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape } from '../layer';
import { layerOptions } from '../layer-config';
import { LookupVocabulary, type OutputMode } from '../lookup-vocabulary';
import { optionalBool, positiveInt } from '../options';

export interface IntegerLookupArgs extends LayerArgs {
  /** The largest vocabulary, reserved indices (mask, OOV) included. */
  maxTokens?: number | null;
  /** Indices for unknown values (default 1); 0 makes an unknown value an error; n > 1 spreads them by value mod n, as Keras. */
  numOovIndices?: number;
  /** A value for padding: index 0 in 'int' mode, dropped in the others (default null: none). */
  maskToken?: number | null;
  /** What invert gives for an OOV index (default -1). */
  oovToken?: number;
  vocabulary?: number[] | null;
  /** Keras' dtype of the vocabulary: 'int64' (default) or 'int32'; values are int32 here either way. */
  vocabularyDtype?: 'int64' | 'int32';
  /** 'tf_idf' with a given vocabulary: one weight per vocabulary entry. */
  idfWeights?: number[] | null;
  /** Map indices back to values ('int' mode only). */
  invert?: boolean;
  outputMode?: OutputMode;
  /** Keras' sparse outputs: only false. */
  sparse?: boolean;
  padToMaxTokens?: boolean;
}

const OPTIONS = [
  ...LAYER_OPTIONS,
  'maxTokens',
  'numOovIndices',
  'maskToken',
  'oovToken',
  'vocabulary',
  'vocabularyDtype',
  'idfWeights',
  'invert',
  'outputMode',
  'sparse',
  'padToMaxTokens',
];
const MODES = ['int', 'one_hot', 'multi_hot', 'count', 'tf_idf'];

/** Integers by sample, when not a tensor. */
export type IntegerSamples = number | readonly number[] | readonly (readonly number[])[];

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/**
 * Keras' IntegerLookup: StringLookup for integers. Maps integer values to indices of a
 * vocabulary given or learned with `adapt` (Keras' layout: the mask value, if any, at 0 in
 * 'int' mode, then the OOV indices, then the values by frequency, ties by value descending),
 * or with outputMode 'one_hot', 'multi_hot', 'count' or 'tf_idf' to encodings; with invert,
 * indices back to values. Takes int32 tensors or lists of integers; the lookup runs on the
 * host (it reads the input), as a preprocessing step.
 */
export class IntegerLookup extends Layer {
  readonly maxTokens: number | null;
  readonly numOovIndices: number;
  readonly maskToken: number | null;
  readonly oovToken: number;
  readonly vocabularyDtype: 'int64' | 'int32';
  readonly invert: boolean;
  readonly outputMode: OutputMode;
  readonly padToMaxTokens: boolean;
  private vocab: LookupVocabulary;
  private builtDepth: number | null = null;

  constructor(config: IntegerLookupArgs = {}) {
    const a = layerOptions(
      'IntegerLookup',
      config,
      'an options object ({ vocabulary, maxTokens, ... })',
      OPTIONS,
      new.target === IntegerLookup,
    );
    super(a);
    const who = this.label;
    this.maxTokens =
      a.maxTokens === undefined || a.maxTokens === null ? null : positiveInt(who, 'maxTokens', a.maxTokens);
    const oov: unknown = a.numOovIndices ?? 1;
    if (!isInt(oov) || oov < 0)
      throw new ArgumentError(`${who}: numOovIndices must be an integer >= 0, got ${quote(oov)}`);
    this.numOovIndices = oov;
    const mask: unknown = a.maskToken ?? null;
    if (mask !== null && !isInt(mask))
      throw new ArgumentError(`${who}: maskToken must be an integer or null, got ${quote(mask)}`);
    this.maskToken = mask;
    const oovToken: unknown = a.oovToken ?? -1;
    if (!isInt(oovToken)) throw new ArgumentError(`${who}: oovToken must be an integer, got ${quote(oovToken)}`);
    if (oovToken === mask) throw new ArgumentError(`${who}: maskToken and oovToken must differ, both are ${mask}`);
    this.oovToken = oovToken;
    const dtype: unknown = a.vocabularyDtype ?? 'int64';
    if (dtype !== 'int64' && dtype !== 'int32')
      throw new ArgumentError(`${who}: vocabularyDtype must be 'int64' or 'int32', got ${quote(dtype)}`);
    this.vocabularyDtype = dtype;
    this.invert = optionalBool(who, 'invert', a.invert, false);
    const mode: unknown = (a.outputMode as unknown) === 'binary' ? 'multi_hot' : (a.outputMode ?? 'int');
    if (!MODES.includes(mode as string))
      throw new ArgumentError(
        `${who}: outputMode must be 'int', 'one_hot', 'multi_hot', 'count' or 'tf_idf', got ${quote(a.outputMode)}`,
      );
    this.outputMode = mode as OutputMode;
    if (this.invert && mode !== 'int') throw new ArgumentError(`${who}: invert needs outputMode 'int', got '${mode}'`);
    if (optionalBool(who, 'sparse', a.sparse, false))
      throw new ArgumentError(`${who}: sparse outputs are not supported; leave sparse false`);
    this.padToMaxTokens = optionalBool(who, 'padToMaxTokens', a.padToMaxTokens, false);
    this.vocab = this.emptyVocabulary();
    if (a.vocabulary !== undefined && a.vocabulary !== null)
      this.vocab.set(this.asTokens(a.vocabulary, 'vocabulary'), a.idfWeights);
    else if (a.idfWeights !== undefined && a.idfWeights !== null)
      throw new ArgumentError(`${who}: idfWeights needs a vocabulary`);
    this.built = true;
  }

  override get className(): string {
    return 'IntegerLookup';
  }

  private emptyVocabulary(): LookupVocabulary {
    return new LookupVocabulary({
      label: this.label,
      maxTokens: this.maxTokens,
      numOovIndices: this.numOovIndices,
      maskToken: this.maskToken === null ? null : String(this.maskToken),
      oovToken: String(this.oovToken),
      outputMode: this.outputMode,
      padToMaxTokens: this.padToMaxTokens,
      invert: this.invert,
      numeric: true,
    });
  }

  /** Integers (a list) as the vocabulary's tokens, or an ArgumentError naming the entry. */
  private asTokens(values: unknown, what: string): string[] {
    if (!Array.isArray(values))
      throw new ArgumentError(`${this.label}: ${what} must be a list of integers, got ${quote(values)}`);
    const bad = values.findIndex((v) => !isInt(v));
    if (bad >= 0)
      throw new ArgumentError(`${this.label}: ${what} must hold integers, got ${quote(values[bad])} at index ${bad}`);
    return values.map(String);
  }

  /** The values of samples: a tensor (int32) read on the host, or (nested) lists of integers; with their shape. */
  private valuesOf(x: unknown): { values: ArrayLike<number>; shape: number[] } {
    if (x instanceof TensorClass) {
      x.assertAlive(this.label);
      if (x.dtype !== 'int32')
        throw new DTypeError(
          `${this.label}: expects integers (an int32 tensor), got a ${x.dtype} tensor of shape [${x.shape.join(',')}]`,
        );
      return { values: x.dataSync(), shape: [...x.shape] };
    }
    if (isInt(x)) return { values: [x], shape: [] };
    if (Array.isArray(x) && (x.length === 0 || !Array.isArray(x[0])))
      return { values: this.checked(x, (i) => `[${i}]`), shape: [x.length] };
    if (Array.isArray(x)) {
      const m = (x[0] as unknown[]).length;
      const bad = x.findIndex((r) => !Array.isArray(r) || r.length !== m);
      if (bad >= 0)
        throw new ShapeError(
          `${this.label}: expects rows of equal length, got ${quote(x[bad])} in row ${bad} (row 0 has ${m})`,
        );
      const flat = (x as unknown[][]).flat();
      return { values: this.checked(flat, (i) => `[${Math.floor(i / m)}][${i % m}]`), shape: [x.length, m] };
    }
    throw new ArgumentError(`${this.label}: expects integers (an int32 tensor or a list of integers), got ${quote(x)}`);
  }

  private checked(values: unknown[], where: (i: number) => string): number[] {
    const bad = values.findIndex((v) => !isInt(v) || v < -(2 ** 31) || v >= 2 ** 31);
    if (bad >= 0)
      throw new ArgumentError(`${this.label}: expects int32 integers, got ${quote(values[bad])} at ${where(bad)}`);
    return values as number[];
  }

  // ---- vocabulary ----------------------------------------------------------------------

  /** Learns the vocabulary (and in 'tf_idf' mode the idf weights) from integers: each row a document (a flat list: each value one). */
  adapt(data: Tensor | IntegerSamples): void {
    const { values, shape } = this.valuesOf(data);
    if (values.length === 0) throw new ArgumentError(`${this.label}: adapt needs at least one value`);
    const width = shape.length < 2 ? 1 : shape.slice(1).reduce((p, d) => p * d, 1);
    const docs: string[][] = [];
    for (let i = 0; i < values.length; i += width)
      docs.push(Array.from({ length: width }, (_, j) => String(values[i + j])));
    const next = this.emptyVocabulary();
    next.adapt(docs);
    this.install(next);
  }

  /** Replaces the vocabulary (Keras' set_vocabulary); in 'tf_idf' mode with idf weights, one per entry. */
  setVocabulary(vocabulary: number[], idfWeights?: number[]): void {
    const next = this.emptyVocabulary();
    next.set(this.asTokens(vocabulary, 'vocabulary'), idfWeights);
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

  /** Keras' get_vocabulary(): index i holds the value that maps to i (the mask value and the OOV value first). */
  getVocabulary(includeSpecialTokens = true): number[] {
    return this.vocab.list(includeSpecialTokens).map(Number);
  }

  vocabularySize(): number {
    return this.vocab.size;
  }

  private requireVocabulary(): void {
    if (!this.vocab.known)
      throw new ArgumentError(`${this.label}: has no vocabulary; call adapt(values) or give a vocabulary first`);
  }

  // ---- computing -------------------------------------------------------------------------

  override build(inputShape: PartialShape): void {
    this.computeOutputShape(inputShape);
    if (this.outputMode !== 'int' && this.vocab.known) this.builtDepth = this.vocab.depth;
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    if (this.outputMode === 'int') return s;
    if (!this.padToMaxTokens) this.requireVocabulary();
    const depth = this.vocab.depth;
    if (this.outputMode === 'one_hot')
      return s.length > 1 && s[s.length - 1] === 1 ? [...s.slice(0, -1), depth] : [...s, depth];
    return s.length === 1 ? [s[0], depth] : [...s.slice(0, -1), depth];
  }

  /** The index of a value (unknown values spread over the OOV indices by value mod numOovIndices). */
  private indexOf(v: number): number {
    const i = this.vocab.lookup(String(v));
    const start = this.vocab.oovStart;
    if (i !== start || this.numOovIndices <= 1 || v === this.maskToken) return i;
    const n = this.numOovIndices;
    return start + (((v % n) + n) % n);
  }

  /** Values to indices (int32, the input's shape) or encodings; with invert, indices to values. */
  override forward(x: Tensor | IntegerSamples): Tensor {
    this.requireVocabulary();
    const { values, shape } = this.valuesOf(x);
    const backend = x instanceof TensorClass ? x.backend : undefined;
    const out = new Int32Array(values.length);
    if (this.invert) {
      for (let i = 0; i < values.length; i++) out[i] = Number(this.vocab.token(values[i]));
      return tensor(out, shape, 'int32', { backend });
    }
    for (let i = 0; i < values.length; i++) out[i] = this.indexOf(values[i]);
    const ids = tensor(out, shape, 'int32', { backend });
    if (this.outputMode === 'int') return ids;
    try {
      return this.encode(ids);
    } finally {
      ids.dispose();
    }
  }

  /** Indices to this mode's encoding, as StringLookup encodes them (a mask value, NO_TOKEN, counts nowhere). */
  private encode(ids: Tensor): Tensor {
    const depth = this.vocab.depth;
    checkIds(this.label, ids, depth);
    if (this.outputMode === 'one_hot') {
      return tidy(() =>
        oneHotUnchecked(
          ids.rank > 1 && ids.shape[ids.rank - 1] === 1 ? reshape(ids, ids.shape.slice(0, -1)) : ids,
          depth,
        ),
      );
    }
    if (ids.rank > 2)
      throw new ShapeError(
        `${this.label}: '${this.outputMode}' encodes rows of values; got shape [${ids.shape.join(',')}]`,
      );
    const idf = this.outputMode === 'tf_idf' ? this.vocab.idfWeights() : null;
    const mode = this.outputMode as BagMode;
    // A scalar or a flat list is one value per sample (CategoryEncoding's rule).
    if (ids.rank < 2)
      return tidy(() =>
        bagOfTokens(this.label, reshape(ids, [ids.shape.reduce((p, d) => p * d, 1), 1]), depth, mode, idf).reshape([
          ...ids.shape,
          depth,
        ]),
      );
    return bagOfTokens(this.label, ids, depth, mode, idf);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      maxTokens: this.maxTokens,
      numOovIndices: this.numOovIndices,
      maskToken: this.maskToken,
      oovToken: this.oovToken,
      vocabularyDtype: this.vocabularyDtype,
      invert: this.invert,
      outputMode: this.outputMode,
      sparse: false,
      padToMaxTokens: this.padToMaxTokens,
      vocabulary: this.vocab.known ? this.getVocabulary(true) : null,
      idfWeights: this.vocab.idfList(),
    };
  }
}
