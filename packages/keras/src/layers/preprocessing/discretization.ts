import {
  ArgumentError,
  DTypeError,
  type Tensor,
  Tensor as TensorClass,
  cast,
  ge,
  sum,
  tensor,
  tidy,
  unsqueeze,
} from '@tsdl/tensor';
import { quote } from '../../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape } from '../layer';
import { layerOptions } from '../layer-config';
import { optionalBool } from '../options';
import { type CategoryEncodingMode, encodeCategories } from './category-encoding';
import { binBoundaries, mergeSummaries, summarize } from './quantile-summary';

export type DiscretizationMode = 'int' | CategoryEncodingMode;

export interface DiscretizationArgs extends LayerArgs {
  /** Increasing bin edges: bucket i holds binBoundaries[i−1] <= x < binBoundaries[i]. */
  binBoundaries?: number[] | null;
  /** Buckets to learn with adapt (binBoundaries then has numBins − 1 edges). */
  numBins?: number | null;
  /** The quantile summary's error tolerance in adapt (default 0.01). */
  epsilon?: number;
  /** 'int' (default): the bucket index; or 'one_hot', 'multi_hot', 'count' over numBins buckets. */
  outputMode?: DiscretizationMode;
  /** Keras' sparse outputs: only false. */
  sparse?: boolean;
}

const OPTIONS = [...LAYER_OPTIONS, 'binBoundaries', 'numBins', 'epsilon', 'outputMode', 'sparse'];

/**
 * Keras' Discretization: buckets continuous values by bin boundaries, given or learned with
 * `adapt(data)` from Keras' quantile summary (the same numbers as Keras' numpy code, see
 * quantile-summary.ts). 'int' gives the bucket index (int32, the input's shape; Keras:
 * int64), computed on the input's device as the count of boundaries <= x (numpy.digitize).
 */
export class Discretization extends Layer {
  readonly numBins: number | null;
  readonly epsilon: number;
  readonly outputMode: DiscretizationMode;
  /** Given at construction (then adapt is refused, as in Keras). */
  private readonly given: boolean;
  private boundaries: number[] | null;

  constructor(config: DiscretizationArgs = {}) {
    const a = layerOptions(
      'Discretization',
      config,
      'an options object ({ binBoundaries } or { numBins })',
      OPTIONS,
      new.target === Discretization,
    );
    super(a);
    const who = this.label;
    const nb: unknown = a.numBins ?? null;
    if (nb !== null && (typeof nb !== 'number' || !Number.isSafeInteger(nb) || nb < 1))
      throw new ArgumentError(`${who}: numBins must be a positive integer or null, got ${quote(nb)}`);
    this.numBins = nb;
    const bb: unknown = a.binBoundaries ?? null;
    if (bb !== null) {
      if (!Array.isArray(bb) || !bb.every((v) => typeof v === 'number' && Number.isFinite(v)))
        throw new ArgumentError(`${who}: binBoundaries must be a list of finite numbers, got ${quote(bb)}`);
      const down = bb.findIndex((v, i) => i > 0 && v < bb[i - 1]);
      if (down >= 0)
        throw new ArgumentError(
          `${who}: binBoundaries must be sorted in increasing order, got ${bb[down - 1]} before ${bb[down]}`,
        );
      if (nb !== null && bb.length !== nb - 1)
        throw new ArgumentError(
          `${who}: binBoundaries has ${bb.length} edges but numBins ${nb} needs ${nb - 1} (numBins − 1)`,
        );
    }
    this.given = bb !== null;
    this.boundaries = bb === null ? null : [...(bb as number[])];
    const eps: unknown = a.epsilon ?? 0.01;
    if (typeof eps !== 'number' || !(eps > 0 && eps < 1))
      throw new ArgumentError(`${who}: epsilon must be in (0, 1), got ${quote(eps)}`);
    this.epsilon = eps;
    const mode: unknown = a.outputMode ?? 'int';
    if (!['int', 'one_hot', 'multi_hot', 'count'].includes(mode as string))
      throw new ArgumentError(
        `${who}: outputMode must be 'int', 'one_hot', 'multi_hot' or 'count', got ${quote(mode)}`,
      );
    this.outputMode = mode as DiscretizationMode;
    if (optionalBool(who, 'sparse', a.sparse, false))
      throw new ArgumentError(`${who}: sparse outputs are not supported; leave sparse false`);
    if (bb === null && nb === null)
      throw new ArgumentError(`${who}: give binBoundaries, or numBins and then adapt(data)`);
    this.built = true;
  }

