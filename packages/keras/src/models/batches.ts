import { type Backend, type Tensor, gather, slice, tensor, tidy } from '@tsdl/tensor';

/**
 * The batches of one epoch: rows [start, end) of the inputs and targets (and sample
 * weights), as views in order, or gathered through the epoch's shuffle. The permutation goes to the device
 * once per epoch, and each batch's indices are a view of it: no write per batch, and the
 * gathers' index range check takes the permutation's range from the host values it was
 * written from, instead of reading each batch's indices back.
 */
export class EpochBatches {
  private readonly order: Tensor | null;

  constructor(backend: Backend, order: Int32Array | null) {
    this.order = order === null ? null : tensor(order, [order.length], 'int32', { backend }).keep();
  }

  /** Rows [start, end) of every tensor in `data` (inputs, targets, sample weights), in the same order. */
  take(data: readonly Tensor[], start: number, end: number): Tensor[] {
    // tidy: if a slice or gather throws, the ones before it are freed (and always the indices' view).
    return tidy(() => {
      if (this.order === null) return data.map((t) => slice(t, [start], [end]));
      const idx = slice(this.order, [start], [end]);
      return data.map((t) => gather(t, idx, 0));
    });
  }

  dispose(): void {
    this.order?.dispose();
  }
}
