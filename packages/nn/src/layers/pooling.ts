import { ArgumentError, type DataFormat, type Padding2d, ShapeError, type Tensor, avgPool2d, fmtShape, maxPool2d, tidy } from '@tsdl/tensor';
import { Module } from '../module';
import type { Pair } from './conv';

export interface Pool2dOptions {
  /** Step of the window; defaults to the kernel size (PyTorch and Keras). */
  stride?: Pair;
  /** 'valid' / 0 (default), 'same' (TensorFlow's rule), a number, [h, w] or [[top, bottom], [left, right]]. */
  padding?: Padding2d;
  /** 'NCHW' (default, as PyTorch) or 'NHWC'. */
  dataFormat?: DataFormat;
}

abstract class Pool2d extends Module {
  readonly kernelSize: Pair;
  readonly stride: Pair;
  readonly padding: Padding2d;
  readonly dataFormat: DataFormat;

  constructor(kernelSize: Pair, options: Pool2dOptions) {
    super();
    const fmt = options.dataFormat ?? 'NCHW';
    if (fmt !== 'NCHW' && fmt !== 'NHWC') {
      throw new ArgumentError(`${this.constructor.name}: dataFormat must be 'NCHW' or 'NHWC', got ${JSON.stringify(fmt)}`);
    }
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 'valid';
    this.dataFormat = fmt;
  }

  protected abstract pool(x: Tensor): Tensor;

  /** Input [N, C, H, W] (or [N, H, W, C] for NHWC); an unbatched 3-D image is accepted too. */
  override forward(x: Tensor): Tensor {
    if (x.rank === 3) return tidy(() => this.forward(x.unsqueeze(0)).squeeze(0));
    if (x.rank !== 4) {
      throw new ShapeError(`${this.constructor.name}: expected a 4-D input (${this.dataFormat}), got shape ${fmtShape(x.shape)}`);
    }
    return this.pool(x);
  }

  override extraRepr(): string {
    return `kernelSize=${JSON.stringify(this.kernelSize)}, stride=${JSON.stringify(this.stride)}, padding=${JSON.stringify(this.padding)}`;
  }
}

/** Max over each window; padded cells never win (PyTorch pads with −∞). */
export class MaxPool2d extends Pool2d {
  constructor(kernelSize: Pair, options: Pool2dOptions = {}) {
    super(kernelSize, options);
  }

  protected pool(x: Tensor): Tensor {
    return maxPool2d(x, { kernelSize: this.kernelSize, strides: this.stride, padding: this.padding, dataFormat: this.dataFormat });
  }
}

export interface AvgPool2dOptions extends Pool2dOptions {
  /**
   * Count zero padding in the divisor (default true, as PyTorch). Applies to
   * explicit numeric padding; 'same' padding is never counted (as Keras).
   */
  countIncludePad?: boolean;
}

/** Mean over each window. */
export class AvgPool2d extends Pool2d {
  readonly countIncludePad: boolean;

  constructor(kernelSize: Pair, options: AvgPool2dOptions = {}) {
    super(kernelSize, options);
    this.countIncludePad = options.countIncludePad ?? true;
  }

  protected pool(x: Tensor): Tensor {
    const opts = { kernelSize: this.kernelSize, strides: this.stride, dataFormat: this.dataFormat };
    const p = this.padding;
    if (!this.countIncludePad || p === 'same' || p === 'valid' || p === 0) {
      return avgPool2d(x, { ...opts, padding: p });
    }
    // Zero-pad explicitly, so padded cells count in the divisor.
    const [[t, b], [l, r]] = explicitPads(p);
    const hw: [number, number][] = [[t, b], [l, r]];
    const pads: [number, number][] = this.dataFormat === 'NCHW' ? [[0, 0], [0, 0], ...hw] : [[0, 0], ...hw, [0, 0]];
    return tidy(() => avgPool2d(x.pad(pads), { ...opts, padding: 'valid' }));
  }
}

function explicitPads(p: Exclude<Padding2d, 'same' | 'valid'>): [[number, number], [number, number]] {
  if (typeof p === 'number') return [[p, p], [p, p]];
  if (typeof p[0] === 'number') {
    const [h, w] = p as readonly [number, number];
    return [[h, h], [w, w]];
  }
  const [[t, b], [l, r]] = p as readonly [readonly [number, number], readonly [number, number]];
  return [[t, b], [l, r]];
}
