import { ArgumentError, DTypeError, ShapeError, type Tensor, Tensor as TensorClass, tensor } from '@tsdl/tensor';
import { quote } from '../../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape } from '../layer';
import { layerOptions } from '../layer-config';
import { optionalBool, positiveInt } from '../options';
import { type CategoryEncodingMode, encodeCategories } from './category-encoding';
import { fingerprint64 } from './fingerprint64';
import { siphash24 } from './siphash';

export type HashingMode = 'int' | CategoryEncodingMode;

export interface HashingArgs extends LayerArgs {
  /** Hash bins, the mask bin included when maskValue is set. Required. */
  numBins: number;
  /** A value (string or integer) mapped to bin 0; the others then hash into bins 1..numBins−1. */
  maskValue?: string | number | null;
  /** Use SipHash-2-4 keyed with the salt (an integer, or two: [k0, k1]) instead of FarmHash. */
  salt?: number | [number, number] | null;
  /** 'int' (default): the bin; or 'one_hot', 'multi_hot', 'count' over numBins. */
  outputMode?: HashingMode;
  /** Keras' sparse outputs: only false. */
  sparse?: boolean;
}

const OPTIONS = [...LAYER_OPTIONS, 'numBins', 'maskValue', 'salt', 'outputMode', 'sparse'];

/** Values a Hashing layer takes when not a tensor: strings or integers, flat or in rows. */
export type HashSamples = readonly (string | number)[] | readonly (readonly (string | number)[])[];

const encoder = new TextEncoder();

/**
 * Keras' Hashing: strings and integers to bins by a stable hash, as TensorFlow computes it:
 * every value is written as a string (integers in decimal; float32 values truncated to
 * integers first, as Keras casts floats to int64), its UTF-8 bytes hashed with FarmHash's
 * Fingerprint64 (tf.strings.to_hash_bucket_fast), or with a salt SipHash-2-4 keyed
 * [salt0, salt1] (to_hash_bucket_strong), modulo the bins. The hashing runs on the host (it
 * reads a tensor input); bins are int32 (Keras: int64).
 */
export class Hashing extends Layer {
  readonly numBins: number;
  readonly maskValue: string | number | null;
  readonly salt: [number, number] | null;
  readonly outputMode: HashingMode;

  constructor(config: HashingArgs | number) {
    const a =
      typeof config === 'number'
        ? { numBins: config }
        : layerOptions(
            'Hashing',
            config,
            'numBins or an options object ({ numBins, maskValue, salt, outputMode })',
            OPTIONS,
            new.target === Hashing,
          );
    super(a);
    const who = this.label;
    if (a.numBins === undefined || a.numBins === null) throw new ArgumentError(`${who}: numBins is required`);
    this.numBins = positiveInt(who, 'numBins', a.numBins);
    const mask: unknown = a.maskValue ?? null;
    if (mask !== null && typeof mask !== 'string' && !(typeof mask === 'number' && Number.isSafeInteger(mask)))
      throw new ArgumentError(`${who}: maskValue must be a string, an integer or null, got ${quote(mask)}`);
    this.maskValue = mask;
    const salt: unknown = a.salt ?? null;
    const word = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    if (salt === null) this.salt = null;
    else if (word(salt)) this.salt = [salt, salt];
    else if (Array.isArray(salt) && salt.length === 2 && salt.every(word)) this.salt = [salt[0], salt[1]];
    else
      throw new ArgumentError(
        `${who}: salt must be an integer >= 0, a list of two of them, or null, got ${quote(salt)}`,
      );
    const mode: unknown = a.outputMode ?? 'int';
    if (!['int', 'one_hot', 'multi_hot', 'count'].includes(mode as string))
      throw new ArgumentError(
        `${who}: outputMode must be 'int', 'one_hot', 'multi_hot' or 'count', got ${quote(mode)}`,
      );
    this.outputMode = mode as HashingMode;
    if (optionalBool(who, 'sparse', a.sparse, false))
      throw new ArgumentError(`${who}: sparse outputs are not supported; leave sparse false`);
    this.built = true;
  }

  override get className(): string {
    return 'Hashing';
  }

  /** The bin of one value's string form. */
  private bin(text: string): number {
    const hashBins = this.maskValue !== null && this.numBins > 1 ? this.numBins - 1 : this.numBins;
    const bytes = encoder.encode(text);
    const h = this.salt ? siphash24(BigInt(this.salt[0]), BigInt(this.salt[1]), bytes) : fingerprint64(bytes);
    return Number(h % BigInt(hashBins)) + (hashBins < this.numBins ? 1 : 0);
  }

  private binOf(v: string | number): number {
    if (this.maskValue !== null && v === this.maskValue && this.numBins > 1) return 0;
    return this.bin(typeof v === 'string' ? v : String(Math.trunc(v)));
  }

  /** The values of the input with its shape: a tensor (int32 or float32, read on the host) or lists of strings or integers. */
  private valuesOf(x: unknown): { values: ArrayLike<string | number>; shape: number[] } {
    if (x instanceof TensorClass) {
      x.assertAlive(this.label);
      if (x.dtype !== 'int32' && x.dtype !== 'float32')
        throw new DTypeError(`${this.label}: expects strings or numbers (int32 or float32), got a ${x.dtype} tensor`);
      return { values: x.dataSync() as ArrayLike<number>, shape: [...x.shape] };
    }
    const ok = (v: unknown): v is string | number =>
      typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
    if (!Array.isArray(x))
      throw new ArgumentError(
        `${this.label}: expects a tensor, or a list of strings or integers (or of rows of them), got ${quote(x)}`,
      );
    const rows = x.length > 0 && Array.isArray(x[0]);
    const flat: unknown[] = rows ? [] : x;
    if (rows) {
      const m = (x[0] as unknown[]).length;
      x.forEach((r, i) => {
        if (!Array.isArray(r) || r.length !== m)
          throw new ShapeError(
            `${this.label}: expects rows of equal length, got ${quote(r)} in row ${i} (row 0 has ${m})`,
          );
        flat.push(...r);
      });
    }
    const bad = flat.findIndex((v) => !ok(v));
    if (bad >= 0)
      throw new ArgumentError(`${this.label}: expects strings or numbers, got ${quote(flat[bad])} at position ${bad}`);
    return { values: flat as (string | number)[], shape: rows ? [x.length, (x[0] as unknown[]).length] : [x.length] };
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    const n = this.numBins;
    if (this.outputMode === 'int') return s;
    if (this.outputMode === 'one_hot')
      return s.length > 1 && s[s.length - 1] === 1 ? [...s.slice(0, -1), n] : [...s, n];
    return s.length === 1 ? [s[0], n] : [...s.slice(0, -1), n];
  }

  /** The bins (int32, the input's shape) or their encoding. */
  override forward(x: Tensor | HashSamples): Tensor {
    const { values, shape } = this.valuesOf(x);
    const bins = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) bins[i] = this.binOf(values[i]);
    const ids = tensor(bins, shape, 'int32', { backend: x instanceof TensorClass ? x.backend : undefined });
    if (this.outputMode === 'int') return ids;
    try {
      return encodeCategories(this.label, ids, this.numBins, this.outputMode);
    } finally {
      ids.dispose();
    }
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      numBins: this.numBins,
      maskValue: this.maskValue,
      salt: this.salt,
      outputMode: this.outputMode,
      sparse: false,
    };
  }
}
