import { ArgumentError, type DataFormat, type Padding2d, ShapeError, type Tensor, conv2d, fmtShape, tidy } from '@tsdl/tensor';
import type { Initializer } from '../init/initializers';
import { computeFans } from '../init/fans';
import { Module } from '../module';
import { defaultBiasInit, defaultWeightInit } from './linear';

export type Pair = number | readonly [number, number];

export interface Conv2dOptions {
  /** Step of the window (default 1). */
  stride?: Pair;
  /**
   * 'valid' (none, the default as PyTorch's 0), 'same' (output = ceil(input / stride),
   * TensorFlow's rule; PyTorch allows 'same' only with stride 1, where the rules agree),
   * a number of cells on every side, [h, w], or [[top, bottom], [left, right]].
   */
  padding?: Padding2d;
  /** Spacing of the kernel taps (default 1). */
  dilation?: Pair;
  /** Learn a per-channel bias (default true). */
  bias?: boolean;
  /**
   * 'NCHW' (default, as PyTorch): input [N, C, H, W], weight [O, C, kH, kW].
   * 'NHWC' (Keras/TensorFlow): input [N, H, W, C], weight [kH, kW, C, O].
   */
  dataFormat?: DataFormat;
  /** Weight initializer; PyTorch's kaiming-uniform with a = √5 by default (layout follows dataFormat). */
  weightInit?: Initializer;
  /** Bias initializer; U(±1/√fanIn) by default. */
  biasInit?: Initializer;
  /** Seed for the default initializers (the bias uses seed + 1). */
  seed?: number;
}

function pair(name: string, v: Pair): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new ArgumentError(`Conv2d: ${name} must be positive integers, got ${JSON.stringify(v)}`);
  }
  return p;
}

/** 2-D convolution (cross-correlation) over a batch of images, with stride, padding and dilation. */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly dilation: [number, number];
  readonly padding: Padding2d;
  readonly dataFormat: DataFormat;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: Conv2dOptions = {}) {
    super();
    for (const [k, v] of [['inChannels', inChannels], ['outChannels', outChannels]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ArgumentError(`Conv2d: ${k} must be a positive integer, got ${v}`);
    }
    const fmt = options.dataFormat ?? 'NCHW';
    if (fmt !== 'NCHW' && fmt !== 'NHWC') throw new ArgumentError(`Conv2d: dataFormat must be 'NCHW' or 'NHWC', got ${JSON.stringify(fmt)}`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair('kernelSize', kernelSize);
    this.stride = pair('stride', options.stride ?? 1);
    this.dilation = pair('dilation', options.dilation ?? 1);
    this.padding = options.padding ?? 'valid';
    this.dataFormat = fmt;
    const [kH, kW] = this.kernelSize;
    const layout = fmt === 'NCHW' ? 'outIn' : 'inOut';
    const shape = fmt === 'NCHW' ? [outChannels, inChannels, kH, kW] : [kH, kW, inChannels, outChannels];
    const seed = options.seed;
    this.weight = this.registerParameter('weight', (options.weightInit ?? defaultWeightInit)(shape, { layout, seed }));
    if (options.bias ?? true) {
      const init = options.biasInit ?? defaultBiasInit(computeFans(shape, layout).fanIn);
      this.bias = this.registerParameter('bias', init([outChannels], { layout, seed: seed === undefined ? undefined : seed + 1 }));
    } else {
      this.bias = null;
    }
  }

  /** Input [N, C, H, W] (or [N, H, W, C] for NHWC); an unbatched 3-D image is accepted too. */
  override forward(x: Tensor): Tensor {
    if (x.rank === 3) return tidy(() => this.forward(x.unsqueeze(0)).squeeze(0));
    const chAxis = this.dataFormat === 'NCHW' ? 1 : 3;
    if (x.rank !== 4 || x.shape[chAxis] !== this.inChannels) {
      const layout = this.dataFormat === 'NCHW' ? '[N, C, H, W]' : '[N, H, W, C]';
      throw new ShapeError(`Conv2d: expected input ${layout} with C = ${this.inChannels}, got shape ${fmtShape(x.shape)}`);
    }
    return tidy(() => {
      const y = conv2d(x, this.weight, {
        strides: this.stride,
        padding: this.padding,
        dilations: this.dilation,
        dataFormat: this.dataFormat,
      });
      if (!this.bias) return y;
      return y.add(this.dataFormat === 'NCHW' ? this.bias.reshape([1, this.outChannels, 1, 1]) : this.bias);
    });
  }

  override extraRepr(): string {
    return (
      `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize}], stride=[${this.stride}], ` +
      `padding=${JSON.stringify(this.padding)}, dilation=[${this.dilation}], bias=${this.bias !== null}, dataFormat=${this.dataFormat}`
    );
  }
}
