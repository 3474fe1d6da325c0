import { ArgumentError, DTypeError, ShapeError, type Tensor, Tensor as TensorClass, tensor } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { quote } from '../../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, SymbolicTensor, fmtKerasShape } from '../layer';
import { layerOptions } from '../layer-config';
import { optionalBool, positiveInt } from '../options';
import { encodeCategories } from './category-encoding';
import { fingerprint64 } from './fingerprint64';

export interface HashedCrossingArgs extends LayerArgs {
  /** Hash bins of the crossed values. Required. */
  numBins: number;
  /** 'int' (default): the bin; or 'one_hot' over numBins. */
  outputMode?: 'int' | 'one_hot';
  /** Keras' sparse outputs: only false. */
  sparse?: boolean;
}

/** One feature: a tensor (int32 or float32, read on the host), or a list of strings or integers. */
export type CrossFeature = Tensor | readonly (string | number)[] | readonly (readonly (string | number)[])[];

const OPTIONS = [...LAYER_OPTIONS, 'numBins', 'outputMode', 'sparse'];

const M = (1n << 64n) - 1n;
const KMUL = 0xc6a4a7935bd1e995n;
/** tf.sparse.cross_hashed's default hash_key. */
const HASH_KEY = 0xdecafcaffen;
const encoder = new TextEncoder();

const shiftMix = (v: bigint): bigint => v ^ (v >> 47n);

/** TensorFlow's FingerprintCat64: a 64-bit fingerprint of two fingerprints, in order. */
export function fingerprintCat64(fp1: bigint, fp2: bigint): bigint {
  let r = fp1 ^ KMUL;
  r ^= (shiftMix((fp2 * KMUL) & M) * KMUL) & M;
  r = (r * KMUL) & M;
  r = (shiftMix(r) * KMUL) & M;
  return shiftMix(r);
}

/**
 * Keras' HashedCrossing: crosses two or more categorical features by the hashing trick,
 * as tf.sparse.cross_hashed does (what Keras runs): starting from the hash key
 * 0xDECAFCAFFE, each feature's value is folded in with FingerprintCat64, a string as its
 * FarmHash Fingerprint64 (Hashing's fingerprint) and an integer as its 64-bit value
 * (float32 values truncated, as Keras casts them); the result modulo numBins is the bin.
 * Features are scalars or batches of scalars ([batch], [batch, 1] or []), all of one
 * shape; `call([a, b, ...])`. The hashing runs on the host; bins are int32 (Keras: int64).
 */
export class HashedCrossing extends Layer {
  readonly numBins: number;
  readonly outputMode: 'int' | 'one_hot';

  constructor(config: HashedCrossingArgs | number) {
    const a =
      typeof config === 'number'
        ? { numBins: config }
        : layerOptions(
            'HashedCrossing',
            config,
            'numBins or an options object ({ numBins, outputMode })',
            OPTIONS,
            new.target === HashedCrossing,
          );
    super(a);
    const who = this.label;
    if (a.numBins === undefined || a.numBins === null) throw new ArgumentError(`${who}: numBins is required`);
    this.numBins = positiveInt(who, 'numBins', a.numBins);
    const mode: unknown = a.outputMode ?? 'int';
    if (mode !== 'int' && mode !== 'one_hot')
      throw new ArgumentError(`${who}: outputMode must be 'int' or 'one_hot', got ${quote(mode)}`);
    this.outputMode = mode;
    if (optionalBool(who, 'sparse', a.sparse, false))
      throw new ArgumentError(`${who}: sparse outputs are not supported; leave sparse false`);
    this.built = true;
  }

  override get className(): string {
    return 'HashedCrossing';
  }

  private checkShape(s: PartialShape, what: string): void {
    if (!(s.length <= 1 || (s.length === 2 && s[1] === 1))) {
      throw new ShapeError(
        `${this.label}: crosses scalars or batches of scalars ([batch], [batch, 1] or []), got ${what} of shape ${fmtKerasShape(s)}`,
      );
    }
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    this.checkShape(s, 'a feature');
    if (this.outputMode === 'int') return s;
    return s.length === 0 ? [this.numBins] : [s[0], this.numBins];
  }

