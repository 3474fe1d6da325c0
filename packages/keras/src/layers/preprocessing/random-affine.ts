import { ArgumentError, type Tensor } from '@tsdl/tensor';
import { quote } from '../../names';
import { LAYER_OPTIONS } from '../layer';
import { layerOptions } from '../layer-config';
import { interpolationOf } from '../up-sampling2d';
import { FILL_MODES, type FillMode, type Interpolation, affineTransform } from './affine-sampler';
import { RANDOM_IMAGE_OPTIONS, type RandomImageArgs, RandomImageLayer, factorRange, valueRange } from './random-image';

/** Options of the layers that resample images through an affine map. */
export interface AffineArgs extends RandomImageArgs {
  /** How points outside the image are read (default 'reflect'): 'reflect', 'wrap', 'constant' or 'nearest' (TensorFlow's). */
  fillMode?: FillMode;
  /** 'bilinear' (default) or 'nearest'. */
  interpolation?: Interpolation;
  /** The value of 'constant' fill (default 0). */
  fillValue?: number;
}

const AFFINE_OPTIONS = [...LAYER_OPTIONS, ...RANDOM_IMAGE_OPTIONS, 'fillMode', 'interpolation', 'fillValue'];

/** What RandomTranslation, RandomRotation and RandomZoom share: the sampler's options and one transform per image. */
abstract class RandomAffine extends RandomImageLayer {
  readonly fillMode: FillMode;
  readonly interpolation: Interpolation;
  readonly fillValue: number;

  protected constructor(a: AffineArgs) {
    super(a);
    const mode: unknown = a.fillMode ?? 'reflect';
    if (!FILL_MODES.includes(mode as FillMode))
      throw new ArgumentError(
        `${this.label}: fillMode must be one of ${FILL_MODES.map((m) => `'${m}'`).join(', ')}, got ${quote(mode)}`,
      );
    this.fillMode = mode as FillMode;
    this.interpolation = interpolationOf(this.label, a.interpolation, 'bilinear', ['bilinear', 'nearest']);
    const fill: unknown = a.fillValue ?? 0;
    if (typeof fill !== 'number' || !Number.isFinite(fill))
      throw new ArgumentError(`${this.label}: fillValue must be a finite number, got ${quote(fill)}`);
    this.fillValue = fill;
  }

  /** The 8 transform entries of every image (TensorFlow's layout) for images of h × w. */
  protected abstract transforms(batch: number, h: number, w: number): number[];

  protected augment(x: Tensor): Tensor {
    const [B, H, W] = x.shape;
    return affineTransform(x, this.transforms(B, H, W), {
      interpolation: this.interpolation,
      fillMode: this.fillMode,
      fillValue: this.fillValue,
    });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      fillMode: this.fillMode,
      interpolation: this.interpolation,
      fillValue: this.fillValue,
    };
  }
}

export interface RandomTranslationArgs extends AffineArgs {
  /** Vertical shift as a fraction of the height: f is [−f, f], or [lower, upper]; within [−1, 1]. Required. */
  heightFactor: number | [number, number];
  /** Horizontal shift as a fraction of the width, likewise. Required. */
  widthFactor: number | [number, number];
}

/** Keras' RandomTranslation: shifts each image by its own random fractions of its height and width (positive: down, right). */
export class RandomTranslation extends RandomAffine {
  readonly heightFactor: [number, number];
  readonly widthFactor: [number, number];

  constructor(config: RandomTranslationArgs) {
    const a = layerOptions(
      'RandomTranslation',
      config,
      'an options object ({ heightFactor, widthFactor, ... })',
      [...AFFINE_OPTIONS, 'heightFactor', 'widthFactor'],
      new.target === RandomTranslation,
    );
    super(a);
    this.heightFactor = factorRange(this.label, 'heightFactor', a.heightFactor, { min: -1, max: 1 });
    this.widthFactor = factorRange(this.label, 'widthFactor', a.widthFactor, { min: -1, max: 1 });
  }

  override get className(): string {
    return 'RandomTranslation';
  }

