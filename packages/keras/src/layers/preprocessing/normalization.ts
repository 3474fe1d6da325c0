import { noGrad } from '@tsdl/autograd';
import { ArgumentError, ShapeError, Tensor, cast, maximum, mean, sqrt, tensor, tidy, variance } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { quote } from '../../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from '../layer';
import { type NumericArray, layerOptions, numericArray } from '../layer-config';
import { optionalBool } from '../options';

type Numbers = number | Numbers[];

export interface NormalizationArgs extends LayerArgs {
  /** The axis or axes with a mean and variance of their own (default -1, the features); null: one mean and variance for everything. */
  axis?: number | number[] | null;
  /** The mean to subtract (with variance); left out, adapt(data) computes both. */
  mean?: Numbers | null;
  variance?: Numbers | null;
  /** Undo the normalisation instead: mean + x · sqrt(variance) (default false). */
  invert?: boolean;
}

/** Keras' backend.epsilon(): the smallest standard deviation divided by. */
const EPSILON = 1e-7;

/** The data adapt takes: a tensor (batch axis first), nested number lists, or a list of such batches. */
export type AdaptData = Tensor | Numbers[] | (Tensor | Numbers[])[];

/**
 * Keras' Normalization: (x − mean) / max(sqrt(variance), 1e-7) per position of
 * `axis`, with mean and variance given or computed from data by `adapt(data)`
 * (over every other axis, the batch axis included; population variance, as
 * NumPy's var). Adapted statistics are non-trainable weights named 'mean' and
 * 'variance', saved with the model; given ones are part of the config.
 */
export class Normalization extends Layer {
  readonly axis: number | number[] | null;
  readonly invert: boolean;
  private readonly meanArg: NumericArray | null;
  private readonly varianceArg: NumericArray | null;
  private readonly meanConfig: Numbers | null;
  private readonly varianceConfig: Numbers | null;
  /** The adapted statistics (weights), when mean and variance are not given. */
  adaptMean: Tensor | null = null;
  adaptVariance: Tensor | null = null;
  private fixedMean: Tensor | null = null;
  private fixedVariance: Tensor | null = null;
  private buildShape: PartialShape = [];
  private keepAxes: number[] = [];
  private reduceAxes: number[] = [];

  constructor(config: NormalizationArgs = {}) {
    const a = layerOptions(
      'Normalization',
      config,
      'an options object ({ axis, mean, variance, invert })',
      [...LAYER_OPTIONS, 'axis', 'mean', 'variance', 'invert'],
      new.target === Normalization,
    );
    super(a);
    const who = this.label;
    const axis: unknown = a.axis === undefined ? -1 : a.axis;
    const axes = axis === null ? [] : Array.isArray(axis) ? axis : [axis];
    if (!axes.every((v) => typeof v === 'number' && Number.isSafeInteger(v)) || new Set(axes).size !== axes.length) {
      throw new ArgumentError(
        `${who}: axis must be an integer, a list of distinct integers or null, got ${quote(axis)}`,
      );
    }
    this.axis = axis === null ? null : Array.isArray(axis) ? [...axis] : (axis as number);
    this.invert = optionalBool(who, 'invert', a.invert, false);
    const m = a.mean ?? null;
    const v = a.variance ?? null;
    if ((m === null) !== (v === null))
      throw new ArgumentError(
        `${who}: give both mean and variance, or neither (adapt computes them); got ${m === null ? 'variance' : 'mean'} alone`,
      );
    this.meanArg = m === null ? null : numericArray(who, 'mean', m);
    this.varianceArg = v === null ? null : numericArray(who, 'variance', v);
    if (this.meanArg && this.varianceArg) {
      if (fmtShape(this.meanArg.shape) !== fmtShape(this.varianceArg.shape)) {
        throw new ArgumentError(
          `${who}: mean and variance must have the same shape, got ${fmtShape(this.meanArg.shape)} and ${fmtShape(this.varianceArg.shape)}`,
        );
      }
      if (this.meanArg.shape.length > axes.length) {
        throw new ArgumentError(
          `${who}: mean of shape ${fmtShape(this.meanArg.shape)} has more axes than axis ${quote(this.axis)} keeps (${axes.length})`,
        );
      }
      if (this.varianceArg.values.some((x) => x < 0))
        throw new ArgumentError(`${who}: variance must be >= 0, got ${quote(v)}`);
    }
    this.meanConfig = m === null ? null : structuredClone(m);
    this.varianceConfig = v === null ? null : structuredClone(v);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'Normalization';
  }

  override get supportsMasking(): boolean {
    return true;
  }

  private get axisList(): number[] {
    return this.axis === null ? [] : Array.isArray(this.axis) ? this.axis : [this.axis];
  }

