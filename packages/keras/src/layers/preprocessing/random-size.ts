import { type Tensor, resizeBilinear, resizeNearest } from '@tsdl/tensor';
import { LAYER_OPTIONS } from '../layer';
import { layerOptions } from '../layer-config';
import { interpolationOf } from '../up-sampling2d';
import type { Interpolation } from './affine-sampler';
import { RANDOM_IMAGE_OPTIONS, type RandomImageArgs, RandomImageLayer, factorRange } from './random-image';

export interface RandomSizeArgs extends RandomImageArgs {
  /** f: sizes scaled by a factor in [1 − f, 1 + f]; [lower, upper]: in [1 + lower, 1 + upper]; lower >= −1. Required. */
  factor: number | [number, number];
  /** 'bilinear' (default) or 'nearest' (half-pixel centres, as tf.image.resize). */
  interpolation?: Interpolation;
}

/** RandomHeight and RandomWidth: one random size per batch along one axis, reached by resizing. */
abstract class RandomSize extends RandomImageLayer {
  readonly factor: [number, number];
  readonly interpolation: Interpolation;

  protected constructor(a: RandomSizeArgs) {
    super(a);
    this.factor = factorRange(this.label, 'factor', a.factor, { min: -1, max: Infinity });
    this.interpolation = interpolationOf(this.label, a.interpolation, 'bilinear', ['bilinear', 'nearest']);
  }

  /** Which axis changes: 1 (height) or 2 (width) of [batch, h, w, c]. */
  protected abstract get axis(): 1 | 2;

  protected override outputSize(h: number | null, w: number | null): [number | null, number | null] {
    return this.axis === 1 ? [null, w] : [h, null];
  }

  protected augment(x: Tensor): Tensor {
    const [u] = this.uniform(1, 1 + this.factor[0], 1 + this.factor[1]);
    // Keras casts factor · size to int32 (truncation); a size of 0 is kept at 1.
    const n = Math.max(1, Math.trunc(Math.fround(u * x.shape[this.axis])));
    const size: [number, number] = this.axis === 1 ? [n, x.shape[2]] : [x.shape[1], n];
    const options = { halfPixelCenters: true };
    return this.interpolation === 'bilinear' ? resizeBilinear(x, size, options) : resizeNearest(x, size, options);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), factor: this.factor, interpolation: this.interpolation };
  }
}

/** Keras' RandomHeight: resizes the batch to a random height (width kept) in training. */
export class RandomHeight extends RandomSize {
  constructor(config: RandomSizeArgs | number) {
    const a =
      typeof config === 'number'
        ? { factor: config }
        : layerOptions(
            'RandomHeight',
            config,
            'a factor or an options object ({ factor, interpolation, seed })',
            [...LAYER_OPTIONS, ...RANDOM_IMAGE_OPTIONS, 'factor', 'interpolation'],
            new.target === RandomHeight,
          );
    super(a);
  }
  override get className(): string {
    return 'RandomHeight';
  }
  protected get axis(): 1 {
    return 1;
  }
}

/** Keras' RandomWidth: resizes the batch to a random width (height kept) in training. */
export class RandomWidth extends RandomSize {
  constructor(config: RandomSizeArgs | number) {
    const a =
      typeof config === 'number'
        ? { factor: config }
        : layerOptions(
            'RandomWidth',
            config,
            'a factor or an options object ({ factor, interpolation, seed })',
            [...LAYER_OPTIONS, ...RANDOM_IMAGE_OPTIONS, 'factor', 'interpolation'],
            new.target === RandomWidth,
          );
    super(a);
  }
  override get className(): string {
    return 'RandomWidth';
  }
  protected get axis(): 2 {
    return 2;
  }
}
