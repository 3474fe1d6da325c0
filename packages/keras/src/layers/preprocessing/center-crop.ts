import { ShapeError, type Tensor, cast, fmtShape, slice, tidy } from '@tsdl/tensor';
import { LAYER_OPTIONS, type LayerArgs, Layer, type Shape, fmtKerasShape } from '../layer';
import { type DataFormat, dataFormat, layerOptions } from '../layer-config';
import { positiveInt } from '../options';

export interface CenterCropArgs extends LayerArgs {
  height: number;
  width: number;
  /** 'channels_last' (the default) or 'channels_first'. */
  dataFormat?: DataFormat;
}

/**
 * Keras' CenterCrop: the central height × width window of each image, in
 * float32. Takes batches [batch, h, w, c] or one image [h, w, c]
 * (channels_first: [batch, c, h, w] or [c, h, w]). Where the input is larger
 * by an odd amount the extra row or column is cut from the end, as Keras does.
 */
export class CenterCrop extends Layer {
  readonly height: number;
  readonly width: number;
  readonly dataFormat: DataFormat;

  constructor(config: CenterCropArgs) {
    const a = layerOptions('CenterCrop', config, 'an options object ({ height, width, dataFormat })', [...LAYER_OPTIONS, 'height', 'width', 'dataFormat'], new.target === CenterCrop);
    super(a);
    this.height = positiveInt(this.label, 'height', a.height);
    this.width = positiveInt(this.label, 'width', a.width);
    this.dataFormat = dataFormat(this.label, a.dataFormat);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'CenterCrop';
  }

  /** The height axis for an input of `rank` (3: one image, 4: a batch). */
  private heightAxis(rank: number): number {
    return rank - (this.dataFormat === 'channels_last' ? 3 : 2);
  }

  private checkRank(shape: Shape | readonly number[]): void {
    if (shape.length !== 3 && shape.length !== 4) {
      const layout = this.dataFormat === 'channels_last' ? '[batch, height, width, channels] or [height, width, channels]' : '[batch, channels, height, width] or [channels, height, width]';
      throw new ShapeError(`${this.label}: expects images ${layout}, got shape ${fmtKerasShape([...shape])}`);
    }
  }

  override build(inputShape: Shape): void {
    this.checkRank(inputShape);
    this.built = true;
  }

  override computeOutputShape(s: Shape): Shape {
    this.checkRank(s);
    const out = [...s];
    const h = this.heightAxis(s.length);
    out[h] = this.height;
    out[h + 1] = this.width;
    return out;
  }

  override forward(x: Tensor): Tensor {
    this.checkRank(x.shape);
    const h = this.heightAxis(x.rank);
    const dh = x.shape[h] - this.height;
    const dw = x.shape[h + 1] - this.width;
    if (dh < 0 || dw < 0) {
      throw new ShapeError(
        `${this.label}: input of shape ${fmtShape(x.shape)} is smaller than the ${this.height}×${this.width} crop; ` +
          'Keras resizes such inputs (smart_resize), which tsdl does not do yet: add a Resizing layer before this one',
      );
    }
    const begin = new Array<number>(x.rank).fill(0);
    const end = [...x.shape];
    begin[h] = Math.floor(dh / 2);
    begin[h + 1] = Math.floor(dw / 2);
    end[h] = begin[h] + this.height;
    end[h + 1] = begin[h + 1] + this.width;
    return tidy(() => slice(x.dtype === 'float32' ? x : cast(x, 'float32'), begin, end));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), height: this.height, width: this.width, dataFormat: this.dataFormat };
  }
}
