import { ArgumentError } from '@tsdl/tensor';

/** A small seeded generator (mulberry32): the same seed gives the same shuffles everywhere. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded Fisher–Yates permutation of 0..n-1. */
export function shuffledIndices(n: number, seed: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  const rand = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

export interface BatchOptions {
  batchSize: number;
  shuffle?: boolean;
  seed?: number;
  /** Drop a last batch smaller than batchSize. */
  dropLast?: boolean;
}

/** Index batches over n samples: every index once per pass, in seeded random order when shuffling. */
export function* batches(n: number, options: BatchOptions): Generator<Int32Array> {
  const { batchSize, shuffle = false, seed = 0, dropLast = false } = options;
  if (!Number.isInteger(batchSize) || batchSize <= 0)
    throw new ArgumentError(`batches: batchSize must be a positive integer, got ${batchSize}`);
  const order = shuffle ? shuffledIndices(n, seed) : Int32Array.from({ length: n }, (_, i) => i);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(start + batchSize, n);
    if (dropLast && end - start < batchSize) return;
    yield order.subarray(start, end);
  }
}

/** Copies the samples at `indices` (each `sampleSize` values long) into a new array of the same type. */
export function takeSamples<T extends Uint8Array | Float32Array | Int32Array>(
  data: T,
  sampleSize: number,
  indices: Int32Array,
): T {
  const out = new (data.constructor as new (n: number) => T)(indices.length * sampleSize);
  for (let k = 0; k < indices.length; k++)
    out.set(data.subarray(indices[k] * sampleSize, (indices[k] + 1) * sampleSize), k * sampleSize);
  return out;
}
