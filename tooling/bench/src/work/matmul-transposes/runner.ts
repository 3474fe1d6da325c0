/** Which operands a product reads transposed: A·B, Aᵀ·B, A·Bᵀ or Aᵀ·Bᵀ. */
export interface Transposes {
  a: boolean;
  b: boolean;
}

/** The four combinations, plain first: the others are reported relative to it. */
export const COMBINATIONS: readonly Transposes[] = [
  { a: false, b: false },
  { a: true, b: false },
  { a: false, b: true },
  { a: true, b: true },
];

export function combinationLabel(t: Transposes): string {
  return `${t.a ? 'Aᵀ' : 'A'}·${t.b ? 'Bᵀ' : 'B'}`;
}

/** One float32 n×n product op(A)·op(B) on one framework, inputs already uploaded. */
export interface TransposedMatmulRunner {
  /** Computes the product once and reads it back (the read is the sync). */
  run(): Promise<ArrayLike<number>>;
  dispose(): void;
}

/** a and b are row-major n×n; the runner transposes them itself, the way a backward pass would. */
export type TransposedMatmulFactory = (
  a: Float32Array,
  b: Float32Array,
  n: number,
  t: Transposes,
) => Promise<TransposedMatmulRunner>;
