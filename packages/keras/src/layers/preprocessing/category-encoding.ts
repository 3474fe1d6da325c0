import { ArgumentError, DTypeError, type Tensor, cast, reshape, tidy } from '@tsdl/tensor';
import { checkIndexRange, oneHotUnchecked } from '@tsdl/tensor/internal';
import { quote } from '../../names';
import { bagOfTokens } from '../categorical-encoding';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape } from '../layer';
import { layerOptions } from '../layer-config';
import { optionalBool, positiveInt } from '../options';

export type CategoryEncodingMode = 'one_hot' | 'multi_hot' | 'count';

export interface CategoryEncodingArgs extends LayerArgs {
  /** How many categories: inputs are integers in [0, numTokens). Required. */
  numTokens: number;
  /** 'multi_hot' (default; Keras' older 'binary' is accepted as it), 'one_hot' or 'count'. */
  outputMode?: CategoryEncodingMode | 'binary';
  /** Keras' sparse outputs: only false is supported. */
  sparse?: boolean;
}

/**
 * Keras' CategoryEncoding: integer categories to float32 vectors of numTokens.
 * 'one_hot' encodes each value ([batch] or [batch, 1] → [batch, numTokens];
 * [batch, k] → [batch, k, numTokens]); 'multi_hot' marks the categories present
 * in each sample's last axis and 'count' counts them ([batch, k] →
 * [batch, numTokens]). Values outside [0, numTokens) are an error, as in Keras.
 */
export class CategoryEncoding extends Layer {
  readonly numTokens: number;
  readonly outputMode: CategoryEncodingMode;

  constructor(config: CategoryEncodingArgs) {
    const a = layerOptions(
      'CategoryEncoding',
      config,
      'an options object ({ numTokens, outputMode })',
      [...LAYER_OPTIONS, 'numTokens', 'outputMode', 'sparse'],
      new.target === CategoryEncoding,
    );
    super(a);
    if (a.numTokens === undefined || a.numTokens === null)
      throw new ArgumentError(
        `${this.label}: numTokens is required (the number of categories); for an unknown vocabulary use a lookup layer first`,
      );
    this.numTokens = positiveInt(this.label, 'numTokens', a.numTokens);
    const mode: unknown = a.outputMode ?? 'multi_hot';
    if (mode !== 'one_hot' && mode !== 'multi_hot' && mode !== 'count' && mode !== 'binary') {
      throw new ArgumentError(
        `${this.label}: outputMode must be 'one_hot', 'multi_hot' or 'count', got ${quote(mode)}`,
      );
    }
    this.outputMode = mode === 'binary' ? 'multi_hot' : mode;
    if (optionalBool(this.label, 'sparse', a.sparse, false))
      throw new ArgumentError(`${this.label}: sparse outputs are not supported; leave sparse false`);
    this.built = true;
  }

  override get className(): string {
    return 'CategoryEncoding';
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    const n = this.numTokens;
    if (this.outputMode === 'one_hot')
      return s.length > 1 && s[s.length - 1] === 1 ? [...s.slice(0, -1), n] : [...s, n];
    // A rank-1 input is one category per sample (tf.keras 2 and TF.js; Keras 3 would take it as one sample).
    return s.length === 1 ? [s[0], n] : [...s.slice(0, -1), n];
  }

  private indices(x: Tensor): Tensor {
    if (x.dtype === 'int32') return x;
    if (x.dtype === 'float32') return cast(x, 'int32');
    throw new DTypeError(
      `${this.label}: inputs must be integer categories (int32, or float32 holding integers), got ${x.dtype}`,
    );
  }

  override forward(x: Tensor): Tensor {
    return tidy(() => encodeCategories(this.label, this.indices(x), this.numTokens, this.outputMode));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), numTokens: this.numTokens, outputMode: this.outputMode, sparse: false };
  }
}

/**
 * Integer categories (int32, each in [0, n)) as CategoryEncoding encodes them in `mode`; also
 * the output modes of Discretization, Hashing and IntegerLookup. Errors name `label`.
 */
export function encodeCategories(label: string, ids: Tensor, n: number, mode: CategoryEncodingMode): Tensor {
  return tidy(() => {
    checkIndexRange(
      ids,
      n,
      (v, i) => new ArgumentError(`${label}: input value ${v} at position ${i} is outside [0, ${n}) (numTokens ${n})`),
      { deviceCheck: label },
    );
    const s = ids.shape;
    if (mode === 'one_hot')
      return oneHotUnchecked(s.length > 1 && s[s.length - 1] === 1 ? reshape(ids, s.slice(0, -1)) : ids, n);
    if (s.length === 0) return bagOfTokens(label, reshape(ids, [1, 1]), n, mode, null).reshape([n]);
    const last = s.length === 1 ? 1 : s[s.length - 1];
    const lead = s.length === 1 ? [s[0]] : s.slice(0, -1);
    const rows = lead.reduce((p, q) => p * q, 1);
    return bagOfTokens(label, reshape(ids, [rows, last]), n, mode, null).reshape([...lead, n]);
  });
}
