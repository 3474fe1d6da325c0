import { ShapeError, type Tensor, max, mean } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape } from './layer';
import { type KerasDataFormat, dataFormat, layerOptions } from './layer-config';
import { optionalBool } from './options';

export interface GlobalPooling2DArgs extends LayerArgs {
  /** 'channels_last' ([batch, h, w, channels], the default) or 'channels_first' ([batch, channels, h, w]). */
  dataFormat?: KerasDataFormat;
  /** Keep the two spatial axes with size 1 (default false). */
  keepdims?: boolean;
}

/** Global pooling over the pixels of images: the shared options, shapes and config. */
abstract class GlobalPooling2D extends Layer {
  readonly dataFormat: KerasDataFormat;
  readonly keepdims: boolean;

  protected constructor(className: string, config: GlobalPooling2DArgs, exact: boolean) {
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

  protected get spatialAxes(): [number, number] {
    return this.dataFormat === 'channels_last' ? [1, 2] : [2, 3];
  }

  private get what(): string {
    return this.dataFormat === 'channels_last'
      ? 'images [batch, height, width, channels]'
      : 'images [batch, channels, height, width]';
  }

  override build(inputShape: PartialShape): void {
    this.expectRank(inputShape, 4, this.what);
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    if (this.dataFormat === 'channels_last') return this.keepdims ? [s[0], 1, 1, s[3]] : [s[0], s[3]];
    return this.keepdims ? [s[0], s[1], 1, 1] : [s[0], s[1]];
  }

  protected checkInput(x: Tensor): void {
    this.expectRank([...x.shape], 4, this.what);
    const [h, w] = this.spatialAxes;
    if (x.shape[h] === 0 || x.shape[w] === 0)
      throw new ShapeError(`${this.label}: input of shape ${fmtShape(x.shape)} has no pixels to pool`);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dataFormat: this.dataFormat, keepdims: this.keepdims };
  }
}

/** Keras' GlobalAveragePooling2D: the mean of each channel over the pixels. */
export class GlobalAveragePooling2D extends GlobalPooling2D {
  constructor(config: GlobalPooling2DArgs = {}) {
    super('GlobalAveragePooling2D', config, new.target === GlobalAveragePooling2D);
  }
  override get className(): string {
    return 'GlobalAveragePooling2D';
  }
  override forward(x: Tensor): Tensor {
    this.checkInput(x);
    return mean(x, this.spatialAxes, this.keepdims);
  }
}

/** Keras' GlobalMaxPooling2D: the maximum of each channel over the pixels. */
export class GlobalMaxPooling2D extends GlobalPooling2D {
  constructor(config: GlobalPooling2DArgs = {}) {
    super('GlobalMaxPooling2D', config, new.target === GlobalMaxPooling2D);
  }
  override get className(): string {
    return 'GlobalMaxPooling2D';
  }
  override forward(x: Tensor): Tensor {
    this.checkInput(x);
    return max(x, this.spatialAxes, this.keepdims);
  }
}
