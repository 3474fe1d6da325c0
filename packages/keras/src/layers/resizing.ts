import {
  ArgumentError,
  DTypeError,
  ShapeError,
  type Tensor,
  pad,
  resizeBilinear,
  resizeNearest,
  slice,
  tidy,
} from '@tsdl/tensor';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape } from './layer';
import { rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';
import { convOptions } from './conv-args';
import { optionalBool, positiveInt } from './options';
import { interpolationOf } from './up-sampling2d';

export type ResizingInterpolation = 'bilinear' | 'nearest';

export interface ResizingArgs extends LayerArgs {
  height: number;
  width: number;
  /** 'bilinear' (default) or 'nearest', both with half-pixel centres as Keras 3 (tf.image.resize). */
  interpolation?: ResizingInterpolation;
  /** Crop the largest centred window of the target's aspect ratio before resizing (default false). */
  cropToAspectRatio?: boolean;
  /** Pad to the target's aspect ratio with fillValue before resizing (default false). */
  padToAspectRatio?: boolean;
  /** Only 'constant' (Keras 3 supports no other). */
  fillMode?: 'constant';
  /** The padding value of padToAspectRatio (default 0). */
  fillValue?: number;
}

const RESIZING_OPTIONS = [
  ...LAYER_OPTIONS,
  'height',
  'width',
  'interpolation',
  'cropToAspectRatio',
  'padToAspectRatio',
  'fillMode',
  'fillValue',
];

/** Keras' int(float32(a) / b): the crop and pad sizes are computed in float32 and truncated. */
const ratioSize = (a: number, b: number): number => Math.trunc(Math.fround(Math.fround(a) / b));

/**
 * Resizes channels-last images [batch, h, w, c] to [batch, height, width, c] (Keras'
 * preprocessing layer), optionally cropping or padding to the target aspect ratio first,
 * with the sizes Keras 3 computes (its TensorFlow backend).
 */
export class Resizing extends Layer {
  readonly height: number;
  readonly width: number;
  readonly interpolation: ResizingInterpolation;
  readonly cropToAspectRatio: boolean;
  readonly padToAspectRatio: boolean;
  readonly fillValue: number;

  constructor(config: ResizingArgs) {
    const args = convOptions('Resizing', config, 'an options object ({ height, width, interpolation, ... })');
    if (new.target === Resizing) rejectUnknownOptions('Resizing', args, RESIZING_OPTIONS);
    super(args);
    const who = this.label;
    this.height = positiveInt(who, 'height', args.height);
    this.width = positiveInt(who, 'width', args.width);
    this.interpolation = interpolationOf(who, args.interpolation, 'bilinear', ['bilinear', 'nearest']);
    this.cropToAspectRatio = optionalBool(who, 'cropToAspectRatio', args.cropToAspectRatio, false);
    this.padToAspectRatio = optionalBool(who, 'padToAspectRatio', args.padToAspectRatio, false);
    if (this.cropToAspectRatio && this.padToAspectRatio)
      throw new ArgumentError(`${who}: only one of cropToAspectRatio and padToAspectRatio can be true`);
    if (args.fillMode !== undefined && args.fillMode !== null && args.fillMode !== 'constant') {
      throw new ArgumentError(
        `${who}: fillMode must be 'constant' (the only one Keras supports), got ${quote(args.fillMode)}`,
      );
    }
    const fill: unknown = args.fillValue ?? 0;
    if (typeof fill !== 'number' || !Number.isFinite(fill))
      throw new ArgumentError(`${who}: fillValue must be a finite number, got ${quote(fill)}`);
    this.fillValue = fill;
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'Resizing';
  }

  override build(inputShape: PartialShape): void {
    this.computeOutputShape(inputShape);
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    this.expectRank(s, 4, 'images [batch, height, width, channels]');
    return [s[0], this.height, this.width, s[3]];
  }

  override forward(x: Tensor): Tensor {
    if (x.rank !== 4)
      throw new ShapeError(
        `${this.label}: expected images [batch, height, width, channels], got shape [${x.shape.join(',')}]`,
      );
    if (x.dtype !== 'float32') throw new DTypeError(`${this.label}: expected float32 images, got ${x.dtype}`);
    const size: [number, number] = [this.height, this.width];
    const options = { halfPixelCenters: true };
    return tidy(() => {
      const framed = this.toAspectRatio(x);
      return this.interpolation === 'bilinear'
        ? resizeBilinear(framed, size, options)
        : resizeNearest(framed, size, options);
    });
  }

  /** The centred crop or the padded frame of the target aspect ratio (x itself when neither is asked for). */
  private toAspectRatio(x: Tensor): Tensor {
    const [, h, w] = x.shape;
    if (this.cropToAspectRatio) {
      const ch = Math.max(Math.min(h, ratioSize(w * this.height, this.width)), 1);
      const cw = Math.max(Math.min(w, ratioSize(h * this.width, this.height)), 1);
      const top = Math.trunc((h - ch) / 2);
      const left = Math.trunc((w - cw) / 2);
      return slice(x, [0, top, left, 0], [null, top + ch, left + cw, null]);
    }
    if (this.padToAspectRatio) {
      const ph = Math.max(h, ratioSize(w * this.height, this.width));
      const pw = Math.max(w, ratioSize(h * this.width, this.height));
      // Keras pads ⌊(padded − size) / 2⌋ on both sides, so an odd difference loses a row (kept as Keras does).
      const top = Math.trunc((ph - h) / 2);
      const left = Math.trunc((pw - w) / 2);
      if (top === 0 && left === 0) return x;
      return pad(
        x,
        [
          [0, 0],
          [top, top],
          [left, left],
          [0, 0],
        ],
        this.fillValue,
      );
    }
    return x;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      height: this.height,
      width: this.width,
      interpolation: this.interpolation,
      cropToAspectRatio: this.cropToAspectRatio,
      padToAspectRatio: this.padToAspectRatio,
      fillMode: 'constant',
      fillValue: this.fillValue,
    };
  }
}
