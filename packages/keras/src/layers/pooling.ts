import { ArgumentError, type Tensor, avgPool2d, maxPool2d } from '@tsdl/tensor';
import { type IntPair, pairOf, windowOutput } from './conv';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape } from './layer';
import { camelCaseKeys, rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';
import { padding } from './options';

const POOLING_OPTIONS = [...LAYER_OPTIONS, 'poolSize', 'strides', 'padding'];

export interface Pooling2DArgs extends LayerArgs {
  poolSize?: IntPair;
  /** Defaults to poolSize, as Keras. */
  strides?: IntPair;
  padding?: 'valid' | 'same';
}

abstract class Pooling2D extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';

  constructor(config: Pooling2DArgs = {}) {
    const args = camelCaseKeys(config ?? {}, 'Pooling2D');
    super(typeof args === 'object' ? args : {});
    if (typeof args !== 'object')
      throw new ArgumentError(
        `${this.className}: expected an options object ({ poolSize, strides, padding }), got ${quote(args)}`,
      );
    // Only for the built-in classes: a subclass may take options of its own.
    if (new.target === MaxPooling2D || new.target === AveragePooling2D)
      rejectUnknownOptions(this.className, args, POOLING_OPTIONS);
    this.poolSize = pairOf(this.label, 'poolSize', args.poolSize, 2);
    this.strides = pairOf(this.label, 'strides', args.strides ?? this.poolSize, 1);
    this.padding = padding(this.label, args.padding);
    // Not built until the first input: build checks that its windows fit.
  }

  override build(inputShape: PartialShape): void {
    this.computeOutputShape(inputShape);
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    this.expectRank(s, 4, 'images [batch, height, width, channels]');
    const [h, w] = windowOutput(this.label, s, {
      kernel: this.poolSize,
      kernelName: 'poolSize',
      strides: this.strides,
      padding: this.padding,
      channels: s[3],
    });
    return [s[0], h, w, s[3]];
  }

  protected get options() {
    return { kernelSize: this.poolSize, strides: this.strides, padding: this.padding };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), poolSize: this.poolSize, strides: this.strides, padding: this.padding };
  }
}

/** Max over poolSize windows of channels-last images. */
export class MaxPooling2D extends Pooling2D {
  override get className(): string {
    return 'MaxPooling2D';
  }
  override forward(x: Tensor): Tensor {
    return maxPool2d(x, this.options);
  }
}

/** Mean over poolSize windows of channels-last images (padding cells not counted). */
export class AveragePooling2D extends Pooling2D {
  override get className(): string {
    return 'AveragePooling2D';
  }
  override forward(x: Tensor): Tensor {
    return avgPool2d(x, this.options);
  }
}
