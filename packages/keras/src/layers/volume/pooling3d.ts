import { ShapeError, type Tensor, avgPool2d, max, maxPool2d, mean, reshape, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from '../layer';
import { type KerasDataFormat, dataFormat, layerOptions } from '../layer-config';
import { optionalBool, padding } from '../options';
import {
  type IntTriple,
  fromChannelsLast,
  shapeFromLast,
  shapeToLast,
  toChannelsLast,
  tripleOf,
  volumeWhat,
  windowLength,
} from './volume-args';

export interface Pooling3DArgs extends LayerArgs {
  /** Window per axis (default 2). */
  poolSize?: IntTriple;
  /** Step per axis (default poolSize). */
  strides?: IntTriple | null;
  padding?: 'valid' | 'same';
  dataFormat?: KerasDataFormat;
}

const POOLING_OPTIONS = [...LAYER_OPTIONS, 'poolSize', 'strides', 'padding', 'dataFormat'];

/**
 * Keras' 3-D pooling: a box window's maximum or mean is the maximum or mean over its last two
 * axes, then over its first (the padding cells of 'same' count nowhere, as in TensorFlow,
 * and the average's divisor factorises the same way), so it runs as two 2-D poolings.
 */
abstract class Pooling3D extends Layer {
  readonly poolSize: [number, number, number];
  readonly strides: [number, number, number];
  readonly padding: 'valid' | 'same';
  readonly dataFormat: KerasDataFormat;

  protected constructor(className: string, config: Pooling3DArgs, exact: boolean) {
    const a = layerOptions(
      className,
      config,
      'an options object ({ poolSize, strides, padding })',
      POOLING_OPTIONS,
      exact,
    );
    super(a);
    this.poolSize = tripleOf(this.label, 'poolSize', a.poolSize, 2);
    this.strides =
      a.strides === undefined || a.strides === null
        ? [...this.poolSize]
        : tripleOf(this.label, 'strides', a.strides, 1);
    this.padding = padding(this.label, a.padding);
    this.dataFormat = dataFormat(this.label, a.dataFormat);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  protected abstract pool2d(
    x: Tensor,
    o: { kernelSize: [number, number]; strides: [number, number]; padding: 'valid' | 'same' },
  ): Tensor;

  override build(inputShape: PartialShape): void {
    this.computeOutputShape(inputShape);
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    this.expectRank(s, 5, volumeWhat(this.dataFormat));
    const last = shapeToLast(s, this.dataFormat);
    const out = [0, 1, 2].map((i) => windowLength(last[i + 1], this.poolSize[i], this.strides[i], this.padding));
    if (out.some((n) => n !== null && n < 1)) {
      throw new ShapeError(
        `${this.label}: input shape ${fmtKerasShape(s)} is too small for poolSize [${this.poolSize.join(', ')}] with strides [${this.strides.join(', ')}] and padding '${this.padding}'`,
      );
    }
    return shapeFromLast([s[0], ...out, last[4]], this.dataFormat);
  }

  override forward(x: Tensor): Tensor {
    if (x.rank !== 5)
      throw new ShapeError(`${this.label}: expected ${volumeWhat(this.dataFormat)}, got shape ${fmtShape(x.shape)}`);
    this.computeOutputShape([null, ...x.shape.slice(1)]);
    const [p1, p2, p3] = this.poolSize;
    const [s1, s2, s3] = this.strides;
    return tidy(() => {
      const v = toChannelsLast(x, this.dataFormat);
      const [B, D, H, W, C] = v.shape;
      const inner = this.pool2d(reshape(v, [B * D, H, W, C]), {
        kernelSize: [p2, p3],
        strides: [s2, s3],
        padding: this.padding,
      });
      const [, h, w] = inner.shape;
      const outer = this.pool2d(reshape(inner, [B, D, h * w, C]), {
        kernelSize: [p1, 1],
        strides: [s1, 1],
        padding: this.padding,
      });
      return fromChannelsLast(reshape(outer, [B, outer.shape[1], h, w, C]), this.dataFormat);
    });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      poolSize: this.poolSize,
      strides: this.strides,
      padding: this.padding,
      dataFormat: this.dataFormat,
    };
  }
}

/** Keras' MaxPooling3D. */
export class MaxPooling3D extends Pooling3D {
  constructor(config: Pooling3DArgs = {}) {
    super('MaxPooling3D', config, new.target === MaxPooling3D);
  }
  override get className(): string {
    return 'MaxPooling3D';
  }
  protected pool2d(
    x: Tensor,
    o: { kernelSize: [number, number]; strides: [number, number]; padding: 'valid' | 'same' },
  ): Tensor {
    return maxPool2d(x, o);
  }
}

/** Keras' AveragePooling3D (padding cells not counted, as TensorFlow). */
export class AveragePooling3D extends Pooling3D {
  constructor(config: Pooling3DArgs = {}) {
    super('AveragePooling3D', config, new.target === AveragePooling3D);
  }
  override get className(): string {
    return 'AveragePooling3D';
  }
  protected pool2d(
    x: Tensor,
    o: { kernelSize: [number, number]; strides: [number, number]; padding: 'valid' | 'same' },
  ): Tensor {
    return avgPool2d(x, o);
  }
}

export interface GlobalPooling3DArgs extends LayerArgs {
  dataFormat?: KerasDataFormat;
  /** Keep the three spatial axes with size 1 (default false). */
  keepdims?: boolean;
}

abstract class GlobalPooling3D extends Layer {
  readonly dataFormat: KerasDataFormat;
  readonly keepdims: boolean;

  protected constructor(className: string, config: GlobalPooling3DArgs, exact: boolean) {
    const a = layerOptions(
      className,
      config,
      'an options object ({ dataFormat, keepdims })',
      [...LAYER_OPTIONS, 'dataFormat', 'keepdims'],
      exact,
    );
    super(a);
    this.dataFormat = dataFormat(this.label, a.dataFormat);
    this.keepdims = optionalBool(this.label, 'keepdims', a.keepdims, false);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  protected get axes(): number[] {
    return this.dataFormat === 'channels_last' ? [1, 2, 3] : [2, 3, 4];
  }

  override build(inputShape: PartialShape): void {
    this.expectRank(inputShape, 5, volumeWhat(this.dataFormat));
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    this.expectRank(s, 5, volumeWhat(this.dataFormat));
    const c = this.dataFormat === 'channels_last' ? s[4] : s[1];
    if (!this.keepdims) return [s[0], c];
    return this.dataFormat === 'channels_last' ? [s[0], 1, 1, 1, c] : [s[0], c, 1, 1, 1];
  }

  protected check(x: Tensor): void {
    this.expectRank([...x.shape], 5, volumeWhat(this.dataFormat));
    if (this.axes.some((a) => x.shape[a] === 0))
      throw new ShapeError(`${this.label}: input of shape ${fmtShape(x.shape)} has no cells to pool`);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dataFormat: this.dataFormat, keepdims: this.keepdims };
  }
}

/** Keras' GlobalAveragePooling3D: each channel's mean over the volume. */
export class GlobalAveragePooling3D extends GlobalPooling3D {
  constructor(config: GlobalPooling3DArgs = {}) {
    super('GlobalAveragePooling3D', config, new.target === GlobalAveragePooling3D);
  }
  override get className(): string {
    return 'GlobalAveragePooling3D';
  }
  override forward(x: Tensor): Tensor {
    this.check(x);
    return mean(x, this.axes, this.keepdims);
  }
}

/** Keras' GlobalMaxPooling3D: each channel's maximum over the volume. */
export class GlobalMaxPooling3D extends GlobalPooling3D {
  constructor(config: GlobalPooling3DArgs = {}) {
    super('GlobalMaxPooling3D', config, new.target === GlobalMaxPooling3D);
  }
  override get className(): string {
    return 'GlobalMaxPooling3D';
  }
  override forward(x: Tensor): Tensor {
    this.check(x);
    return max(x, this.axes, this.keepdims);
  }
}
