import { LAYER_OPTIONS, type LayerArgs } from './layer';
import { type KerasDataFormat, dataFormat, layerOptions } from './layer-config';
import { SpatialDropout } from './spatial-dropout';

export interface SpatialDropout3DArgs extends LayerArgs {
  rate: number;
  dataFormat?: KerasDataFormat;
  seed?: number;
}

/**
 * Keras' SpatialDropout3D: drops whole channels of volumes ([batch, d1, d2, d3, channels],
 * or [batch, channels, d1, d2, d3] with 'channels_first'): one draw per sample and
 * channel, the kept ones scaled by 1 / (1 − rate), in training only.
 */
export class SpatialDropout3D extends SpatialDropout {
  readonly dataFormat: KerasDataFormat;
  constructor(config: SpatialDropout3DArgs | number) {
    const a =
      typeof config === 'number'
        ? { rate: config }
        : layerOptions(
            'SpatialDropout3D',
            config,
            'a rate or an options object ({ rate, dataFormat, seed })',
            [...LAYER_OPTIONS, 'rate', 'dataFormat', 'seed'],
            new.target === SpatialDropout3D,
          );
    super(a);
    this.dataFormat = dataFormat(this.label, (a as SpatialDropout3DArgs).dataFormat);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }
  override get className(): string {
    return 'SpatialDropout3D';
  }
  protected get rank(): number {
    return 5;
  }
  protected get what(): string {
    return this.dataFormat === 'channels_last'
      ? 'volumes [batch, dim1, dim2, dim3, channels]'
      : 'volumes [batch, channels, dim1, dim2, dim3]';
  }
  protected noiseShape(s: readonly number[]): number[] {
    return this.dataFormat === 'channels_last' ? [s[0], 1, 1, 1, s[4]] : [s[0], s[1], 1, 1, 1];
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dataFormat: this.dataFormat };
  }
}
