import { ArgumentError, type Tensor, clip, mean, tensor } from '@tsdl/tensor';
import { LAYER_OPTIONS } from '../layer';
import { layerOptions } from '../layer-config';
import { RANDOM_IMAGE_OPTIONS, type RandomImageArgs, RandomImageLayer, factorRange, valueRange } from './random-image';

export interface RandomContrastArgs extends RandomImageArgs {
  /** f: contrast factors in [1 − f, 1 + f]; [lower, upper]: in [1 − lower, 1 + upper]; lower in [0, 1], upper >= 0. Required. */
  factor: number | [number, number];
  /** The pixel range the output is clipped to (default [0, 255]). */
  valueRange?: [number, number];
}

/**
 * Keras' RandomContrast: (x − mean) · c + mean per image and channel (the mean over height
 * and width), c drawn per image, clipped to valueRange.
 */
export class RandomContrast extends RandomImageLayer {
  readonly factor: [number, number];
  readonly valueRange: [number, number];

  constructor(config: RandomContrastArgs | number) {
    const a =
      typeof config === 'number'
        ? { factor: config }
        : layerOptions(
            'RandomContrast',
            config,
            'a factor or an options object ({ factor, valueRange, seed })',
            [...LAYER_OPTIONS, ...RANDOM_IMAGE_OPTIONS, 'factor', 'valueRange'],
            new.target === RandomContrast,
          );
    super(a);
    this.factor = factorRange(this.label, 'factor', a.factor, { symmetric: false, min: 0, max: Infinity });
    if (this.factor[0] > 1)
      throw new ArgumentError(
        `${this.label}: factor's lower bound ${this.factor[0]} must be at most 1 (contrast factors start at 1 − lower >= 0)`,
      );
    this.valueRange = valueRange(this.label, (a as RandomContrastArgs).valueRange);
  }

  override get className(): string {
    return 'RandomContrast';
  }

  protected augment(x: Tensor): Tensor {
    const B = x.shape[0];
    const c = tensor(this.uniform(B, 1 - this.factor[0], 1 + this.factor[1]), [B, 1, 1, 1], 'float32', {
      backend: x.backend,
    });
    const m = mean(x, [1, 2], true);
    return clip(x.sub(m).mul(c).add(m), this.valueRange[0], this.valueRange[1]);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), factor: this.factor, valueRange: this.valueRange };
  }
}

export interface RandomBrightnessArgs extends RandomImageArgs {
  /** f: deltas in [−|f|, |f|] of the value range's width; or a pair (sorted); within [−1, 1]. Required. */
  factor: number | [number, number];
  /** The pixel range: deltas are fractions of its width, and the output is clipped to it (default [0, 255]). */
  valueRange?: [number, number];
}

/** Keras' RandomBrightness: adds delta · (high − low) to each image (delta drawn per image), clipped to valueRange. */
export class RandomBrightness extends RandomImageLayer {
  readonly factor: [number, number];
  readonly valueRange: [number, number];

  constructor(config: RandomBrightnessArgs | number) {
    const a =
      typeof config === 'number'
        ? { factor: config }
        : layerOptions(
            'RandomBrightness',
            config,
            'a factor or an options object ({ factor, valueRange, seed })',
            [...LAYER_OPTIONS, ...RANDOM_IMAGE_OPTIONS, 'factor', 'valueRange'],
            new.target === RandomBrightness,
          );
    super(a);
    this.factor = factorRange(this.label, 'factor', a.factor, { abs: true, min: -1, max: 1 });
    this.valueRange = valueRange(this.label, (a as RandomBrightnessArgs).valueRange);
  }

  override get className(): string {
    return 'RandomBrightness';
  }

  protected augment(x: Tensor): Tensor {
    const B = x.shape[0];
    const [lo, hi] = this.valueRange;
    const delta = tensor(
      this.uniform(B, ...this.factor).map((d) => d * (hi - lo)),
      [B, 1, 1, 1],
      'float32',
      { backend: x.backend },
    );
    return clip(x.add(delta), lo, hi);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), factor: this.factor, valueRange: this.valueRange };
  }
}