  protected transforms(B: number, H: number, W: number): number[] {
    const dy = this.uniform(B, ...this.heightFactor).map((u) => u * H);
    const dx = this.uniform(B, ...this.widthFactor).map((u) => u * W);
    return dy.flatMap((y, b) => [1, 0, -dx[b], 0, 1, -y, 0, 0]);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), heightFactor: this.heightFactor, widthFactor: this.widthFactor };
  }
}

export interface RandomRotationArgs extends AffineArgs {
  /** The angle as a fraction of 2π: f is [−|f|, |f|], a pair is sorted; within [−1, 1]. Required. */
  factor: number | [number, number];
  /** Keras' value_range (stored; the rotation does not use it). */
  valueRange?: [number, number];
}

/** Keras' RandomRotation: rotates each image about its centre by its own random angle (positive: counter-clockwise). */
export class RandomRotation extends RandomAffine {
  readonly factor: [number, number];
  readonly valueRange: [number, number];

  constructor(config: RandomRotationArgs | number) {
    const a =
      typeof config === 'number'
        ? { factor: config }
        : layerOptions(
            'RandomRotation',
            config,
            'a factor or an options object ({ factor, ... })',
            [...AFFINE_OPTIONS, 'factor', 'valueRange'],
            new.target === RandomRotation,
          );
    super(a);
    this.factor = factorRange(this.label, 'factor', a.factor, { abs: true, min: -1, max: 1 });
    this.valueRange = valueRange(this.label, (a as RandomRotationArgs).valueRange);
  }

  override get className(): string {
    return 'RandomRotation';
  }

  protected transforms(B: number, H: number, W: number): number[] {
    const angles = this.uniform(B, this.factor[0] * 2 * Math.PI, this.factor[1] * 2 * Math.PI);
    return angles.flatMap((t) => {
      const [c, s] = [Math.cos(t), Math.sin(t)];
      const xOff = (W - 1 - (c * (W - 1) - s * (H - 1))) / 2;
      const yOff = (H - 1 - (s * (W - 1) + c * (H - 1))) / 2;
      return [c, -s, xOff, s, c, yOff, 0, 0];
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), factor: this.factor, valueRange: this.valueRange };
  }
}

export interface RandomZoomArgs extends AffineArgs {
  /** Vertical zoom: f is [−f, f], or [lower, upper], each > −1; positive zooms out, negative in. Required. */
  heightFactor: number | [number, number];
  /** Horizontal zoom likewise (default null: the vertical zoom, keeping the aspect ratio). */
  widthFactor?: number | [number, number] | null;
}

/** Keras' RandomZoom: scales each image about its centre by 1 + a random factor per axis (the same for both without widthFactor). */
export class RandomZoom extends RandomAffine {
  readonly heightFactor: [number, number];
  readonly widthFactor: [number, number] | null;

  constructor(config: RandomZoomArgs) {
    const a = layerOptions(
      'RandomZoom',
      config,
      'an options object ({ heightFactor, widthFactor, ... })',
      [...AFFINE_OPTIONS, 'heightFactor', 'widthFactor'],
      new.target === RandomZoom,
    );
    super(a);
    this.heightFactor = factorRange(this.label, 'heightFactor', a.heightFactor, { min: -1, max: Infinity });
    this.widthFactor =
      a.widthFactor === undefined || a.widthFactor === null
        ? null
        : factorRange(this.label, 'widthFactor', a.widthFactor, { min: -1, max: Infinity });
  }

  override get className(): string {
    return 'RandomZoom';
  }

  protected transforms(B: number, H: number, W: number): number[] {
    const zy = this.uniform(B, 1 + this.heightFactor[0], 1 + this.heightFactor[1]);
    const zx = this.widthFactor ? this.uniform(B, 1 + this.widthFactor[0], 1 + this.widthFactor[1]) : zy;
    return zy.flatMap((y, b) => [zx[b], 0, ((W - 1) / 2) * (1 - zx[b]), 0, y, ((H - 1) / 2) * (1 - y), 0, 0]);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), heightFactor: this.heightFactor, widthFactor: this.widthFactor };
  }
}
