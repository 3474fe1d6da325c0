import { type Tensor, rand, tidy } from '@tsdl/tensor';
import { applyDropout } from '@tsdl/tensor/internal';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape } from './layer';
import { type KerasDataFormat, dataFormat, layerOptions } from './layer-config';
import { numberIn, optionalSeed } from './options';
import { SeedSequence } from './seed-sequence';

/**
 * Keras' spatial dropout: drops whole feature maps (one draw per sample and
 * channel, shared over the steps or pixels) in training, scaling the rest by
 * 1 / (1 − rate); the identity in inference.
 */
export abstract class SpatialDropout extends Layer {
  readonly rate: number;
  protected readonly seeds: SeedSequence;

  protected constructor(args: LayerArgs & { rate: number; seed?: number }) {
    super(args);
    this.rate = numberIn(this.label, 'rate', args.rate, 0, 1, true);
    this.seeds = new SeedSequence(optionalSeed(this.label, args.seed));
  }

  /** Keras' Dropout (which these extend there) supports masking. */
  override get supportsMasking(): boolean {
    return true;
  }

  protected abstract get rank(): number;
  protected abstract get what(): string;
  /** The shape of one draw: 1 on the axes a map spans. */
  protected abstract noiseShape(shape: readonly number[]): number[];

  override build(inputShape: PartialShape): void {
    this.expectRank(inputShape, this.rank, this.what);
    this.built = true;
  }

  override forward(x: Tensor): Tensor {
    this.expectRank([...x.shape], this.rank, this.what);
    if (!this.training || this.rate === 0) return x;
    const seed = this.seeds.take();
    return tidy(() => applyDropout(x, rand(this.noiseShape(x.shape), { seed, backend: x.backend }), this.rate));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, seed: this.seeds.seed ?? null };
  }
}

export interface SpatialDropout1DArgs extends LayerArgs {
  rate: number;
  seed?: number;
}

/** Drops whole channels of [batch, steps, channels] input. */
export class SpatialDropout1D extends SpatialDropout {
  constructor(config: SpatialDropout1DArgs | number) {
    const a =
      typeof config === 'number'
        ? { rate: config }
        : layerOptions(
            'SpatialDropout1D',
            config,
            'a rate or an options object ({ rate, seed })',
            [...LAYER_OPTIONS, 'rate', 'seed'],
            new.target === SpatialDropout1D,
          );
    super(a);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }
  override get className(): string {
    return 'SpatialDropout1D';
  }
  protected get rank(): number {
    return 3;
  }
  protected get what(): string {
    return 'input [batch, steps, channels]';
  }
  protected noiseShape(s: readonly number[]): number[] {
    return [s[0], 1, s[2]];
  }
}

export interface SpatialDropout2DArgs extends LayerArgs {
  rate: number;
  dataFormat?: KerasDataFormat;
  seed?: number;
}

/** Drops whole channels of images ([batch, h, w, channels], or [batch, channels, h, w] with 'channels_first'). */
export class SpatialDropout2D extends SpatialDropout {
  readonly dataFormat: KerasDataFormat;
  constructor(config: SpatialDropout2DArgs | number) {
    const a =
      typeof config === 'number'
        ? { rate: config }
        : layerOptions(
            'SpatialDropout2D',
            config,
            'a rate or an options object ({ rate, dataFormat, seed })',
            [...LAYER_OPTIONS, 'rate', 'dataFormat', 'seed'],
            new.target === SpatialDropout2D,
          );
    super(a);
    this.dataFormat = dataFormat(this.label, (a as SpatialDropout2DArgs).dataFormat);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }
  override get className(): string {
    return 'SpatialDropout2D';
  }
  protected get rank(): number {
    return 4;
  }
  protected get what(): string {
    return this.dataFormat === 'channels_last'
      ? 'images [batch, height, width, channels]'
      : 'images [batch, channels, height, width]';
  }
  protected noiseShape(s: readonly number[]): number[] {
    return this.dataFormat === 'channels_last' ? [s[0], 1, 1, s[3]] : [s[0], s[1], 1, 1];
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dataFormat: this.dataFormat };
  }
}
