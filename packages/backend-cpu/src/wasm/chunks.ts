/**
 * How a job for the worker pool is laid out and cut into chunks. These two
 * functions run on the calling thread and, as source text, inside every
 * worker (see worker-pool.ts), so they must stay self-contained: no imports,
 * no references to anything outside their own bodies.
 *
 * Every job starts [kind, P, ...]: P is its number of chunks.
 *
 * gemm (kind 0): [0, P, byN, tiles, step, total, M, K, N, a, ars, acs, b, brs, bcs, c, ldc, acc]
 *   chunks are column (byN) or row ranges of whole micro-tiles.
 * elementwise (kind 1): [1, P, kernel id, bytes ptr, bytes length, total, scalars ptr, then
 *   (pointer, element bytes) per operand]; chunks are element ranges, an operand
 *   with element bytes 0 (a broadcast constant) is read at its pointer by every chunk.
 */
export const JOB_GEMM = 0;
export const JOB_ELEMENTWISE = 1;

/** Chunk i of a gemm job as the first 12 arguments of GemmExports.gemm, or null when the chunk is empty. */
export function gemmChunk(job: ArrayLike<number>, i: number): number[] | null {
  const P = job[1];
  const byN = job[2];
  const tiles = job[3];
  const step = job[4];
  const total = job[5];
  const M = job[6];
  const K = job[7];
  const N = job[8];
  const a = job[9];
  const ars = job[10];
  const acs = job[11];
  const b = job[12];
  const brs = job[13];
  const bcs = job[14];
  const c = job[15];
  const ldc = job[16];
  const acc = job[17];
  const lo = Math.min(total, Math.floor((i * tiles) / P) * step);
  const hi = Math.min(total, Math.floor(((i + 1) * tiles) / P) * step);
  if (hi <= lo) return null;
  return byN
    ? [M, K, hi - lo, a, ars, acs, b + lo * bcs * 4, brs, bcs, c + lo * 4, ldc, acc]
    : [hi - lo, K, N, a + lo * ars * 4, ars, acs, b, brs, bcs, c + lo * ldc * 4, ldc, acc];
}

/**
 * Chunk i of an elementwise job as the kernel's arguments (outer 1, the
 * chunk's length, scalars, operand pointers moved to the chunk's start), or
 * null when empty. Chunk bounds are multiples of 16 elements, so every chunk
 * but the last runs whole vectors and bool operands stay word-aligned.
 */
export function elementwiseChunk(job: ArrayLike<number>, i: number): number[] | null {
  const P = job[1];
  const total = job[5];
  const bound = (j: number) => (j >= P ? total : Math.min(total, Math.floor((j * total) / P / 16) * 16));
  const lo = bound(i);
  const hi = bound(i + 1);
  if (hi <= lo) return null;
  const args = [1, hi - lo, job[6]];
  for (let k = 7; k + 1 < job.length; k += 2) args.push(job[k] + lo * job[k + 1]);
  return args;
}
