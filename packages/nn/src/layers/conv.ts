import { ArgumentError, type DataFormat, type Padding2d, ShapeError, type Tensor, conv2d, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import type { Initializer } from '../init/initializers';
import { computeFans } from '../init/fans';
import { Module } from '../module';
import { boolOption, padding2dOption, resolvePads } from './conv-geometry';
import { defaultBiasInit, defaultWeightInit } from './linear';
import { type PaddingMode, padSpatial, paddingModeOption } from './padding-mode';
import { checkOptionNames } from './recurrent/options';

export type Pair = number | readonly [number, number];

/**
 * Options of the `Conv2d` module, in PyTorch's names (`stride`, `dilation`; NCHW). Named for the
 * module because tensor's `Conv2dOptions` are the `conv2d` op's (docs/guides/options.md).
 */
export interface Conv2dModuleOptions {
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
  /**
   * Split the channels into this many groups, each convolved with its own
   * outChannels / groups filters (default 1; inChannels: depthwise). Both
   * channel counts must be divisible by it.
   */
  groups?: number;
  /** How padding is filled: 'zeros' (default), 'reflect', 'replicate' or 'circular' (PyTorch's padding_mode). */
  paddingMode?: PaddingMode;
  /** Learn a per-channel bias (default true). */
  bias?: boolean;
  /**
   * 'NCHW' (default, as PyTorch): input [N, C, H, W], weight [O, C/groups, kH, kW].
   * 'NHWC' (Keras/TensorFlow): input [N, H, W, C], weight [kH, kW, C/groups, O].
   */
  dataFormat?: DataFormat;
  /** Weight initializer; PyTorch's kaiming-uniform with a = √5 by default (layout follows dataFormat). */
  weightInit?: Initializer;
  /** Bias initializer; U(±1/√fanIn) by default. */
  biasInit?: Initializer;
  /** Seed for the default initializers (the bias uses seed + 1). */
  seed?: number;
}

const CONV2D_OPTIONS = [
  'stride',
  'padding',
  'dilation',
  'groups',
  'paddingMode',
  'bias',
  'dataFormat',
  'weightInit',
  'biasInit',
  'seed',
] as const;

function pair(name: string, v: Pair): [number, number] {
  const p: [number, number] =
    typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? [v[0], v[1]] : [NaN, NaN];
  if (!p.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new ArgumentError(`Conv2d: ${name} must be a positive integer or two of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

/** Checks that both channel counts split into `groups` (PyTorch's rule). */
export function checkGroups(owner: string, inChannels: number, outChannels: number, groups: unknown): number {
  if (typeof groups !== 'number' || !Number.isInteger(groups) || groups <= 0) {
    throw new ArgumentError(`${owner}: groups must be a positive integer, got ${String(groups)}`);
  }
  if (inChannels % groups !== 0)
    throw new ArgumentError(`${owner}: inChannels (${inChannels}) must be divisible by groups (${groups})`);
  if (outChannels % groups !== 0)
    throw new ArgumentError(`${owner}: outChannels (${outChannels}) must be divisible by groups (${groups})`);
  return groups;
}

/** 2-D convolution (cross-correlation) over a batch of images, with stride, padding, dilation, groups and padding modes. */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly dilation: [number, number];
  readonly padding: Padding2d;
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  readonly dataFormat: DataFormat;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: Conv2dModuleOptions = {}) {
    super();
    checkOptionNames('Conv2d', options, CONV2D_OPTIONS);
    for (const [k, v] of [
      ['inChannels', inChannels],
      ['outChannels', outChannels],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ArgumentError(`Conv2d: ${k} must be a positive integer, got ${v}`);
    }
    const fmt = options.dataFormat ?? 'NCHW';
    if (fmt !== 'NCHW' && fmt !== 'NHWC')
      throw new ArgumentError(`Conv2d: dataFormat must be 'NCHW' or 'NHWC', got ${JSON.stringify(fmt)}`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair('kernelSize', kernelSize);
    this.stride = pair('stride', options.stride ?? 1);
    this.dilation = pair('dilation', options.dilation ?? 1);
    this.padding = options.padding ?? 'valid';
    padding2dOption('Conv2d', this.padding);
    this.groups = checkGroups('Conv2d', inChannels, outChannels, options.groups ?? 1);
    this.paddingMode = paddingModeOption('Conv2d', options.paddingMode);
    this.dataFormat = fmt;
    const [kH, kW] = this.kernelSize;
    const layout = fmt === 'NCHW' ? 'outIn' : 'inOut';
    const perGroup = inChannels / this.groups;
    const shape = fmt === 'NCHW' ? [outChannels, perGroup, kH, kW] : [kH, kW, perGroup, outChannels];
    const seed = options.seed;
    // Every option is checked before a parameter exists, so a bad one leaks nothing.
    const useBias = boolOption('Conv2d', 'bias', options.bias, true);
    this.weight = this.registerParameter('weight', (options.weightInit ?? defaultWeightInit)(shape, { layout, seed }));
    if (useBias) {
      const init = options.biasInit ?? defaultBiasInit(computeFans(shape, layout).fanIn);
      this.bias = this.registerParameter(
        'bias',
        init([outChannels], { layout, seed: seed === undefined ? undefined : seed + 1 }),
      );
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
      throw new ShapeError(
        `Conv2d: expected input ${layout} with C = ${this.inChannels}, got shape ${fmtShape(x.shape)}`,
      );
    }
    return tidy(() => {
      const y = conv2d(this.padded(x), this.weight, {
        strides: this.stride,
        padding: this.paddingMode === 'zeros' ? this.padding : 'valid',
        dilations: this.dilation,
        groups: this.groups,
        dataFormat: this.dataFormat,
      });
      if (!this.bias) return y;
      return y.add(this.dataFormat === 'NCHW' ? this.bias.reshape([1, this.outChannels, 1, 1]) : this.bias);
    });
  }

  /** The input padded in a non-zero paddingMode (zero padding is the convolution's own). */
  private padded(x: Tensor): Tensor {
    if (this.paddingMode === 'zeros') return x;
    const hw = this.dataFormat === 'NCHW' ? [x.shape[2], x.shape[3]] : [x.shape[1], x.shape[2]];
    const pads = resolvePads(padding2dOption('Conv2d', this.padding), hw, this.kernelSize, this.stride, this.dilation);
    if (this.dataFormat === 'NCHW') return padSpatial('Conv2d', x, pads, this.paddingMode);
    return padSpatial('Conv2d', x, [...pads, [0, 0]], this.paddingMode);
  }

  override extraRepr(): string {
    const extra =
      (this.groups !== 1 ? `, groups=${this.groups}` : '') +
      (this.paddingMode !== 'zeros' ? `, paddingMode=${this.paddingMode}` : '');
    return (
      `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize}], stride=[${this.stride}], ` +
      `padding=${JSON.stringify(this.padding)}, dilation=[${this.dilation}]${extra}, bias=${this.bias !== null}, dataFormat=${this.dataFormat}`
    );
  }
}