  override build(inputShape: PartialShape): void {
    const ndim = inputShape.length;
    const who = this.label;
    const keep = this.axisList.map((ax) => {
      if (ax < -ndim || ax >= ndim)
        throw new ShapeError(`${who}: axis ${ax} is out of range for input shape ${fmtKerasShape(inputShape)}`);
      return ax < 0 ? ax + ndim : ax;
    });
    keep.sort((p, q) => p - q);
    for (const d of keep) {
      if (d === 0) {
        throw new ShapeError(
          `${who}: axis ${quote(this.axis)} keeps the batch axis of input shape ${fmtKerasShape(inputShape)}; ` +
            'give samples a feature axis (data of shape [n, 1] for one feature) or use axis null for one mean and variance',
        );
      }
      if (inputShape[d] === null)
        throw new ShapeError(
          `${who}: axis ${d} of input shape ${fmtKerasShape(inputShape)} is kept, so its size must be known`,
        );
    }
    this.keepAxes = keep;
    this.reduceAxes = inputShape.map((_, i) => i).filter((i) => !keep.includes(i));
    this.buildShape = [...inputShape];
    const keptShape = keep.map((d) => inputShape[d] as number);
    if (this.meanArg === null || this.varianceArg === null) {
      this.adaptMean = this.addWeight('mean', keptShape, 'zeros', { trainable: false });
      this.adaptVariance = this.addWeight('variance', keptShape, 'ones', { trainable: false });
    } else {
      // Keras aligns a given mean's axes with the kept axes from the right.
      const expanded = new Array<number>(ndim).fill(1);
      const ms = this.meanArg.shape;
      for (let i = 1; i <= ms.length; i++) {
        const ax = keep[keep.length - i];
        if (ms[ms.length - i] !== 1 && ms[ms.length - i] !== inputShape[ax]) {
          throw new ShapeError(
            `${who}: mean and variance of shape ${fmtShape(ms)} do not fit the kept axes [${keep.join(', ')}] of input shape ${fmtKerasShape(inputShape)}`,
          );
        }
        expanded[ax] = ms[ms.length - i];
      }
      // Constants of the config, not weights: kept, freed with the layer, never saved as weights.
      this.fixedMean = this.registerBuffer('fixed_mean', tensor(this.meanArg.values, expanded, 'float32'), {
        persistent: false,
      });
      this.fixedVariance = this.registerBuffer('fixed_variance', tensor(this.varianceArg.values, expanded, 'float32'), {
        persistent: false,
      });
    }
    this.built = true;
  }

  /** The broadcast shape of the statistics: the kept axes' sizes, 1 elsewhere. */
  private get statShape(): number[] {
    return this.buildShape.map((d, i) => (this.keepAxes.includes(i) ? (d as number) : 1));
  }

  private checkInput(shape: readonly number[], what: string): void {
    const s = this.buildShape;
    if (shape.length !== s.length || this.keepAxes.some((d) => shape[d] !== s[d])) {
      throw new ShapeError(
        `${this.label}: built for input shape ${fmtKerasShape(s)} (axis ${quote(this.axis)}), got ${what} of shape ${fmtShape(shape)}`,
      );
    }
  }

  override forward(x: Tensor): Tensor {
    this.checkInput(x.shape, 'input');
    return tidy(() => {
      const m = this.fixedMean ?? (this.adaptMean as Tensor).reshape(this.statShape);
      const v = this.fixedVariance ?? (this.adaptVariance as Tensor).reshape(this.statShape);
      const xf = x.dtype === 'float32' ? x : cast(x, 'float32');
      const std = maximum(sqrt(v), EPSILON);
      return this.invert ? m.add(xf.mul(std)) : xf.sub(m).div(std);
    });
  }

  /**
   * Computes the mean and variance of `data` over every axis but `axis` (the
   * batch axis included) and stores them in the layer's weights. `data` is a
   * tensor, nested number lists, or a list of batches (combined exactly, as
   * Keras combines a dataset's batches). Builds the layer from the data's shape
   * if it is not built.
   */
  adapt(data: AdaptData): void {
    if (this.meanArg !== null)
      throw new ArgumentError(
        `${this.label}: mean and variance were given, so there is nothing to adapt; make the layer without them to compute them from data`,
      );
    const isBatchList = Array.isArray(data) && data.length > 0 && data.every((b) => b instanceof Tensor);
    const batches = isBatchList ? (data as Tensor[]) : [data];
    if (batches.length === 0) throw new ArgumentError(`${this.label}: adapt got no data`);
    noGrad(() =>
      tidy(() => {
        const ts = batches.map((b, i) => {
          if (b instanceof Tensor) return b;
          if (!Array.isArray(b))
            throw new ArgumentError(
              `${this.label}: adapt takes a Tensor, nested number lists or a list of Tensors, got ${i === 0 && !isBatchList ? quote(b) : `${quote(b)} as batch ${i}`}`,
            );
          return tensor(b as never, undefined, 'float32');
        });
        if (!this.built) this.build([null, ...ts[0].shape.slice(1)]);
        for (const t of ts) this.checkInput(t.shape, 'adapt data');
        let total: { mean: Tensor; variance: Tensor; count: number } | null = null;
        for (const t of ts) {
          const count = this.reduceAxes.reduce((n, d) => n * t.shape[d], 1);
          if (count === 0) continue;
          const xf = t.dtype === 'float32' ? t : cast(t, 'float32');
          const bm = mean(xf, this.reduceAxes);
          const bv = variance(xf, this.reduceAxes);
          if (total === null) {
            total = { mean: bm, variance: bv, count };
            continue;
          }
          // Chan et al.'s pairwise combination, the lack-of-fit form Keras uses for datasets.
          const n: number = total.count + count;
          const wb: number = count / n;
          const wt: number = 1 - wb;
          const m: Tensor = total.mean.mul(wt).add(bm.mul(wb));
          const v: Tensor = total.variance
            .add(total.mean.sub(m).square())
            .mul(wt)
            .add(bv.add(bm.sub(m).square()).mul(wb));
          total = { mean: m, variance: v, count: n };
        }
        if (total === null)
          throw new ShapeError(`${this.label}: adapt data of shape ${fmtShape(ts[0].shape)} holds no values`);
        (this.adaptMean as Tensor).assign(total.mean);
        (this.adaptVariance as Tensor).assign(total.variance);
      }),
    );
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      axis: Array.isArray(this.axis) ? [...this.axis] : this.axis,
      invert: this.invert,
      mean: this.meanConfig === null ? null : structuredClone(this.meanConfig),
      variance: this.varianceConfig === null ? null : structuredClone(this.varianceConfig),
    };
  }
}
