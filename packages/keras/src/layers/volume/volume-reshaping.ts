import { ShapeError, type Tensor, broadcastTo, pad, reshape, slice, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape, fmtKerasShape } from '../layer';
import { type KerasDataFormat, dataFormat, layerOptions } from '../layer-config';
import {
  type IntTriple,
  fromChannelsLast,
  shapeFromLast,
  shapeToLast,
  sidePairs3d,
  toChannelsLast,
  tripleOf,
  volumeWhat,
} from './volume-args';

type SidePairs = [[number, number], [number, number], [number, number]];

/** The 3-D reshaping layers' shared format handling: each works on channels-last volumes. */
abstract class VolumeLayer extends Layer {
  readonly dataFormat: KerasDataFormat;

  protected constructor(a: LayerArgs & { dataFormat?: KerasDataFormat }) {
    super(a);
    this.dataFormat = dataFormat(this.label, a.dataFormat);
  }

  /** The channels-last output size [d1, d2, d3] for an input size (null: unknown). */
  protected abstract sizes(s: (number | null)[], shape: string): (number | null)[];
  /** The channels-last computation. */
  protected abstract compute(x: Tensor): Tensor;

  override build(inputShape: PartialShape): void {
    this.computeOutputShape(inputShape);
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    this.expectRank(s, 5, volumeWhat(this.dataFormat));
    const last = shapeToLast(s, this.dataFormat);
    return shapeFromLast([s[0], ...this.sizes(last.slice(1, 4), fmtKerasShape(s)), last[4]], this.dataFormat);
  }

  override forward(x: Tensor): Tensor {
    if (x.rank !== 5)
      throw new ShapeError(`${this.label}: expected ${volumeWhat(this.dataFormat)}, got shape ${fmtShape(x.shape)}`);
    this.sizes(shapeToLast([...x.shape], this.dataFormat).slice(1, 4), fmtShape(x.shape));
    return tidy(() => fromChannelsLast(this.compute(toChannelsLast(x, this.dataFormat)), this.dataFormat));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dataFormat: this.dataFormat };
  }
}

export interface UpSampling3DArgs extends LayerArgs {
  /** Repeats per axis (default 2). */
  size?: IntTriple;
  dataFormat?: KerasDataFormat;
}

/** Keras' UpSampling3D: repeats each cell size[i] times along axis i (nearest neighbour). */
export class UpSampling3D extends VolumeLayer {
  readonly size: [number, number, number];

  constructor(config: UpSampling3DArgs | IntTriple = {}) {
    const a =
      typeof config === 'number' || Array.isArray(config)
        ? { size: config }
        : layerOptions(
            'UpSampling3D',
            config,
            'an options object ({ size, dataFormat })',
            [...LAYER_OPTIONS, 'size', 'dataFormat'],
            new.target === UpSampling3D,
          );
    super(a);
    this.size = tripleOf(this.label, 'size', (a as UpSampling3DArgs).size, 2);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'UpSampling3D';
  }

  protected sizes(s: (number | null)[]): (number | null)[] {
    return s.map((d, i) => (d === null ? null : d * this.size[i]));
  }

  protected compute(x: Tensor): Tensor {
    const [B, D, H, W, C] = x.shape;
    const [a, b, c] = this.size;
    // Each cell broadcast over a new axis after its own, then the pairs merged.
    const spread = broadcastTo(reshape(x, [B, D, 1, H, 1, W, 1, C]), [B, D, a, H, b, W, c, C]);
    return reshape(spread, [B, D * a, H * b, W * c, C]);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), size: this.size };
  }
}

export interface ZeroPadding3DArgs extends LayerArgs {
  /** n, [a, b, c] or [[a1, a2], [b1, b2], [c1, c2]] (default 1). */
  padding?: number | [number, number, number] | SidePairs;
  dataFormat?: KerasDataFormat;
}

/** Keras' ZeroPadding3D: zeros before and after each spatial axis. */
export class ZeroPadding3D extends VolumeLayer {
  readonly padding: SidePairs;

  constructor(config: ZeroPadding3DArgs | number | [number, number, number] | SidePairs = {}) {
    const a =
      typeof config === 'number' || Array.isArray(config)
        ? { padding: config }
        : layerOptions(
            'ZeroPadding3D',
            config,
            'an options object ({ padding, dataFormat })',
            [...LAYER_OPTIONS, 'padding', 'dataFormat'],
            new.target === ZeroPadding3D,
          );
    super(a);
    this.padding = sidePairs3d(this.label, 'padding', (a as ZeroPadding3DArgs).padding ?? 1);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'ZeroPadding3D';
  }

  protected sizes(s: (number | null)[]): (number | null)[] {
    return s.map((d, i) => (d === null ? null : d + this.padding[i][0] + this.padding[i][1]));
  }

  protected compute(x: Tensor): Tensor {
    return pad(x, [[0, 0], ...this.padding, [0, 0]]);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), padding: this.padding };
  }
}

export interface Cropping3DArgs extends LayerArgs {
  /** n, [a, b, c] or [[a1, a2], [b1, b2], [c1, c2]] cells removed (default 1). */
  cropping?: number | [number, number, number] | SidePairs;
  dataFormat?: KerasDataFormat;
}

/** Keras' Cropping3D: removes cells before and after each spatial axis. */
export class Cropping3D extends VolumeLayer {
  readonly cropping: SidePairs;

  constructor(config: Cropping3DArgs | number | [number, number, number] | SidePairs = {}) {
    const a =
      typeof config === 'number' || Array.isArray(config)
        ? { cropping: config }
        : layerOptions(
            'Cropping3D',
            config,
            'an options object ({ cropping, dataFormat })',
            [...LAYER_OPTIONS, 'cropping', 'dataFormat'],
            new.target === Cropping3D,
          );
    super(a);
    this.cropping = sidePairs3d(this.label, 'cropping', (a as Cropping3DArgs).cropping ?? 1);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'Cropping3D';
  }

  protected sizes(s: (number | null)[], shape: string): (number | null)[] {
    return s.map((d, i) => {
      if (d === null) return null;
      const n = d - this.cropping[i][0] - this.cropping[i][1];
      if (n < 1)
        throw new ShapeError(
          `${this.label}: cropping [${this.cropping[i].join(', ')}] leaves nothing of axis ${i + 1} (size ${d}) of input shape ${shape}`,
        );
      return n;
    });
  }

  protected compute(x: Tensor): Tensor {
    const c = this.cropping;
    return slice(
      x,
      [0, c[0][0], c[1][0], c[2][0], 0],
      [null, x.shape[1] - c[0][1], x.shape[2] - c[1][1], x.shape[3] - c[2][1], null],
    );
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), cropping: this.cropping };
  }
}
