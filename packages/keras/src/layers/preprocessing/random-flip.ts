import { ArgumentError, type Tensor, flip, tensor, where } from '@tsdl/tensor';
import { quote } from '../../names';
import { LAYER_OPTIONS } from '../layer';
import { layerOptions } from '../layer-config';
import { RANDOM_IMAGE_OPTIONS, type RandomImageArgs, RandomImageLayer } from './random-image';

export type FlipMode = 'horizontal' | 'vertical' | 'horizontal_and_vertical';

export interface RandomFlipArgs extends RandomImageArgs {
  /** Which flips (default 'horizontal_and_vertical'). */
  mode?: FlipMode;
}

/**
 * Keras' RandomFlip: in training each image is flipped with probability 1/2 (left-right,
 * top-bottom, or with 'horizontal_and_vertical' both at once, as Keras 3 draws one decision
 * per image for both); the identity in inference.
 */
export class RandomFlip extends RandomImageLayer {
  readonly mode: FlipMode;

  constructor(config: RandomFlipArgs | FlipMode = {}) {
    const a =
      typeof config === 'string'
        ? { mode: config }
        : layerOptions(
            'RandomFlip',
            config,
            'a mode or an options object ({ mode, seed })',
            [...LAYER_OPTIONS, 'mode', ...RANDOM_IMAGE_OPTIONS],
            new.target === RandomFlip,
          );
    super(a);
    const mode: unknown = a.mode ?? 'horizontal_and_vertical';
    if (mode !== 'horizontal' && mode !== 'vertical' && mode !== 'horizontal_and_vertical') {
      throw new ArgumentError(
        `${this.label}: mode must be 'horizontal', 'vertical' or 'horizontal_and_vertical', got ${quote(mode)}`,
      );
    }
    this.mode = mode;
  }

  override get className(): string {
    return 'RandomFlip';
  }

  protected augment(x: Tensor): Tensor {
    const B = x.shape[0];
    const flips = tensor(
      this.uniform(B).map((u) => u <= 0.5),
      [B, 1, 1, 1],
      'bool',
      { backend: x.backend },
    );
    const axes = this.mode === 'horizontal' ? [2] : this.mode === 'vertical' ? [1] : [1, 2];
    return where(flips, flip(x, axes), x);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), mode: this.mode };
  }
}
