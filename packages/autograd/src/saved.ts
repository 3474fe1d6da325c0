import { Tensor, type DType, type Storage } from '@tsdl/tensor';

/**
 * A tensor saved for backward: its storage (retained, so tidy() and dispose()
 * of the user's handle cannot free it) and its view geometry.
 */
export class SavedTensor {
  private readonly storage: Storage;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;

  constructor(t: Tensor) {
    this.storage = t.storage.retain();
    this.shape = t.shape;
    this.strides = t.strides;
    this.offset = t.offset;
    this.dtype = t.dtype;
  }

  /** A fresh handle on the saved values (the caller's tidy scope disposes it). */
  materialize(): Tensor {
    return new Tensor(this.storage.retain(), this.shape, this.strides, this.offset, this.dtype);
  }

  get backend() {
    return this.storage.backend;
  }

  free(): void {
    this.storage.release();
  }
}
