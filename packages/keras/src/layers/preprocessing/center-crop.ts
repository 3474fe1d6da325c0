import { ShapeError, type Tensor, cast, resizeBilinear, slice, tidy, transpose } from '@tsdl/tensor';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from '../layer';
import { type KerasDataFormat, dataFormat, layerOptions } from '../layer-config';
import { positiveInt } from '../options';

export interface CenterCropArgs extends LayerArgs {
  height: number;
  width: number;
  /** 'channels_last' (the default) or 'channels_first'. */
  dataFormat?: KerasDataFormat;
}

/**
 * Keras' CenterCrop: the central height × width window of each image, in
 * float32. Takes batches [batch, h, w, c] or one image [h, w, c]
 * (channels_first: [batch, c, h, w] or [c, h, w]). Where the input is larger
 * by an odd amount the extra row or column is cut from the end, as Keras does.
 * An input smaller than the crop on either axis is resized as Keras'
 * smart_resize does: the largest central window of the crop's aspect ratio,
 * resized bilinearly (half-pixel centres, as tf.image.resize).
 */
export class CenterCrop extends Layer {
  readonly height: number;
  readonly width: number;
  readonly dataFormat: KerasDataFormat;

  constructor(config: CenterCropArgs) {
    const a = layerOptions(
      'CenterCrop',
      config,
      'an options object ({ height, width, dataFormat })',
      [...LAYER_OPTIONS, 'height', 'width', 'dataFormat'],
      new.target === CenterCrop,
    );
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

  private checkRank(shape: PartialShape | readonly number[]): void {
    if (shape.length !== 3 && shape.length !== 4) {
      const layout =
        this.dataFormat === 'channels_last'
          ? '[batch, height, width, channels] or [height, width, channels]'
          : '[batch, channels, height, width] or [channels, height, width]';
      throw new ShapeError(`${this.label}: expects images ${layout}, got shape ${fmtKerasShape([...shape])}`);
    }
  }

  override build(inputShape: PartialShape): void {
    this.checkRank(inputShape);
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
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
    const [inH, inW] = [x.shape[h], x.shape[h + 1]];
    if (inH < this.height || inW < this.width) return this.smartResize(x, h, inH, inW);
    return tidy(() =>
      this.window(
        x,
        h,
        Math.floor((inH - this.height) / 2),
        Math.floor((inW - this.width) / 2),
        this.height,
        this.width,
      ),
    );
  }

  /** x[..., top : top + height, left : left + width, ...] on the spatial axes starting at `h`, in float32. */
  private window(x: Tensor, h: number, top: number, left: number, height: number, width: number): Tensor {
    const begin = new Array<number>(x.rank).fill(0);
    const end = [...x.shape];
    begin[h] = top;
    begin[h + 1] = left;
    end[h] = top + height;
    end[h + 1] = left + width;
    return slice(x.dtype === 'float32' ? x : cast(x, 'float32'), begin, end);
  }

  /** Keras' image_utils.smart_resize: the central window of the target's aspect ratio, then a bilinear resize. */
  private smartResize(x: Tensor, h: number, inH: number, inW: number): Tensor {
    const cropH = Math.max(Math.min(inH, Math.trunc((inW * this.height) / this.width)), 1);
    const cropW = Math.max(Math.min(inW, Math.trunc((inH * this.width) / this.height)), 1);
    return tidy(() => {
      const win = this.window(x, h, Math.trunc((inH - cropH) / 2), Math.trunc((inW - cropW) / 2), cropH, cropW);
      const size: [number, number] = [this.height, this.width];
      if (this.dataFormat === 'channels_last') return resizeBilinear(win, size, { halfPixelCenters: true });
      // resizeBilinear takes channels last: move the channels there and back.
      const toLast = x.rank === 4 ? [0, 2, 3, 1] : [1, 2, 0];
      const back = x.rank === 4 ? [0, 3, 1, 2] : [2, 0, 1];
      return transpose(resizeBilinear(transpose(win, toLast), size, { halfPixelCenters: true }), back);
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), height: this.height, width: this.width, dataFormat: this.dataFormat };
  }
}
