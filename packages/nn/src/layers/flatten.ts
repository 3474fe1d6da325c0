import { ArgumentError, AxisError, ShapeError, type Tensor, flatten } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';
import { Module } from '../module';

/** Flattens axes startDim..endDim into one (default: everything but the batch axis, as PyTorch). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/** Returns its input (a placeholder, e.g. to switch a layer off). */
export class Identity extends Module {
  override forward(x: Tensor): Tensor {
    return x.reshape(x.shape);
  }
}

/**
 * Expands axis `dim` into `unflattenedSize` (PyTorch's nn.Unflatten), the
 * inverse of Flatten: Unflatten(1, [C, H, W]) turns [N, C·H·W] into
 * [N, C, H, W]. One size may be -1, inferred from the others.
 */
export class Unflatten extends Module {
  readonly dim: number;
  readonly unflattenedSize: readonly number[];

  constructor(dim: number, unflattenedSize: readonly number[]) {
    super();
    if (typeof dim !== 'number' || !Number.isInteger(dim))
      throw new ArgumentError(`Unflatten: dim must be an integer, got ${String(dim)}`);
    const sizes = Array.isArray(unflattenedSize) ? unflattenedSize : null;
    if (sizes === null || sizes.length === 0 || !sizes.every((s) => Number.isInteger(s) && (s >= 0 || s === -1))) {
      throw new ArgumentError(
        `Unflatten: unflattenedSize must be a non-empty array of integers >= 0 (one may be -1), got ${JSON.stringify(unflattenedSize)}`,
      );
    }
    if (sizes.filter((s) => s === -1).length > 1) {
      throw new ArgumentError(`Unflatten: only one size may be -1, got ${JSON.stringify(unflattenedSize)}`);
    }
    this.dim = dim;
    this.unflattenedSize = [...sizes];
  }

  override forward(x: Tensor): Tensor {
    const d = this.dim < 0 ? this.dim + x.rank : this.dim;
    if (d < 0 || d >= x.rank) {
      throw new AxisError(
        `Unflatten: dim ${this.dim} is out of range for input of shape ${fmtShape(x.shape)} (rank ${x.rank})`,
      );
    }
    const n = x.shape[d];
    const known = this.unflattenedSize.filter((s) => s !== -1).reduce((a, b) => a * b, 1);
    const inferred = this.unflattenedSize.includes(-1);
    const fits = inferred ? known > 0 && n % known === 0 : known === n;
    if (!fits) {
      throw new ShapeError(
        `Unflatten: unflattenedSize ${JSON.stringify(this.unflattenedSize)} does not fit axis ${d} of size ${n} (input shape ${fmtShape(x.shape)})`,
      );
    }
    const sizes = this.unflattenedSize.map((s) => (s === -1 ? n / known : s));
    return x.reshape([...x.shape.slice(0, d), ...sizes, ...x.shape.slice(d + 1)]);
  }

  override extraRepr(): string {
    return `dim=${this.dim}, unflattenedSize=[${this.unflattenedSize}]`;
  }
}
