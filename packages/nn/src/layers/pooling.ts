import {
  ArgumentError,
  type DataFormat,
  type Padding2d,
  ShapeError,
  type Tensor,
  avgPool2d,
  maxPool2d,
  tidy,
} from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { Module } from '../module';
import type { Pair } from './conv';
import { boolOption, padding2dOption, tupleOption } from './conv-geometry';
import { checkOptionNames } from './recurrent/options';

/**
 * What the `MaxPool2d` and `AvgPool2d` modules share, in PyTorch's names (`stride`; NCHW). Named for
 * the modules because tensor's `Pool2dOptions` are the pooling ops' (docs/guides/options.md).
 */
export interface Pool2dModuleOptions {
  /** Step of the window; defaults to the kernel size (PyTorch and Keras). */
  stride?: Pair;
  /**
   * 'valid' / 0 (default), 'same' (TensorFlow's rule), a number, [h, w] or [[top, bottom], [left, right]].
   * Numeric padding is at most half the kernel (PyTorch's rule).
   */
  padding?: Padding2d;
  /**
   * Round the output size up rather than down (default false, as PyTorch): the last
   * window may hang over the end, as long as it starts inside the input or the leading padding.
   */
  ceilMode?: boolean;
  /** 'NCHW' (default, as PyTorch) or 'NHWC'. */
  dataFormat?: DataFormat;
}

export interface MaxPool2dModuleOptions extends Pool2dModuleOptions {
  /** Spacing of the window's taps (default 1). */
  dilation?: Pair;
}

abstract class Pool2d extends Module {
  readonly kernelSize: Pair;
  readonly stride: Pair;
  readonly padding: Padding2d;
  readonly ceilMode: boolean;
  readonly dataFormat: DataFormat;

  constructor(kernelSize: Pair, options: Pool2dModuleOptions, known: readonly string[]) {
    super();
    const owner = this.constructor.name;
    checkOptionNames(owner, options, known);
    const fmt = options.dataFormat ?? 'NCHW';
    if (fmt !== 'NCHW' && fmt !== 'NHWC') {
      throw new ArgumentError(`${owner}: dataFormat must be 'NCHW' or 'NHWC', got ${JSON.stringify(fmt)}`);
    }
    const k = tupleOption(owner, 'kernelSize', kernelSize, 2);
    tupleOption(owner, 'stride', options.stride ?? kernelSize, 2);
    const pads = padding2dOption(owner, options.padding);
    if (Array.isArray(pads)) {
      pads.forEach(([b, a], i) => {
        if (b > Math.floor(k[i] / 2) || a > Math.floor(k[i] / 2)) {
          throw new ArgumentError(
            `${owner}: padding ${JSON.stringify(options.padding)} must be at most half the kernel size [${k}] (as PyTorch)`,
          );
        }
      });
    }
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 'valid';
    this.ceilMode = boolOption(owner, 'ceilMode', options.ceilMode, false);
    this.dataFormat = fmt;
  }

  protected abstract pool(x: Tensor): Tensor;

  /** Input [N, C, H, W] (or [N, H, W, C] for NHWC); an unbatched 3-D image is accepted too. */
  override forward(x: Tensor): Tensor {
    if (x.rank === 3) return tidy(() => this.forward(x.unsqueeze(0)).squeeze(0));
    if (x.rank !== 4) {
      throw new ShapeError(
        `${this.constructor.name}: expected a 4-D input (${this.dataFormat}), got shape ${fmtShape(x.shape)}`,
      );
    }
    return this.pool(x);
  }

  override extraRepr(): string {
    return (
      `kernelSize=${JSON.stringify(this.kernelSize)}, stride=${JSON.stringify(this.stride)}, padding=${JSON.stringify(this.padding)}` +
      (this.ceilMode ? ', ceilMode=true' : '')
    );
  }
}

const MAX_OPTIONS = ['stride', 'padding', 'dilation', 'ceilMode', 'dataFormat'] as const;

/** Max over each window; padded cells never win (PyTorch pads with −∞). */
export class MaxPool2d extends Pool2d {
  readonly dilation: Pair;

  constructor(kernelSize: Pair, options: MaxPool2dModuleOptions = {}) {
    super(kernelSize, options, MAX_OPTIONS);
    tupleOption('MaxPool2d', 'dilation', options.dilation ?? 1, 2);
    this.dilation = options.dilation ?? 1;
  }

  protected pool(x: Tensor): Tensor {
    return maxPool2d(x, {
      kernelSize: this.kernelSize,
      strides: this.stride,
      padding: this.padding,
      dilations: this.dilation,
      ceilMode: this.ceilMode,
      dataFormat: this.dataFormat,
    });
  }

  override extraRepr(): string {
    return super.extraRepr() + (this.dilation !== 1 ? `, dilation=${JSON.stringify(this.dilation)}` : '');
  }
}

export interface AvgPool2dModuleOptions extends Pool2dModuleOptions {
  /**
   * Count zero padding in the divisor (default true, as PyTorch). Applies to
   * explicit numeric padding; 'same' padding is never counted (as Keras).
   * Cells a ceilMode window hangs past the padding are never counted.
   */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead of its cell count (default: the count). */
  divisorOverride?: number | null;
}

const AVG_OPTIONS = ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride', 'dataFormat'] as const;

/** Mean over each window. */
export class AvgPool2d extends Pool2d {
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(kernelSize: Pair, options: AvgPool2dModuleOptions = {}) {
    super(kernelSize, options, AVG_OPTIONS);
    this.countIncludePad = boolOption('AvgPool2d', 'countIncludePad', options.countIncludePad, true);
    this.divisorOverride = divisorOption('AvgPool2d', options.divisorOverride);
  }

  protected pool(x: Tensor): Tensor {
    return avgPool2d(x, {
      kernelSize: this.kernelSize,
      strides: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      // 'same' is TensorFlow's padding, which Keras never counts.
      countIncludePad: this.countIncludePad && this.padding !== 'same',
      divisorOverride: this.divisorOverride ?? undefined,
      dataFormat: this.dataFormat,
    });
  }

  override extraRepr(): string {
    return (
      super.extraRepr() +
      (this.countIncludePad ? '' : ', countIncludePad=false') +
      (this.divisorOverride !== null ? `, divisorOverride=${this.divisorOverride}` : '')
    );
  }
}

export function divisorOption(owner: string, v: unknown): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ArgumentError(`${owner}: divisorOverride must be a positive integer, got ${String(v)}`);
  }
  return v;
}
