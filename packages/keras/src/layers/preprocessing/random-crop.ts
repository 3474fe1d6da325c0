import { type Tensor, resizeBilinear, slice } from '@tsdl/tensor';
import { LAYER_OPTIONS } from '../layer';
import { layerOptions } from '../layer-config';
import { positiveInt } from '../options';
import { RANDOM_IMAGE_OPTIONS, type RandomImageArgs, RandomImageLayer } from './random-image';

export interface RandomCropArgs extends RandomImageArgs {
  height: number;
  width: number;
}

/**
 * Keras' RandomCrop to [height, width]: in training a window at a random offset (one per
 * batch, as Keras); in inference, and in training for an input smaller than the target,
 * Keras' smart_resize: the largest centred window of the target's aspect ratio, resized
 * bilinearly.
 */
export class RandomCrop extends RandomImageLayer {
  readonly height: number;
  readonly width: number;

  constructor(config: RandomCropArgs) {
    const a = layerOptions(
      'RandomCrop',
      config,
      'an options object ({ height, width, seed })',
      [...LAYER_OPTIONS, 'height', 'width', ...RANDOM_IMAGE_OPTIONS],
      new.target === RandomCrop,
    );
    super(a);
    this.height = positiveInt(this.label, 'height', a.height);
    this.width = positiveInt(this.label, 'width', a.width);
  }

  override get className(): string {
    return 'RandomCrop';
  }

  protected override outputSize(): [number, number] {
    return [this.height, this.width];
  }

  protected augment(x: Tensor): Tensor {
    const [, H, W] = x.shape;
    if (H < this.height || W < this.width) return this.infer(x);
    const [u, v] = this.uniform(2);
    const top = Math.floor(u * (H - this.height + 1));
    const left = Math.floor(v * (W - this.width + 1));
    return slice(x, [0, top, left, 0], [null, top + this.height, left + this.width, null]);
  }

  /** Keras' smart_resize (float32 sizes truncated, as Keras computes them). */
  protected override infer(x: Tensor): Tensor {
    const [, H, W] = x.shape;
    if (H === this.height && W === this.width) return x;
    const ch = Math.max(Math.min(H, Math.trunc(Math.fround(Math.fround(W * this.height) / this.width))), 1);
    const cw = Math.max(Math.min(W, Math.trunc(Math.fround(Math.fround(H * this.width) / this.height))), 1);
    const top = Math.trunc((H - ch) / 2);
    const left = Math.trunc((W - cw) / 2);
    const win = slice(x, [0, top, left, 0], [null, top + ch, left + cw, null]);
    return resizeBilinear(win, [this.height, this.width], { halfPixelCenters: true });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), height: this.height, width: this.width };
  }
}
