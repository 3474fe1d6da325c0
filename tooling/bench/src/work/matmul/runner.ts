/** A square float32 matmul on one framework, inputs already uploaded. */
export interface MatmulRunner {
  /** Computes A·B and reads the result back (the read is the sync). */
  run(): Promise<ArrayLike<number>>;
  dispose(): void;
}

export type MatmulFactory = (a: Float32Array, b: Float32Array, n: number) => Promise<MatmulRunner>;
