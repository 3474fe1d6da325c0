import { ArgumentError, ShapeError, type Tensor, avgPool2d, maxPool2d, reshape, tidy } from '@tsdl/tensor';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape } from './layer';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';
import { checkedLength1d, padding1d, single } from './conv1d';

const POOLING1D_OPTIONS = [...LAYER_OPTIONS, 'poolSize', 'strides', 'padding'];

export interface Pooling1DArgs extends LayerArgs {
  /** Default 2. */
  poolSize?: number | [number];
  /** Defaults to poolSize, as Keras. */
  strides?: number | [number];
  padding?: 'valid' | 'same';
}

/** Pooling over the time axis of sequences [batch, steps, channels], as 2-D pooling over a [batch, 1, steps, channels] view. */
abstract class Pooling1D extends Layer {
  readonly poolSize: number;
  readonly strides: number;
  readonly padding: 'valid' | 'same';

  constructor(config: Pooling1DArgs = {}) {
    const args = camelCaseKeys(config ?? {}, 'Pooling1D');
    const isObject = typeof args === 'object' && !Array.isArray(args);
    super(isObject ? args : {});
    if (!isObject)
      throw new ArgumentError(
        `${this.className}: expected an options object ({ poolSize, strides, padding }), got ${quote(args)}`,
      );
    // Only for the built-in classes: a subclass may take options of its own.
    if (new.target === MaxPooling1D || new.target === AveragePooling1D)
      rejectUnknownOptions(this.className, args, POOLING1D_OPTIONS);
    this.poolSize = single(this.label, 'poolSize', args.poolSize, 2);
    this.strides = single(this.label, 'strides', args.strides, this.poolSize);
    this.padding = padding1d(this.label, args.padding, false) as 'valid' | 'same';
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override build(inputShape: PartialShape): void {
    this.computeOutputShape(inputShape);
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    this.expectRank(s, 3, 'sequences [batch, steps, channels]');
    return [
      s[0],
      checkedLength1d(this.label, s, {
        k: this.poolSize,
        kName: 'poolSize',
        stride: this.strides,
        padding: this.padding,
        channels: s[2],
      }),
      s[2],
    ];
  }

  protected pool(x: Tensor, op: typeof maxPool2d): Tensor {
    if (x.rank !== 3)
      throw new ShapeError(
        `${this.label}: expected sequences [batch, steps, channels], got shape [${x.shape.join(',')}]`,
      );
    this.computeOutputShape([null, x.shape[1], x.shape[2]]);
    const [b, t, c] = x.shape;
    return tidy(() => {
      const y = op(reshape(x, [b, 1, t, c]), {
        kernelSize: [1, this.poolSize],
        strides: [1, this.strides],
        padding: this.padding,
      });
      return reshape(y, [b, y.shape[2], c]);
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), poolSize: [this.poolSize], strides: [this.strides], padding: this.padding };
  }
}

/** Max over poolSize steps of sequences [batch, steps, channels]. */
export class MaxPooling1D extends Pooling1D {
  override get className(): string {
    return 'MaxPooling1D';
  }
  override forward(x: Tensor): Tensor {
    return this.pool(x, maxPool2d);
  }
}

/** Mean over poolSize steps of sequences [batch, steps, channels] (with 'same', padding steps are not counted, as Keras). */
export class AveragePooling1D extends Pooling1D {
  override get className(): string {
    return 'AveragePooling1D';
  }
  override forward(x: Tensor): Tensor {
    return this.pool(x, avgPool2d);
  }
}
