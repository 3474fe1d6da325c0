/** A square float32 matmul on one framework, inputs already uploaded. */
export interface MatmulRunner {
  /**
   * Computes A·B `reps` times as independent products, all in flight at
   * once, and reads the last one back (the read is the sync: the products run
   * in order on one queue; a lazy framework must realise them all). This
   * amortises the read-back over `reps` products: 64 MiB at n = 4096 on a
   * GPU; at small n on the CPU, where a fresh result buffer's page faults
   * can cost more than the product.
   */
  run(reps: number): Promise<ArrayLike<number>>;
  dispose(): void;
}

export type MatmulFactory = (a: Float32Array, b: Float32Array, n: number) => Promise<MatmulRunner>;
