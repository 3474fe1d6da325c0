import type { TrainData } from '../data';

/** One initial weight, in Keras' layout and order (kernel then bias, layer by layer). */
export interface Weight {
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface TrainRun {
  /** Seconds of training only (data already on the framework), through the final sync. */
  seconds: number;
  /** Mean training loss over the samples trained on. */
  loss: number;
}

/** A model on one framework, ready to train with Adam (lr 1e-3) and sparse categorical cross-entropy. */
export interface TrainSession {
  /** Trains on the first `batches` batches of the data, in order (one optimizer step each). */
  train(batches: number): Promise<TrainRun>;
  dispose(): void;
}

/** Builds a model on a framework from the shared initial weights, with the data already uploaded. */
export type SessionFactory = (data: TrainData, batchSize: number, weights: readonly Weight[]) => Promise<TrainSession>;

/** Adam as Keras configures it (TF.js and tsdl's Keras use the same defaults). */
export const ADAM = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;