  /** One feature's values (fingerprints of strings, 64-bit integers) with its shape. */
  private featureOf(x: unknown, i: number): { values: bigint[]; shape: number[] } {
    const who = this.label;
    if (x instanceof TensorClass) {
      x.assertAlive(who);
      if (x.dtype !== 'int32' && x.dtype !== 'float32')
        throw new DTypeError(
          `${who}: feature ${i} must hold strings or numbers (int32 or float32), got a ${x.dtype} tensor`,
        );
      this.checkShape([...x.shape], `feature ${i}`);
      return {
        values: Array.from(x.dataSync() as ArrayLike<number>, (v) => BigInt.asUintN(64, BigInt(Math.trunc(v)))),
        shape: [...x.shape],
      };
    }
    if (!Array.isArray(x))
      throw new ArgumentError(
        `${who}: feature ${i} must be a tensor or a list of strings or integers, got ${quote(x)}`,
      );
    const rows = x.length > 0 && Array.isArray(x[0]);
    const flat: unknown[] = rows ? x.map((r) => (Array.isArray(r) && r.length === 1 ? r[0] : Symbol('bad'))) : x;
    const bad = flat.findIndex((v) => typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v)));
    if (bad >= 0) {
      throw new ArgumentError(
        `${who}: feature ${i} must hold strings or numbers, ${rows ? 'in rows of one' : 'one per sample'}; got ${quote(rows ? x[bad] : flat[bad])} at position ${bad}`,
      );
    }
    const values = (flat as (string | number)[]).map((v) =>
      typeof v === 'string' ? fingerprint64(encoder.encode(v)) : BigInt.asUintN(64, BigInt(Math.trunc(v))),
    );
    return { values, shape: rows ? [x.length, 1] : [x.length] };
  }

  override forward(features: readonly CrossFeature[]): Tensor {
    const who = this.label;
    if (!Array.isArray(features) || features.length < 2) {
      throw new ArgumentError(
        `${who}: expects a list of at least two features, got ${Array.isArray(features) ? `${features.length}` : quote(features)}`,
      );
    }
    const cols = features.map((f, i) => this.featureOf(f, i));
    const shape = cols[0].shape;
    const other = cols.findIndex((c) => fmtShape(c.shape) !== fmtShape(shape));
    if (other >= 0)
      throw new ShapeError(
        `${who}: every feature must have the same shape; feature 0 is ${fmtShape(shape)}, feature ${other} is ${fmtShape(cols[other].shape)}`,
      );
    const n = cols[0].values.length;
    const bins = new Int32Array(n);
    const buckets = BigInt(this.numBins);
    for (let r = 0; r < n; r++) {
      let h = HASH_KEY;
      for (const c of cols) h = fingerprintCat64(h, c.values[r]);
      bins[r] = Number(h % buckets);
    }
    const like = features.find((f): f is Tensor => f instanceof TensorClass);
    const ids = tensor(bins, shape, 'int32', { backend: like?.backend });
    if (this.outputMode === 'int') return ids;
    try {
      return encodeCategories(who, ids, this.numBins, 'one_hot');
    } finally {
      ids.dispose();
    }
  }

  // ---- functional models: the features are the node's inputs ----

  override applySymbolic(inputs: SymbolicTensor[], callArgs: Record<string, unknown> | null): SymbolicTensor {
    if (inputs.length < 2)
      throw new ArgumentError(
        `${this.label} crosses two or more features, got ${inputs.length} symbolic tensor(s); apply it as layer.apply([a, b])`,
      );
    if (callArgs !== null)
      throw new ArgumentError(`${this.label}: apply takes no call options, got ${quote(callArgs)}`);
    inputs.forEach((t, i) => this.checkShape(t.shape, `feature ${i}`));
    return new SymbolicTensor(this.computeOutputShape(inputs[0].shape), this, inputs, false);
  }

  override runNode(inputs: Tensor[]): { output: Tensor; mask: Tensor | null } {
    return { output: this.forward(inputs), mask: null };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), numBins: this.numBins, outputMode: this.outputMode, sparse: false };
  }
}
