import {
  ArgumentError,
  ShapeError,
  type Tensor,
  elu,
  exp,
  gt,
  leakyRelu,
  logSumExp,
  minimum,
  relu,
  softmax,
  tidy,
  where,
} from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { quote } from '../names';
import { LAYER_OPTIONS, type LayerArgs, Layer } from './layer';
import { finiteNumber, integer, layerOptions, nonNegative } from './layer-config';
import { rejectUnknownOptions } from '../config-keys';

/**
 * Keras' activation layers. Each works on every element alone, so a padding
 * mask passes through them unchanged (Keras' supports_masking); Softmax also
 * reads it, as Keras' does.
 */
abstract class ElementwiseActivation extends Layer {
  override get supportsMasking(): boolean {
    return true;
  }
  protected constructor(args: LayerArgs) {
    super(args);
    this.built = true;
  }
}

export interface ReLUArgs extends LayerArgs {
  /** The largest output (default none); >= 0. */
  maxValue?: number | null;
  /** The slope below the threshold (default 0); >= 0. */
  negativeSlope?: number;
  /** Inputs at or below it take the negative slope (default 0); >= 0. */
  threshold?: number;
}

/**
 * Keras' ReLU: min(x, maxValue) for x > threshold, else negativeSlope · (x − threshold),
 * as keras.activations.relu computes it.
 */
export class ReLU extends ElementwiseActivation {
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;

  constructor(config: ReLUArgs = {}) {
    const a = layerOptions(
      'ReLU',
      config,
      'an options object ({ maxValue, negativeSlope, threshold })',
      [...LAYER_OPTIONS, 'maxValue', 'negativeSlope', 'threshold'],
      new.target === ReLU,
    );
    super(a);
    this.maxValue =
      a.maxValue === undefined || a.maxValue === null ? null : nonNegative(this.label, 'maxValue', a.maxValue);
    this.negativeSlope = nonNegative(this.label, 'negativeSlope', a.negativeSlope ?? 0);
    this.threshold = nonNegative(this.label, 'threshold', a.threshold ?? 0);
  }

  override get className(): string {
    return 'ReLU';
  }

  override forward(x: Tensor): Tensor {
    const { maxValue, negativeSlope: slope, threshold: t } = this;
    if (t === 0 && maxValue === null) return slope === 0 ? relu(x) : leakyRelu(x, slope);
    return tidy(() => {
      const above = maxValue === null ? x : minimum(x, maxValue);
      const below = slope === 0 ? 0 : x.sub(t).mul(slope);
      return where(gt(x, t), above, below);
    });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      maxValue: this.maxValue,
      negativeSlope: this.negativeSlope,
      threshold: this.threshold,
    };
  }
}

export interface LeakyReLUArgs extends LayerArgs {
  /** The slope for x < 0 (Keras 3's default 0.3). */
  negativeSlope?: number;
  /** Keras 2's and TF.js' name for negativeSlope (deprecated in Keras 3, accepted as there). */
  alpha?: number;
}

/** Keras' LeakyReLU: x for x > 0, else negativeSlope · x (default 0.3). */
export class LeakyReLU extends ElementwiseActivation {
  readonly negativeSlope: number;

  constructor(config: LeakyReLUArgs = {}) {
    const a = layerOptions(
      'LeakyReLU',
      config,
      'an options object ({ negativeSlope })',
      [...LAYER_OPTIONS, 'negativeSlope', 'alpha'],
      new.target === LeakyReLU,
    );
    super(a);
    if (a.alpha !== undefined && a.negativeSlope !== undefined) {
      throw new ArgumentError(`${this.label}: give negativeSlope or its older name alpha, not both`);
    }
    this.negativeSlope = nonNegative(
      this.label,
      a.alpha !== undefined ? 'alpha' : 'negativeSlope',
      a.alpha ?? a.negativeSlope ?? 0.3,
    );
  }

  override get className(): string {
    return 'LeakyReLU';
  }

  override forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), negativeSlope: this.negativeSlope };
  }
}

export interface ELUArgs extends LayerArgs {
  /** The scale of the negative part (default 1). */
  alpha?: number;
}

/** Keras' ELU: x for x > 0, else alpha · (exp(x) − 1). */
export class ELU extends ElementwiseActivation {
  readonly alpha: number;

  constructor(config: ELUArgs = {}) {
    const a = layerOptions(
      'ELU',
      config,
      'an options object ({ alpha })',
      [...LAYER_OPTIONS, 'alpha'],
      new.target === ELU,
    );
    super(a);
    this.alpha = finiteNumber(this.label, 'alpha', a.alpha ?? 1);
  }

