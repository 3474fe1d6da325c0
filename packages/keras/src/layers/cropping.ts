import { ShapeError, type Tensor, slice } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from './layer';
import { type KerasDataFormat, dataFormat, intPair, intPairs2d, layerOptions } from './layer-config';

/** The size left after cropping [before, after] off `n`, or a ShapeError naming the layer: Keras needs at least one left. */
function cropped(
  label: string,
  n: number | null,
  crop: readonly [number, number],
  shape: PartialShape | readonly number[],
): number | null {
  if (n === null) return null;
  const left = n - crop[0] - crop[1];
  if (left <= 0) {
    throw new ShapeError(
      `${label}: cropping [${crop.join(', ')}] leaves nothing of an axis of size ${n} (input shape ${fmtKerasShape([...shape])}); the cropping must be smaller than the input`,
    );
  }
  return left;
}

export interface Cropping1DArgs extends LayerArgs {
  /** Steps cut from the start and end: n (both) or [start, end] (default 1). */
  cropping?: number | [number, number];
}

/** Keras' Cropping1D: cuts steps off the start and end of [batch, steps, features] input. */
export class Cropping1D extends Layer {
  readonly cropping: [number, number];

  constructor(config: Cropping1DArgs | number | [number, number] = {}) {
    const a =
      typeof config === 'number' || Array.isArray(config)
        ? { cropping: config }
        : layerOptions(
            'Cropping1D',
            config,
            'cropping or an options object ({ cropping })',
            [...LAYER_OPTIONS, 'cropping'],
            new.target === Cropping1D,
          );
    super(a);
    this.cropping = intPair(this.label, 'cropping', a.cropping ?? 1);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'Cropping1D';
  }

  override build(inputShape: PartialShape): void {
    this.expectRank(inputShape, 3, 'input [batch, steps, features]');
    cropped(this.label, inputShape[1], this.cropping, inputShape);
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    return [s[0], cropped(this.label, s[1], this.cropping, s), s[2]];
  }

  override forward(x: Tensor): Tensor {
    if (x.rank !== 3)
      throw new ShapeError(
        `${this.label}: expects input [batch, steps, features] of rank 3, got shape ${fmtShape(x.shape)}`,
      );
    const n = cropped(this.label, x.shape[1], this.cropping, x.shape) as number;
    return slice(x, [0, this.cropping[0], 0], [null, this.cropping[0] + n, null]);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), cropping: [...this.cropping] };
  }
}

export interface Cropping2DArgs extends LayerArgs {
  /** n (every side), [h, w] (symmetric per axis) or [[top, bottom], [left, right]] (default 0). */
  cropping?: number | [number, number] | [[number, number], [number, number]];
  /** 'channels_last' ([batch, h, w, channels], the default) or 'channels_first'. */
  dataFormat?: KerasDataFormat;
}

/** Keras' Cropping2D: cuts rows and columns off the edges of images. */
export class Cropping2D extends Layer {
  readonly cropping: [[number, number], [number, number]];
  readonly dataFormat: KerasDataFormat;

  constructor(config: Cropping2DArgs | NonNullable<Cropping2DArgs['cropping']> = {}) {
    const a =
      typeof config === 'number' || Array.isArray(config)
        ? { cropping: config }
        : layerOptions(
            'Cropping2D',
            config,
            'cropping or an options object ({ cropping, dataFormat })',
            [...LAYER_OPTIONS, 'cropping', 'dataFormat'],
            new.target === Cropping2D,
          );
    super(a);
    this.cropping = intPairs2d(this.label, 'cropping', a.cropping ?? 0);
    this.dataFormat = dataFormat(this.label, (a as Cropping2DArgs).dataFormat);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'Cropping2D';
  }

  private get firstSpatialAxis(): number {
    return this.dataFormat === 'channels_last' ? 1 : 2;
  }

  override build(inputShape: PartialShape): void {
    this.expectRank(
      inputShape,
      4,
      this.dataFormat === 'channels_last'
        ? 'images [batch, height, width, channels]'
        : 'images [batch, channels, height, width]',
    );
    this.computeOutputShape(inputShape);
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    const out = [...s];
    for (let i = 0; i < 2; i++)
      out[this.firstSpatialAxis + i] = cropped(this.label, s[this.firstSpatialAxis + i], this.cropping[i], s);
    return out;
  }

  override forward(x: Tensor): Tensor {
    this.expectRank(
      [...x.shape],
      4,
      this.dataFormat === 'channels_last'
        ? 'images [batch, height, width, channels]'
        : 'images [batch, channels, height, width]',
    );
    const out = this.computeOutputShape([...x.shape]) as number[];
    const begin = [0, 0, 0, 0];
    const end = [...x.shape];
    for (let i = 0; i < 2; i++) {
      const ax = this.firstSpatialAxis + i;
      begin[ax] = this.cropping[i][0];
      end[ax] = this.cropping[i][0] + out[ax];
    }
    return slice(x, begin, end);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), cropping: this.cropping.map((p) => [...p]), dataFormat: this.dataFormat };
  }
}
