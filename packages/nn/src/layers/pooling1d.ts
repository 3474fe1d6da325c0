import { ArgumentError, ShapeError, type Tensor, avgPool2d, maxPool2d, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { Module } from '../module';
import { boolOption, tupleOption } from './conv-geometry';
import type { Single } from './conv1d';
import { checkOptionNames } from './recurrent/options';

export interface Pool1dOptions {
  /** Step of the window; defaults to the kernel size. */
  stride?: Single;
  /** Cells of padding on both ends (default 0), at most half the kernel size. */
  padding?: Single;
  /** Round the output length up rather than down (default false). */
  ceilMode?: boolean;
}

export interface MaxPool1dOptions extends Pool1dOptions {
  /** Spacing of the window's taps (default 1). */
  dilation?: Single;
}

export interface AvgPool1dOptions extends Pool1dOptions {
  /** Count zero padding in the divisor (default true). */
  countIncludePad?: boolean;
}

/**
 * Pooling over sequences [N, C, L] (or [C, L]) with PyTorch's options, run
 * as 2-D pooling of height 1 so it shares the 2-D kernels and gradients.
 */
abstract class Pool1d extends Module {
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly ceilMode: boolean;

  constructor(kernelSize: Single, options: Pool1dOptions, known: readonly string[]) {
    super();
    const owner = this.constructor.name;
    checkOptionNames(owner, options, known);
    [this.kernelSize] = tupleOption(owner, 'kernelSize', kernelSize, 1);
    [this.stride] = tupleOption(owner, 'stride', options.stride ?? this.kernelSize, 1);
    [this.padding] = tupleOption(owner, 'padding', options.padding ?? 0, 1, 0);
    if (this.padding > Math.floor(this.kernelSize / 2)) {
      throw new ArgumentError(
        `${owner}: padding ${this.padding} must be at most half the kernel size ${this.kernelSize} (as PyTorch)`,
      );
    }
    this.ceilMode = boolOption(owner, 'ceilMode', options.ceilMode, false);
  }

  protected abstract pool(x: Tensor): Tensor;

  override forward(x: Tensor): Tensor {
    if (x.rank === 2) return tidy(() => this.forward(x.unsqueeze(0)).squeeze(0));
    if (x.rank !== 3)
      throw new ShapeError(
        `${this.constructor.name}: expected input [N, C, L] or [C, L], got shape ${fmtShape(x.shape)}`,
      );
    return tidy(() => this.pool(x.unsqueeze(2)).squeeze(2));
  }

  protected geometry() {
    return {
      kernelSize: [1, this.kernelSize] as [number, number],
      strides: [1, this.stride] as [number, number],
      padding: [
        [0, 0],
        [this.padding, this.padding],
      ] as [[number, number], [number, number]],
      ceilMode: this.ceilMode,
      dataFormat: 'NCHW' as const,
    };
  }

  override extraRepr(): string {
    return `kernelSize=${this.kernelSize}, stride=${this.stride}, padding=${this.padding}${this.ceilMode ? ', ceilMode=true' : ''}`;
  }
}

/** Max over each window of a sequence (PyTorch's nn.MaxPool1d). */
export class MaxPool1d extends Pool1d {
  readonly dilation: number;

  constructor(kernelSize: Single, options: MaxPool1dOptions = {}) {
    super(kernelSize, options, ['stride', 'padding', 'dilation', 'ceilMode']);
    [this.dilation] = tupleOption('MaxPool1d', 'dilation', options.dilation ?? 1, 1);
  }

  protected pool(x: Tensor): Tensor {
    return maxPool2d(x, { ...this.geometry(), dilations: [1, this.dilation] });
  }
}

/** Mean over each window of a sequence (PyTorch's nn.AvgPool1d). */
export class AvgPool1d extends Pool1d {
  readonly countIncludePad: boolean;

  constructor(kernelSize: Single, options: AvgPool1dOptions = {}) {
    super(kernelSize, options, ['stride', 'padding', 'ceilMode', 'countIncludePad']);
    this.countIncludePad = boolOption('AvgPool1d', 'countIncludePad', options.countIncludePad, true);
  }

  protected pool(x: Tensor): Tensor {
    return avgPool2d(x, { ...this.geometry(), countIncludePad: this.countIncludePad });
  }
}
