import { ArgumentError, type Tensor, avgPool2d, maxPool2d } from '@tsdl/tensor';
import { type IntPair, convLength, pairOf } from './conv';
import { type LayerArgs, Layer, type Shape } from './layer';
import { camelCaseKeys } from '../config-keys';

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
    const args = camelCaseKeys(config);
    super(args);
    this.poolSize = pairOf(this.className, 'poolSize', args.poolSize, 2);
    this.strides = pairOf(this.className, 'strides', args.strides ?? this.poolSize, 1);
    this.padding = args.padding ?? 'valid';
    if (this.padding !== 'valid' && this.padding !== 'same') {
      throw new ArgumentError(`${this.className}: padding must be 'valid' or 'same', got ${JSON.stringify(args.padding)}`);
    }
    this.built = true;
  }

  override build(inputShape: Shape): void {
    this.expectRank(inputShape, 4, 'images [batch, height, width, channels]');
    this.built = true;
  }

  override computeOutputShape(s: Shape): Shape {
    return [s[0], convLength(s[1], this.poolSize[0], this.strides[0], this.padding), convLength(s[2], this.poolSize[1], this.strides[1], this.padding), s[3]];
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
