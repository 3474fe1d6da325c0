import { ArgumentError, ShapeError, type Tensor, broadcastTo, reshape, resizeBilinear, tidy } from '@tsdl/tensor';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape } from './layer';
import { rejectUnknownOptions } from '../config-keys';
import { quote } from '../names';
import { type IntPair, pairOf } from './conv';
import { convOptions } from './conv-args';
import { optionalBool } from './options';

export type UpSamplingInterpolation = 'nearest' | 'bilinear';

export interface UpSampling2DArgs extends LayerArgs {
  /** Factors for rows and columns (default [2, 2]). */
  size?: IntPair;
  /** 'nearest' (default: rows and columns repeated) or 'bilinear' (half-pixel centres, as Keras 3 and tf.image.resize). */
  interpolation?: UpSamplingInterpolation;
  /**
   * Not Keras: bilinear sampling at half-pixel centres (default true, Keras 3). TF.js and
   * tf.keras' older resize sample at the corners' grid instead (false); models loaded from
   * TF.js files get false so they compute what TF.js computes.
   */
  halfPixelCenters?: boolean;
}

const UPSAMPLING_OPTIONS = [...LAYER_OPTIONS, 'size', 'interpolation', 'halfPixelCenters'];

/** Keras' interpolation option of the resizing layers (lower-cased, as Keras), limited to the ones tsdl computes. */
export function interpolationOf<T extends string>(layer: string, v: unknown, dflt: T, supported: readonly T[]): T {
  if (v === undefined || v === null) return dflt;
  const name = typeof v === 'string' ? v.toLowerCase() : v;
  if (!supported.includes(name as T)) {
    const later = ['bicubic', 'lanczos3', 'lanczos5', 'area'].includes(name as string)
      ? ` ('${name as string}' is a Keras option tsdl does not compute yet)`
      : '';
    throw new ArgumentError(
      `${layer}: interpolation must be ${supported.map((s) => `'${s}'`).join(' or ')}, got ${quote(v)}${later}`,
    );
  }
  return name as T;
}

/** Enlarges channels-last images by integer factors: [batch, h, w, c] → [batch, h·size[0], w·size[1], c]. */
export class UpSampling2D extends Layer {
  readonly size: [number, number];
  readonly interpolation: UpSamplingInterpolation;
  readonly halfPixelCenters: boolean;

  constructor(config: UpSampling2DArgs = {}) {
    const args = convOptions('UpSampling2D', config ?? {}, 'an options object ({ size, interpolation })');
    if (new.target === UpSampling2D) rejectUnknownOptions('UpSampling2D', args, UPSAMPLING_OPTIONS);
    super(args);
    this.size = pairOf(this.label, 'size', args.size, 2);
    this.interpolation = interpolationOf(this.label, args.interpolation, 'nearest', ['nearest', 'bilinear']);
    this.halfPixelCenters = optionalBool(this.label, 'halfPixelCenters', args.halfPixelCenters, true);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'UpSampling2D';
  }

  override build(inputShape: PartialShape): void {
    this.computeOutputShape(inputShape);
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    this.expectRank(s, 4, 'images [batch, height, width, channels]');
    return [s[0], s[1] === null ? null : s[1] * this.size[0], s[2] === null ? null : s[2] * this.size[1], s[3]];
  }

  override forward(x: Tensor): Tensor {
    if (x.rank !== 4)
      throw new ShapeError(
        `${this.label}: expected images [batch, height, width, channels], got shape [${x.shape.join(',')}]`,
      );
    const [n, h, w, c] = x.shape;
    const [sh, sw] = this.size;
    if (this.interpolation === 'bilinear')
      return resizeBilinear(x, [h * sh, w * sw], { halfPixelCenters: this.halfPixelCenters });
    // Nearest with integer factors repeats each row and column, as Keras 3 (ops.repeat): a broadcast, no gather.
    return tidy(() =>
      reshape(broadcastTo(reshape(x, [n, h, 1, w, 1, c]), [n, h, sh, w, sw, c]), [n, h * sh, w * sw, c]),
    );
  }

  override getConfig(): Record<string, unknown> {
    const legacy = this.halfPixelCenters ? {} : { halfPixelCenters: false };
    return { ...super.getConfig(), size: this.size, interpolation: this.interpolation, ...legacy };
  }
}