  override get className(): string {
    return 'Discretization';
  }

  /** The bin boundaries (given or learned), or null before adapt. */
  get binBoundaries(): number[] | null {
    return this.boundaries === null ? null : [...this.boundaries];
  }

  /**
   * Learns numBins − 1 boundaries from `data` (a tensor or nested lists of numbers, read on
   * the host as float32) as Keras' adapt does on one batch: a quantile summary within
   * epsilon, then its compression to numBins buckets.
   */
  adapt(data: Tensor | number[] | number[][]): void {
    if (this.given)
      throw new ArgumentError(
        `${this.label}: was made with binBoundaries, so it cannot adapt (as in Keras); make it with numBins instead`,
      );
    let values: Float32Array;
    if (data instanceof TensorClass) {
      data.assertAlive(this.label);
      if (data.dtype !== 'float32' && data.dtype !== 'int32')
        throw new DTypeError(`${this.label}: adapt expects numbers, got a ${data.dtype} tensor`);
      values = Float32Array.from(data.dataSync() as ArrayLike<number>);
    } else {
      const flat = Array.isArray(data) ? (data as unknown[]).flat(Infinity) : [data];
      const bad = flat.findIndex((v) => typeof v !== 'number' || Number.isNaN(v));
      if (bad >= 0)
        throw new ArgumentError(`${this.label}: adapt expects numbers, got ${quote(flat[bad])} at position ${bad}`);
      values = Float32Array.from(flat as number[]);
    }
    if (values.length === 0) throw new ArgumentError(`${this.label}: adapt needs at least one value`);
    const summary = mergeSummaries(summarize(values, this.epsilon), { values: [], weights: [] }, this.epsilon);
    this.boundaries = binBoundaries(summary, this.numBins as number);
  }

  private requireBoundaries(): number[] {
    if (this.boundaries === null)
      throw new ArgumentError(`${this.label}: has no bin boundaries; call adapt(data) first (or give binBoundaries)`);
    return this.boundaries;
  }

  /** Buckets in the output encodings: the boundaries plus one. */
  get depth(): number {
    return this.boundaries === null ? (this.numBins as number) : this.boundaries.length + 1;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    const d = this.depth;
    if (this.outputMode === 'int') return s;
    if (this.outputMode === 'one_hot')
      return s.length > 1 && s[s.length - 1] === 1 ? [...s.slice(0, -1), d] : [...s, d];
    return s.length === 1 ? [s[0], d] : [...s.slice(0, -1), d];
  }

  override forward(x: Tensor): Tensor {
    const edges = this.requireBoundaries();
    if (!(x instanceof TensorClass)) throw new ArgumentError(`${this.label}: input must be a Tensor, got ${quote(x)}`);
    x.assertAlive(this.label);
    if (x.dtype !== 'float32' && x.dtype !== 'int32')
      throw new DTypeError(`${this.label}: expects numbers (float32 or int32), got ${x.dtype}`);
    return tidy(() => {
      const v = x.dtype === 'float32' ? x : cast(x, 'float32');
      const ids =
        edges.length === 0
          ? cast(v.mul(0), 'int32')
          : cast(
              sum(
                cast(
                  ge(
                    unsqueeze(v, -1),
                    tensor(Float32Array.from(edges), [edges.length], 'float32', { backend: x.backend }),
                  ),
                  'int32',
                ),
                -1,
              ),
              'int32',
            );
      return this.outputMode === 'int' ? ids : encodeCategories(this.label, ids, this.depth, this.outputMode);
    });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      binBoundaries: this.binBoundaries,
      numBins: this.numBins,
      epsilon: this.epsilon,
      outputMode: this.outputMode,
      sparse: false,
    };
  }
}
