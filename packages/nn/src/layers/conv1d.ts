import { ShapeError, type Tensor, conv2d, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { computeFans } from '../init/fans';
import type { Initializer } from '../init/initializers';
import { Module } from '../module';
import { checkGroups } from './conv';
import { boolOption, positiveIntOption, resolvePads, tupleOption } from './conv-geometry';
import { defaultBiasInit, defaultWeightInit } from './linear';
import { type PaddingMode, padSpatial, paddingModeOption } from './padding-mode';
import { checkOptionNames } from './recurrent/options';

export type Single = number | readonly [number];

export interface Conv1dOptions {
  /** Step of the window (default 1). */
  stride?: Single;
  /**
   * 'valid' (none, the default as PyTorch's 0), 'same' (output = ceil(length / stride),
   * TensorFlow's rule, which is PyTorch's for stride 1, the only stride PyTorch allows it
   * with), or a number of cells on both ends.
   */
  padding?: 'valid' | 'same' | Single;
  /** Spacing of the kernel taps (default 1). */
  dilation?: Single;
  /** Channel groups, each with its own outChannels / groups filters (default 1). */
  groups?: number;
  /** 'zeros' (default), 'reflect', 'replicate' or 'circular'. */
  paddingMode?: PaddingMode;
  /** Learn a per-channel bias (default true). */
  bias?: boolean;
  /** Weight initializer; PyTorch's kaiming-uniform with a = √5 by default. */
  weightInit?: Initializer;
  /** Bias initializer; U(±1/√fanIn) by default. */
  biasInit?: Initializer;
  /** Seed for the default initializers (the bias uses seed + 1). */
  seed?: number;
}

const CONV1D_OPTIONS = [
  'stride',
  'padding',
  'dilation',
  'groups',
  'paddingMode',
  'bias',
  'weightInit',
  'biasInit',
  'seed',
] as const;

/**
 * 1-D convolution (cross-correlation) over a batch of sequences [N, C, L]
 * (PyTorch's nn.Conv1d: weight [O, C/groups, k], bias [O]). It runs as a 2-D
 * convolution of height 1, so it shares conv2d's kernels and gradients.
 */
export class Conv1d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number];
  readonly stride: [number];
  readonly padding: 'valid' | 'same' | [number];
  readonly dilation: [number];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Single, options: Conv1dOptions = {}) {
    super();
    checkOptionNames('Conv1d', options, CONV1D_OPTIONS);
    this.inChannels = positiveIntOption('Conv1d', 'inChannels', inChannels);
    this.outChannels = positiveIntOption('Conv1d', 'outChannels', outChannels);
    this.kernelSize = tupleOption('Conv1d', 'kernelSize', kernelSize, 1) as [number];
    this.stride = tupleOption('Conv1d', 'stride', options.stride ?? 1, 1) as [number];
    this.dilation = tupleOption('Conv1d', 'dilation', options.dilation ?? 1, 1) as [number];
    const p = options.padding ?? 'valid';
    this.padding = p === 'valid' || p === 'same' ? p : (tupleOption('Conv1d', 'padding', p, 1, 0) as [number]);
    this.groups = checkGroups('Conv1d', inChannels, outChannels, options.groups ?? 1);
    this.paddingMode = paddingModeOption('Conv1d', options.paddingMode);
    const shape = [outChannels, inChannels / this.groups, this.kernelSize[0]];
    const seed = options.seed;
    // Every option is checked before a parameter exists, so a bad one leaks nothing.
    const useBias = boolOption('Conv1d', 'bias', options.bias, true);
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

  /** Input [N, C, L], or an unbatched [C, L]; output [N, O, L_out]. */
  override forward(x: Tensor): Tensor {
    if (x.rank === 2) return tidy(() => this.forward(x.unsqueeze(0)).squeeze(0));
    if (x.rank !== 3 || x.shape[1] !== this.inChannels) {
      throw new ShapeError(
        `Conv1d: expected input [N, C, L] or [C, L] with C = ${this.inChannels}, got shape ${fmtShape(x.shape)}`,
      );
    }
    const p = this.padding;
    const [[before, after]] = resolvePads(
      typeof p === 'string' ? p : [[p[0], p[0]]],
      [x.shape[2]],
      this.kernelSize,
      this.stride,
      this.dilation,
    );
    const eff = (this.kernelSize[0] - 1) * this.dilation[0] + 1;
    if (x.shape[2] + before + after < eff) {
      throw new ShapeError(
        `Conv1d: a window of ${eff} (kernel ${this.kernelSize[0]}, dilation ${this.dilation[0]}) does not fit an input of length ${x.shape[2]} with padding ${before}+${after} (input shape ${fmtShape(x.shape)})`,
      );
    }
    return tidy(() => {
      const zeros = this.paddingMode === 'zeros';
      const xp = zeros ? x : padSpatial('Conv1d', x, [[before, after]], this.paddingMode);
      const y = conv2d(xp.unsqueeze(2), this.weight.unsqueeze(2), {
        strides: [1, this.stride[0]],
        padding: zeros
          ? [
              [0, 0],
              [before, after],
            ]
          : 'valid',
        dilations: [1, this.dilation[0]],
        groups: this.groups,
        dataFormat: 'NCHW',
      }).squeeze(2);
      return this.bias ? y.add(this.bias.reshape([1, this.outChannels, 1])) : y;
    });
  }

  override extraRepr(): string {
    const extra =
      (this.groups !== 1 ? `, groups=${this.groups}` : '') +
      (this.paddingMode !== 'zeros' ? `, paddingMode=${this.paddingMode}` : '');
    return (
      `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize}], stride=[${this.stride}], ` +
      `padding=${JSON.stringify(this.padding)}, dilation=[${this.dilation}]${extra}, bias=${this.bias !== null}`
    );
  }
}
