/**
 * A chain of small elementwise ops on one framework: `steps` times
 * x = (x + 1) · 0.5 on a float32 vector, from the same start values, then one
 * read of the result (the sync). Each step is two ops, so the time over
 * 2 · steps is the per-op cost: at 8 or 100 elements it is nearly all
 * framework overhead (dispatch, allocation, bookkeeping), not arithmetic.
 */
export interface SmallOpsRunner {
  run(): Promise<ArrayLike<number>>;
  dispose(): void;
}

export type SmallOpsFactory = (x0: Float32Array, steps: number) => Promise<SmallOpsRunner>;

/** The float64 answer: the same chain in double precision. */
export function smallOpsReference(x0: Float32Array, steps: number): Float64Array {
  const x = Float64Array.from(x0);
  for (let s = 0; s < steps; s++) for (let i = 0; i < x.length; i++) x[i] = (x[i] + 1) * 0.5;
  return x;
}
