import { ArgumentError, ShapeError, type Tensor, conv2dTranspose, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { computeFans } from '../init/fans';
import type { Initializer } from '../init/initializers';
import { Module } from '../module';
import type { Pair } from './conv';
import { checkGroups } from './conv';
import { boolOption, positiveIntOption, tupleOption } from './conv-geometry';
import { defaultBiasInit, defaultWeightInit } from './linear';
import { checkOptionNames } from './recurrent/options';

export interface ConvTranspose2dOptions {
  /** Step of the forward convolution this layer transposes (default 1): the upsampling factor. */
  stride?: Pair;
  /** Cells removed from each side of the output: dilation·(kernelSize − 1) − padding of zeros around the input (default 0). */
  padding?: Pair;
  /** Cells added on the bottom/right of the output (default 0); each must be smaller than the stride or the dilation. */
  outputPadding?: Pair;
  /** Channel groups (default 1): weight [inChannels, outChannels / groups, kH, kW]. */
  groups?: number;
  /** Learn a per-channel bias (default true). */
  bias?: boolean;
  /** Spacing of the kernel taps (default 1). */
  dilation?: Pair;
  /** Only 'zeros', as PyTorch. */
  paddingMode?: 'zeros';
  /** Weight initializer; PyTorch's kaiming-uniform with a = √5 (fanIn = outChannels / groups · kH · kW) by default. */
  weightInit?: Initializer;
  /** Bias initializer; U(±1/√fanIn) by default. */
  biasInit?: Initializer;
  /** Seed for the default initializers (the bias uses seed + 1). */
  seed?: number;
}

const OPTIONS = [
  'stride',
  'padding',
  'outputPadding',
  'groups',
  'bias',
  'dilation',
  'paddingMode',
  'weightInit',
  'biasInit',
  'seed',
] as const;

/**
 * Transposed 2-D convolution (PyTorch's nn.ConvTranspose2d, "deconvolution"):
 * the gradient of a Conv2d with respect to its input, used to upsample.
 * Input [N, C, H, W] (or [C, H, W]); output [N, O, H_out, W_out] with
 * H_out = (H − 1)·stride − 2·padding + dilation·(kH − 1) + outputPadding + 1.
 * Weight [C, O / groups, kH, kW] and bias [O], as PyTorch stores them.
 */
export class ConvTranspose2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: ConvTranspose2dOptions = {}) {
    super();
    const owner = 'ConvTranspose2d';
    checkOptionNames(owner, options, OPTIONS);
    this.inChannels = positiveIntOption(owner, 'inChannels', inChannels);
    this.outChannels = positiveIntOption(owner, 'outChannels', outChannels);
    this.kernelSize = tupleOption(owner, 'kernelSize', kernelSize, 2) as [number, number];
    this.stride = tupleOption(owner, 'stride', options.stride ?? 1, 2) as [number, number];
    this.padding = tupleOption(owner, 'padding', options.padding ?? 0, 2, 0) as [number, number];
    this.outputPadding = tupleOption(owner, 'outputPadding', options.outputPadding ?? 0, 2, 0) as [number, number];
    this.dilation = tupleOption(owner, 'dilation', options.dilation ?? 1, 2) as [number, number];
    this.groups = checkGroups(owner, inChannels, outChannels, options.groups ?? 1);
    if (options.paddingMode !== undefined && options.paddingMode !== 'zeros') {
      throw new ArgumentError(
        `${owner}: only paddingMode 'zeros' is supported (as PyTorch), got ${JSON.stringify(options.paddingMode)}`,
      );
    }
    for (let i = 0; i < 2; i++) {
      if (this.outputPadding[i] >= this.stride[i] && this.outputPadding[i] >= this.dilation[i]) {
        throw new ArgumentError(
          `${owner}: outputPadding must be smaller than the stride or the dilation on each axis, got outputPadding [${this.outputPadding}] with stride [${this.stride}] and dilation [${this.dilation}]`,
        );
      }
    }
    const useBias = boolOption(owner, 'bias', options.bias, true);
    const [kH, kW] = this.kernelSize;
    const shape = [inChannels, outChannels / this.groups, kH, kW];
    const seed = options.seed;
    this.weight = this.registerParameter(
      'weight',
      (options.weightInit ?? defaultWeightInit)(shape, { layout: 'outIn', seed }),
    );
    if (useBias) {
      const init = options.biasInit ?? defaultBiasInit(computeFans(shape, 'outIn').fanIn);
      this.bias = this.registerParameter(
        'bias',
        init([outChannels], { layout: 'outIn', seed: seed === undefined ? undefined : seed + 1 }),
      );
    } else {
      this.bias = null;
    }
  }

  /**
   * Input [N, C, H, W] or [C, H, W]. `outputSize` ([H_out, W_out], or the full
   * output shape) picks among the sizes a strided convolution maps to the
   * input's, in place of outputPadding, as PyTorch's forward(input, output_size).
   */
  override forward(x: Tensor, outputSize?: readonly number[]): Tensor {
    if (x.rank === 3) return tidy(() => this.forward(x.unsqueeze(0), outputSize).squeeze(0));
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) {
      throw new ShapeError(
        `ConvTranspose2d: expected input [N, C, H, W] or [C, H, W] with C = ${this.inChannels}, got shape ${fmtShape(x.shape)}`,
      );
    }
    const extra = this.outputPaddingFor(x, outputSize);
    const sizes = [0, 1].map((i) => {
      const eff = (this.kernelSize[i] - 1) * this.dilation[i] + 1;
      return (x.shape[2 + i] - 1) * this.stride[i] - 2 * this.padding[i] + eff + extra[i];
    });
    if (sizes.some((s) => s < 1)) {
      throw new ShapeError(
        `ConvTranspose2d: input of shape ${fmtShape(x.shape)} gives an empty output ${sizes.join('×')} with padding [${this.padding}]`,
      );
    }
    return tidy(() => {
      const y = this.transposed(x, sizes, extra);
      return this.bias ? y.add(this.bias.reshape([1, this.outChannels, 1, 1])) : y;
    });
  }

  private outputPaddingFor(x: Tensor, outputSize: readonly number[] | undefined): number[] {
    if (outputSize === undefined) return [...this.outputPadding];
    const size = Array.isArray(outputSize) ? outputSize.slice(-2) : [];
    if (size.length !== 2 || !size.every((s) => Number.isInteger(s) && s >= 1)) {
      throw new ArgumentError(
        `ConvTranspose2d: outputSize must be [H, W] (or a full shape ending in them), got ${JSON.stringify(outputSize)}`,
      );
    }
    return [0, 1].map((i) => {
      const eff = (this.kernelSize[i] - 1) * this.dilation[i] + 1;
      const min = (x.shape[2 + i] - 1) * this.stride[i] - 2 * this.padding[i] + eff;
      const max = min + this.stride[i] - 1;
      if (size[i] < min || size[i] > max) {
        throw new ShapeError(
          `ConvTranspose2d: outputSize [${size}] is not reachable from input ${fmtShape(x.shape)}: axis ${i === 0 ? 'H' : 'W'} must be in [${min}, ${max}]`,
        );
      }
      return size[i] - min;
    });
  }

  /**
   * tensor's conv2dTranspose (one kernel; groups included) needs a conv2d of the
   * output's size to give the input's size back, which holds when outputPadding <
   * stride. PyTorch also allows outputPadding >= stride (when < dilation): then
   * the transpose is taken with padding only on the top/left, over every row
   * that can receive a tap, and cut or zero-extended to the asked size (rows past
   * the last tap are 0).
   */
  private transposed(x: Tensor, sizes: number[], extra: number[]): Tensor {
    const [n, , h, w] = x.shape;
    const opts = { strides: this.stride, dilations: this.dilation, groups: this.groups, dataFormat: 'NCHW' as const };
    if (extra.every((e, i) => e < this.stride[i])) {
      const padding: [[number, number], [number, number]] = [
        [this.padding[0], this.padding[0]],
        [this.padding[1], this.padding[1]],
      ];
      return conv2dTranspose(x, this.weight, [n, this.outChannels, sizes[0], sizes[1]], { ...opts, padding });
    }
    const reach = [h, w].map(
      (d, i) => (d - 1) * this.stride[i] + (this.kernelSize[i] - 1) * this.dilation[i] + 1 - this.padding[i],
    );
    if (reach.some((r) => r < 1)) {
      throw new ArgumentError(
        `ConvTranspose2d: padding [${this.padding}] removes every row the kernel reaches for input ${fmtShape(x.shape)}`,
      );
    }
    const full = conv2dTranspose(x, this.weight, [n, this.outChannels, reach[0], reach[1]], {
      ...opts,
      padding: [
        [this.padding[0], 0],
        [this.padding[1], 0],
      ],
    });
    const cut = full.slice([0, 0, 0, 0], [null, null, Math.min(reach[0], sizes[0]), Math.min(reach[1], sizes[1])]);
    return cut.pad([
      [0, 0],
      [0, 0],
      [0, Math.max(0, sizes[0] - reach[0])],
      [0, Math.max(0, sizes[1] - reach[1])],
    ]);
  }

  override extraRepr(): string {
    return (
      `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize}], stride=[${this.stride}], padding=[${this.padding}]` +
      (this.outputPadding.some((p) => p > 0) ? `, outputPadding=[${this.outputPadding}]` : '') +
      (this.dilation.some((d) => d > 1) ? `, dilation=[${this.dilation}]` : '') +
      (this.groups > 1 ? `, groups=${this.groups}` : '') +
      `, bias=${this.bias !== null}`
    );
  }
}
