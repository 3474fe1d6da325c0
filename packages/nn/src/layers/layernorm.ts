import { ArgumentError, ShapeError, type Tensor, layerNorm } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { type Initializer, ones, zeros } from '../init/initializers';
import { Module } from '../module';

export interface LayerNormOptions {
  /** Added to the variance before the square root (default 1e-5; Keras uses 1e-3). */
  eps?: number;
  /** Learn an elementwise scale and shift of shape normalizedShape (default true). */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, learn the shift too (default true). */
  bias?: boolean;
  weightInit?: Initializer;
  biasInit?: Initializer;
}

/** Normalizes over the trailing axes `normalizedShape` with their mean and biased variance (per sample). */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new ArgumentError(
        `LayerNorm: normalizedShape must be positive integers, got ${JSON.stringify(normalizedShape)}`,
      );
    }
    this.normalizedShape = shape;
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? this.registerParameter('weight', (options.weightInit ?? ones)(shape, {})) : null;
    this.bias =
      affine && (options.bias ?? true) ? this.registerParameter('bias', (options.biasInit ?? zeros)(shape, {})) : null;
  }

  override forward(x: Tensor): Tensor {
    const k = this.normalizedShape.length;
    const tail = x.shape.slice(x.rank - k);
    if (x.rank < k || tail.some((d, i) => d !== this.normalizedShape[i])) {
      throw new ShapeError(
        `LayerNorm: input of shape ${fmtShape(x.shape)} does not end in normalizedShape ${fmtShape(this.normalizedShape)}`,
      );
    }
    // One op: one kernel forward and one backward on the CPU (tensor's layerNorm).
    return layerNorm(x, this.normalizedShape, { gamma: this.weight, beta: this.bias, epsilon: this.eps });
  }

  override extraRepr(): string {
    return `${fmtShape(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.weight !== null}`;
  }
}
