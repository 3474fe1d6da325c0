/** Pure arithmetic of the report: medians, matmul FLOPs, epoch extrapolation. */

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median: no samples');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Floating-point operations of an n×n by n×n matrix product: n³ multiply-adds, 2n³ flop. */
export function matmulFlops(n: number): number {
  return 2 * n * n * n;
}

/** Throughput in GFLOP/s of a square matmul of size n that took `seconds`. */
export function gflops(n: number, seconds: number): number {
  return matmulFlops(n) / seconds / 1e9;
}

/** Optimizer steps in one epoch over `samples` at `batchSize` (the last batch may be short). */
export function stepsPerEpoch(samples: number, batchSize: number): number {
  return Math.ceil(samples / batchSize);
}

/** An epoch's time from `measured` of its `total` batches taking `seconds` (linear in batches). */
export function extrapolate(seconds: number, measured: number, total: number): number {
  if (measured <= 0) throw new Error(`extrapolate: measured batches must be positive, got ${measured}`);
  return (seconds * total) / measured;
}

/** Largest |a − b| over the largest |b|: a scale-free error of a result against a reference. */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`relativeError: ${got.length} values vs ${want.length} expected`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return scale === 0 ? diff : diff / scale;
}
