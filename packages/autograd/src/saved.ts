import { Tensor, type DType } from '@tsdl/tensor';
import { type Storage } from '@tsdl/tensor/internal';
import type { GraphNode } from './node';

/**
 * A tensor saved for backward: its storage (retained, so tidy() and dispose()
 * of the user's handle cannot free it) and its view geometry. For higher-order
 * gradients it also remembers where the tensor sits in the graph: the leaf
 * itself, or the node that made it.
 */
export class SavedTensor {
  private readonly storage: Storage;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  private readonly leaf: Tensor | null;

  /** `producer` is the graph node that made `t` (null for a leaf or a constant). */
  constructor(
    t: Tensor,
    private readonly producer: GraphNode | null,
  ) {
    this.storage = t.storage.retain();
    this.leaf = producer === null && t.requiresGrad ? t : null;
    this.shape = t.shape;
    this.strides = t.strides;
    this.offset = t.offset;
    this.dtype = t.dtype;
  }

  /**
   * A fresh handle on the saved values (the caller's tidy scope disposes it).
   * With `graph` (backward with createGraph) the handle stays connected, so
   * ops a rule applies to it are differentiable again: a leaf is returned
   * itself (gradients accumulate by leaf identity), any other tensor gets its
   * producer node back.
   */
  materialize(graph = false): Tensor {
    if (graph && this.leaf && !this.leaf.isDisposed) return this.leaf;
    const t = new Tensor(this.storage.retain(), this.shape, this.strides, this.offset, this.dtype);
    if (graph && this.producer) {
      this.producer.retain();
      t.gradFn = this.producer;
      t.requiresGrad = true;
    }
    return t;
  }

  get backend() {
    return this.storage.backend;
  }

  free(): void {
    this.storage.release();
  }
}
