import { type Backend, type Tensor, gather, slice, tensor } from '@tsdl/tensor';

/** A seeded Fisher–Yates permutation of 0..n-1 (mulberry32 stream), so shuffles are reproducible. */
export function permutation(n: number, seed: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  return order;
}

/**
 * The batches of one epoch: rows [start, end) of the inputs and targets, as views in
 * order, or gathered through the epoch's shuffle. The permutation goes to the device
 * once per epoch, and each batch's indices are a view of it: no write per batch, and the
 * gathers' index range check reads the permutation once (its bounds are remembered per
 * storage) instead of reading each batch's indices back.
 */
export class EpochBatches {
  private readonly order: Tensor | null;

  constructor(backend: Backend, order: Int32Array | null) {
    this.order = order === null ? null : tensor(order, [order.length], 'int32', { backend }).keep();
  }

  take(x: Tensor, y: Tensor, start: number, end: number): [Tensor, Tensor] {
    if (this.order === null) return [slice(x, [start], [end]), slice(y, [start], [end])];
    const idx = slice(this.order, [start], [end]);
    const rows: [Tensor, Tensor] = [gather(x, idx, 0), gather(y, idx, 0)];
    idx.dispose();
    return rows;
  }

  dispose(): void {
    this.order?.dispose();
  }
}
