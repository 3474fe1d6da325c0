import { type Backend, type Tensor, gather, slice, tensor, tidy } from '@tsdl/tensor';

/**
 * The batches of one epoch: rows [start, end) of the inputs and targets, as views in
 * order, or gathered through the epoch's shuffle. The permutation goes to the device
 * once per epoch, and each batch's indices are a view of it: no write per batch, and the
 * gathers' index range check takes the permutation's range from the host values it was
 * written from, instead of reading each batch's indices back.
 */
export class EpochBatches {
  private readonly order: Tensor | null;

  constructor(backend: Backend, order: Int32Array | null) {
    this.order = order === null ? null : tensor(order, [order.length], 'int32', { backend }).keep();
  }

  take(x: Tensor, y: Tensor, start: number, end: number): [Tensor, Tensor] {
    // tidy: if the second slice or gather throws, the first is freed (and always the indices' view).
    return tidy(() => {
      if (this.order === null) return [slice(x, [start], [end]), slice(y, [start], [end])];
      const idx = slice(this.order, [start], [end]);
      return [gather(x, idx, 0), gather(y, idx, 0)];
    }) as [Tensor, Tensor];
  }

  dispose(): void {
    this.order?.dispose();
  }
}
