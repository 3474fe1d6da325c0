import { ArgumentError, ShapeError, type Tensor, broadcastTo, reshape, transpose } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { quote } from '../names';
import { LAYER_OPTIONS, type LayerArgs, Layer, type PartialShape } from './layer';
import { layerOptions } from './layer-config';
import { positiveInt } from './options';

export interface PermuteArgs extends LayerArgs {
  /** The new order of the axes, 1-based as Keras (the batch axis 0 stays first): [2, 1] swaps the two axes of a sample. */
  dims: number[];
}

/** Keras' Permute: reorders the axes of each sample. */
export class Permute extends Layer {
  readonly dims: number[];

  constructor(config: PermuteArgs | number[]) {
    const a = Array.isArray(config)
      ? { dims: config }
      : layerOptions(
          'Permute',
          config,
          'dims or an options object ({ dims })',
          [...LAYER_OPTIONS, 'dims'],
          new.target === Permute,
        );
    super(a);
    const d: unknown = a.dims;
    const ok = Array.isArray(d) && d.length > 0 && [...d].sort((p, q) => p - q).every((v, i) => v === i + 1);
    if (!ok)
      throw new ArgumentError(
        `${this.label}: dims must hold each of 1 … n once (1-based axes, the batch axis excluded, as Keras), got ${quote(d)}`,
      );
    this.dims = [...(d as number[])];
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'Permute';
  }

  override build(inputShape: PartialShape): void {
    this.expectRank(inputShape, this.dims.length + 1, `input for dims ${quote(this.dims)}`);
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    return [s[0], ...this.dims.map((d) => s[d])];
  }

  override forward(x: Tensor): Tensor {
    this.expectRank([...x.shape], this.dims.length + 1, `input for dims ${quote(this.dims)}`);
    return transpose(x, [0, ...this.dims]);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dims: [...this.dims] };
  }
}

export interface RepeatVectorArgs extends LayerArgs {
  /** How many times to repeat each sample's vector. */
  n: number;
}

/** Keras' RepeatVector: [batch, features] → [batch, n, features]. */
export class RepeatVector extends Layer {
  readonly n: number;

  constructor(config: RepeatVectorArgs | number) {
    const a =
      typeof config === 'number'
        ? { n: config }
        : layerOptions(
            'RepeatVector',
            config,
            'n or an options object ({ n })',
            [...LAYER_OPTIONS, 'n'],
            new.target === RepeatVector,
          );
    super(a);
    this.n = positiveInt(this.label, 'n', a.n);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'RepeatVector';
  }

  override build(inputShape: PartialShape): void {
    this.expectRank(inputShape, 2, 'input [batch, features]');
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    return [s[0], this.n, s[1]];
  }

  override forward(x: Tensor): Tensor {
    this.expectRank([...x.shape], 2, 'input [batch, features]');
    const [b, f] = x.shape;
    // A stride-0 view: the n copies are not materialised until something needs them.
    return broadcastTo(reshape(x, [b, 1, f]), [b, this.n, f]);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), n: this.n };
  }
}

export interface UpSampling1DArgs extends LayerArgs {
  /** How many times to repeat each step (default 2). */
  size?: number;
}

/** Keras' UpSampling1D: repeats each step `size` times, [batch, steps, features] → [batch, steps · size, features]. */
export class UpSampling1D extends Layer {
  readonly size: number;

  constructor(config: UpSampling1DArgs | number = {}) {
    const a =
      typeof config === 'number'
        ? { size: config }
        : layerOptions(
            'UpSampling1D',
            config,
            'a size or an options object ({ size })',
            [...LAYER_OPTIONS, 'size'],
            new.target === UpSampling1D,
          );
    super(a);
    this.size = positiveInt(this.label, 'size', a.size ?? 2);
    if (this.inputShapeArg) this.build([null, ...this.inputShapeArg]);
  }

  override get className(): string {
    return 'UpSampling1D';
  }

  override build(inputShape: PartialShape): void {
    this.expectRank(inputShape, 3, 'input [batch, steps, features]');
    this.built = true;
  }

  override computeOutputShape(s: PartialShape): PartialShape {
    return [s[0], s[1] === null ? null : s[1] * this.size, s[2]];
  }

  override forward(x: Tensor): Tensor {
    if (x.rank !== 3)
      throw new ShapeError(
        `${this.label}: expects input [batch, steps, features] of rank 3, got shape ${fmtShape(x.shape)}`,
      );
    const [b, s, f] = x.shape;
    // Each step repeated in place (numpy.repeat on axis 1): [b, s, 1, f] broadcast to [b, s, size, f].
    return reshape(broadcastTo(reshape(x, [b, s, 1, f]), [b, s, this.size, f]), [b, s * this.size, f]);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), size: this.size };
  }
}