  override get className(): string {
    return 'ELU';
  }

  override forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }

  /** Keras 3 leaves alpha out of ELU's config (so a reload loses it); here it is saved. */
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}

export interface ThresholdedReLUArgs extends LayerArgs {
  /** Inputs at or below it give 0 (default 1); >= 0. */
  theta?: number;
}

/** tf.keras 2's and TF.js' ThresholdedReLU (gone from Keras 3): x for x > theta, else 0. */
export class ThresholdedReLU extends ElementwiseActivation {
  readonly theta: number;

  constructor(config: ThresholdedReLUArgs = {}) {
    const a = layerOptions(
      'ThresholdedReLU',
      config,
      'an options object ({ theta })',
      [...LAYER_OPTIONS, 'theta'],
      new.target === ThresholdedReLU,
    );
    super(a);
    this.theta = nonNegative(this.label, 'theta', a.theta ?? 1);
  }

  override get className(): string {
    return 'ThresholdedReLU';
  }

  override forward(x: Tensor): Tensor {
    // x · (x > theta), as tf.keras: a NaN input stays NaN.
    return tidy(() => x.mul(gt(x, this.theta)));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), theta: this.theta };
  }
}

export interface SoftmaxArgs extends LayerArgs {
  /** The axis (or axes) normalised over (default -1). */
  axis?: number | number[];
}

/** Keras' large negative number for float32 inputs at masked positions. */
const MASKED = -1e9;

/**
 * Keras' Softmax over `axis` (one axis or several). A mask (the padding mask of
 * an Embedding with maskZero, or one given as `call(x, { mask })`) must
 * broadcast against the input from the right, as in Keras: masked positions
 * get probability 0.
 */
export class Softmax extends ElementwiseActivation {
  readonly axis: number | number[];

  constructor(config: SoftmaxArgs = {}) {
    const a = layerOptions(
      'Softmax',
      config,
      'an options object ({ axis })',
      [...LAYER_OPTIONS, 'axis'],
      new.target === Softmax,
    );
    super(a);
    const axis: unknown = a.axis ?? -1;
    if (Array.isArray(axis)) {
      if (axis.length === 0 || new Set(axis).size !== axis.length)
        throw new ArgumentError(
          `${this.label}: axis must be an integer or a non-empty list of distinct integers, got ${quote(axis)}`,
        );
      this.axis = axis.map((v) => integer(this.label, 'axis', v));
    } else this.axis = integer(this.label, 'axis', axis);
  }

  override get className(): string {
    return 'Softmax';
  }

  override get takesMask(): boolean {
    return true;
  }

  private axes(x: Tensor): number[] {
    const list = Array.isArray(this.axis) ? this.axis : [this.axis];
    return list.map((ax) => {
      if (ax < -x.rank || ax >= x.rank)
        throw new ShapeError(`${this.label}: axis ${ax} is out of range for input of shape ${fmtShape(x.shape)}`);
      return ax < 0 ? ax + x.rank : ax;
    });
  }

  override forward(x: Tensor, options?: { mask?: Tensor | null }): Tensor {
    const o = options ?? {};
    rejectUnknownOptions(`${this.label} call`, o, ['mask']);
    const axes = this.axes(x);
    const mask = o.mask ?? null;
    if (mask !== null) this.checkMask(mask, x);
    return tidy(() => {
      const m = mask === null ? null : mask.dtype === 'bool' ? mask : gt(mask, 0.5);
      const z = m === null ? x : where(m, x, MASKED);
      const p = axes.length === 1 ? softmax(z, axes[0]) : exp(z.sub(logSumExp(z, axes, true)));
      // A position whose whole axis is masked would otherwise be uniform: Keras zeroes it.
      return m === null ? p : where(m, p, 0);
    });
  }

  private checkMask(mask: Tensor, x: Tensor): void {
    const fits = mask.rank <= x.rank && mask.shape.every((d, i) => d === 1 || d === x.shape[x.rank - mask.rank + i]);
    if (!fits) {
      throw new ShapeError(
        `${this.label}: the mask of shape ${fmtShape(mask.shape)} does not broadcast against the input of shape ${fmtShape(x.shape)} ` +
          "(aligned from the last axis, each mask dimension must be 1 or equal the input's, as in Keras)",
      );
    }
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: Array.isArray(this.axis) ? [...this.axis] : this.axis };
  }
}
