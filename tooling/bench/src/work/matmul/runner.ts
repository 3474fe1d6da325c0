/** A square float32 matmul on one framework, inputs already uploaded. */
export interface MatmulRunner {
  /**
   * Computes A·B `reps` times as independent products, all in flight at
   * once, and reads the last one back (the read is the sync: the products run
   * in order on one queue). On a GPU this amortises the read-back, 64 MiB at
   * n = 4096, over `reps` products; on a CPU reps is 1.
   */
  run(reps: number): Promise<ArrayLike<number>>;
  dispose(): void;
}

export type MatmulFactory = (a: Float32Array, b: Float32Array, n: number) => Promise<MatmulRunner>;
