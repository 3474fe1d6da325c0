import type { Tensor } from '@tsdl/tensor';
import { LAYER_OPTIONS, type LayerArgs, Layer } from './layer';
import { layerOptions } from './layer-config';

export type IdentityArgs = LayerArgs;

/**
 * Keras 3's Identity: returns its input unchanged (the same tensor), a placeholder
 * where a layer is expected. A padding mask passes through.
 */
export class Identity extends Layer {
  constructor(config: IdentityArgs = {}) {
    const a = layerOptions('Identity', config, 'an options object ({ name })', LAYER_OPTIONS, new.target === Identity);
    super(a);
    this.built = true;
  }

  override get className(): string {
    return 'Identity';
  }

  override get supportsMasking(): boolean {
    return true;
  }

  override forward(x: Tensor): Tensor {
    return x;
  }
}
