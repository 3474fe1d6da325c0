import { ArgumentError, ShapeError, type Tensor, matmul, tidy } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { type Initializer, uniform, kaimingUniform } from '../init/initializers';
import { computeFans } from '../init/fans';
import { Module } from '../module';

export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Initializer of the [out, in] weight; PyTorch's kaiming-uniform with a = √5 (U(±1/√in)) by default. */
  weightInit?: Initializer;
  /** Initializer of the [out] bias; U(±1/√in) by default. */
  biasInit?: Initializer;
  /** Seed for the default initializers (the bias uses seed + 1). */
  seed?: number;
}

/**
 * Fully connected layer: y = x Wᵀ + b over the last axis of x.
 *
 * The weight is stored as PyTorch stores it, `[outFeatures, inFeatures]`
 * (layout 'outIn'), so state dicts match PyTorch's; forward multiplies by its
 * transpose, which is a free view (`matmul(x, W, { transposeB: true })`).
 * Keras kernels are `[in, out]`: transpose them when loading.
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    for (const [k, v] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ArgumentError(`Linear: ${k} must be a positive integer, got ${v}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const shape = [outFeatures, inFeatures];
    const seed = options.seed;
    const w = (options.weightInit ?? defaultWeightInit)(shape, { layout: 'outIn', seed });
    this.weight = this.registerParameter('weight', w);
    if (options.bias ?? true) {
      const fanIn = computeFans(shape, 'outIn').fanIn;
      const init = options.biasInit ?? defaultBiasInit(fanIn);
      this.bias = this.registerParameter(
        'bias',
        init([outFeatures], { layout: 'outIn', seed: seed === undefined ? undefined : seed + 1 }),
      );
    } else {
      this.bias = null;
    }
  }

  override forward(x: Tensor): Tensor {
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeError(
        `Linear: input of shape ${fmtShape(x.shape)} does not end in inFeatures = ${this.inFeatures}`,
      );
    }
    return tidy(() => {
      // Leading axes folded into rows: one product, so the weight's gradient is one product over
      // every row rather than a product per batch entry summed afterwards.
      const lead = x.shape.slice(0, -1);
      const x2 = x.rank > 2 ? x.reshape([lead.reduce((a, b) => a * b, 1), this.inFeatures]) : x;
      let y = matmul(x2, this.weight, { transposeB: true });
      if (this.bias) y = y.add(this.bias);
      return x.rank > 2 ? y.reshape([...lead, this.outFeatures]) : y;
    });
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** PyTorch's default weight init for Linear and Conv: kaiming_uniform(a = √5), i.e. U(±1/√fanIn). */
export const defaultWeightInit: Initializer = (shape, options) =>
  kaimingUniform(shape, { ...options, a: Math.sqrt(5) });

/** PyTorch's default bias init for Linear and Conv: U(±1/√fanIn) of the weight. */
export function defaultBiasInit(fanIn: number): Initializer {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return (shape, options) => uniform(shape, { ...options, a: -bound, b: bound });
}
