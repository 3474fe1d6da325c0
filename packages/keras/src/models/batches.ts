import { type Tensor, gather, slice, tensor } from '@tsdl/tensor';

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

/** Rows [start, end) of x: a view when no order is given, else gathered in `order`. */
export function takeRows(x: Tensor, start: number, end: number, order: Int32Array | null): Tensor {
  if (order === null) return slice(x, [start], [end]);
  const idx = tensor(order.subarray(start, end), [end - start], 'int32', { backend: x.backend });
  const out = gather(x, idx, 0);
  idx.dispose();
  return out;
}
