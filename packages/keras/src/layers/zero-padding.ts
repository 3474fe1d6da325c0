import { type Tensor, pad } from '@tsdl/tensor';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape } from './layer';
import { type KerasDataFormat, dataFormat, intPair, intPairs2d, layerOptions } from './layer-config';

export interface ZeroPadding1DArgs extends LayerArgs {
  /** Zeros before and after the steps: n (both ends) or [before, after] (default 1). */
  padding?: number | [number, number];
  /** 'channels_last' ([batch, steps, features], the default) or 'channels_first'. */
  dataFormat?: KerasDataFormat;
}

/** Keras' ZeroPadding1D: adds zero steps at the start and end of [batch, steps, features] input. */
export class ZeroPadding1D extends Layer {
  readonly padding: [number, number];
  readonly dataFormat: KerasDataFormat;

  constructor(config: ZeroPadding1DArgs | number | [number, number] = {}) {
    const a =
      typeof config === 'number' || Array.isArray(config)
        ? { padding: config }
        : layerOptions(
            'ZeroPadding1D',
            config,
            'padding or an options object ({ padding, dataFormat })',
            [...LAYER_OPTIONS, 'padding', 'dataFormat'],
            new.target === ZeroPadding1D,
          );
    super(a);
    this.padding = intPair(this.label, 'padding', a.padding ?? 1);
    this.dataFormat = dataFormat(this.label, (a as ZeroPadding1DArgs).dataFormat);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'ZeroPadding1D';
  }

  private get stepsAxis(): number {
    return this.dataFormat === 'channels_last' ? 1 : 2;
  }

  private get what(): string {
    return this.dataFormat === 'channels_last' ? 'input [batch, steps, features]' : 'input [batch, features, steps]';
  }

  override build(inputShape: PartialShape): void {
    this.expectRank(inputShape, 3, this.what);
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    const out = [...s];
    const n = out[this.stepsAxis];
    out[this.stepsAxis] = n === null ? null : n + this.padding[0] + this.padding[1];
    return out;
  }

  override forward(x: Tensor): Tensor {
    this.expectRank([...x.shape], 3, this.what);
    const pads: [number, number][] = [
      [0, 0],
      [0, 0],
      [0, 0],
    ];
    pads[this.stepsAxis] = this.padding;
    return pad(x, pads);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), padding: [...this.padding], dataFormat: this.dataFormat };
  }
}

export interface ZeroPadding2DArgs extends LayerArgs {
  /** n (every side), [h, w] (symmetric per axis) or [[top, bottom], [left, right]] (default 1). */
  padding?: number | [number, number] | [[number, number], [number, number]];
  /** 'channels_last' ([batch, h, w, channels], the default) or 'channels_first'. */
  dataFormat?: KerasDataFormat;
}

/** Keras' ZeroPadding2D: adds rows and columns of zeros around images. */
export class ZeroPadding2D extends Layer {
  readonly padding: [[number, number], [number, number]];
  readonly dataFormat: KerasDataFormat;

  constructor(config: ZeroPadding2DArgs | NonNullable<ZeroPadding2DArgs['padding']> = {}) {
    const a =
      typeof config === 'number' || Array.isArray(config)
        ? { padding: config }
        : layerOptions(
            'ZeroPadding2D',
            config,
            'padding or an options object ({ padding, dataFormat })',
            [...LAYER_OPTIONS, 'padding', 'dataFormat'],
            new.target === ZeroPadding2D,
          );
    super(a);
    this.padding = intPairs2d(this.label, 'padding', a.padding ?? 1);
    this.dataFormat = dataFormat(this.label, (a as ZeroPadding2DArgs).dataFormat);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'ZeroPadding2D';
  }

  private get firstSpatialAxis(): number {
    return this.dataFormat === 'channels_last' ? 1 : 2;
  }

  private get what(): string {
    return this.dataFormat === 'channels_last'
      ? 'images [batch, height, width, channels]'
      : 'images [batch, channels, height, width]';
  }

  override build(inputShape: PartialShape): void {
    this.expectRank(inputShape, 4, this.what);
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    const out = [...s];
    for (let i = 0; i < 2; i++) {
      const ax = this.firstSpatialAxis + i;
      const n = out[ax];
      out[ax] = n === null ? null : n + this.padding[i][0] + this.padding[i][1];
    }
    return out;
  }

  override forward(x: Tensor): Tensor {
    this.expectRank([...x.shape], 4, this.what);
    const pads: [number, number][] = [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
    ];
    pads[this.firstSpatialAxis] = this.padding[0];
    pads[this.firstSpatialAxis + 1] = this.padding[1];
    return pad(x, pads);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), padding: this.padding.map((p) => [...p]), dataFormat: this.dataFormat };
  }
}
