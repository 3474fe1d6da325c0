import { ArgumentError, DTypeError, type Tensor, arange, gather, ne, tidy } from '@tsdl/tensor';
import { type Initializer, normal } from '../init/initializers';
import { Module } from '../module';

export interface EmbeddingOptions {
  /**
   * An index whose row is initialized to zeros, is looked up as zeros and
   * gets no gradient (PyTorch's padding_idx). Negative values count from the end.
   */
  paddingIdx?: number;
  /** Initializer of the [num, dim] table; N(0, 1) by default, as PyTorch. */
  weightInit?: Initializer;
  seed?: number;
}

/** A lookup table: int32 indices of any shape → their rows, shape indices.shape + [dim]. */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  readonly weight: Tensor;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    for (const [k, v] of [
      ['numEmbeddings', numEmbeddings],
      ['embeddingDim', embeddingDim],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0)
        throw new ArgumentError(`Embedding: ${k} must be a positive integer, got ${v}`);
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    let pad: number | null = null;
    if (options.paddingIdx !== undefined) {
      pad = options.paddingIdx < 0 ? options.paddingIdx + numEmbeddings : options.paddingIdx;
      if (!Number.isInteger(pad) || pad < 0 || pad >= numEmbeddings) {
        throw new ArgumentError(
          `Embedding: paddingIdx ${options.paddingIdx} is out of range for ${numEmbeddings} embeddings`,
        );
      }
    }
    this.paddingIdx = pad;
    const init = options.weightInit ?? ((shape, o) => normal(shape, o));
    let w = init([numEmbeddings, embeddingDim], { layout: 'outIn', seed: options.seed });
    if (pad !== null) {
      const raw = w;
      const p = pad;
      w = tidy(() =>
        raw.mul(
          ne(arange(0, numEmbeddings, 1, 'int32', { backend: raw.backend }), p)
            .cast('float32')
            .unsqueeze(-1),
        ),
      );
      raw.dispose();
    }
    this.weight = this.registerParameter('weight', w);
  }

  override forward(indices: Tensor): Tensor {
    if (indices.dtype !== 'int32') throw new DTypeError(`Embedding: indices must be int32, got ${indices.dtype}`);
    if (this.paddingIdx === null) return gather(this.weight, indices, 0);
    const pad = this.paddingIdx;
    return tidy(() => gather(this.weight, indices, 0).mul(ne(indices, pad).cast('float32').unsqueeze(-1)));
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx === null ? '' : `, paddingIdx=${this.paddingIdx}`}`;
  }
}
