import type { TransformerPlan } from '../../plan';
import type { Weight } from '../../run/session';

/** The model's sizes and how many distinct batches of data there are. */
export type GptShape = Pick<
  TransformerPlan,
  'batchSize' | 'blockSize' | 'vocab' | 'nLayer' | 'nHead' | 'nEmbd' | 'batches'
>;

/** AdamW and clipping as the app trains (nanoGPT's CPU recipe), at a constant learning rate: the schedule costs nothing. */
export const ADAMW = {
  lr: 1e-3,
  betas: [0.9, 0.99] as [number, number],
  eps: 1e-8,
  weightDecay: 0.1,
  clip: 1,
} as const;

/** Inputs [batchSize, blockSize] and next-character targets [batchSize, blockSize] per batch, the same for every framework. */
export interface GptData {
  x: Int32Array[];
  y: Int32Array[];
}

export interface StepRun {
  /** One training step (forward, cross-entropy, backward, clip, AdamW) through reading its loss back. */
  seconds: number;
  /** The batch's loss, computed before the step's update. */
  loss: number;
}

/** A model on one framework that trains one batch per call, cycling through the data's batches. */
export interface StepSession {
  step(): Promise<StepRun>;
  dispose(): void;
}

export type StepFactory = (shape: GptShape, data: GptData, weights: readonly Weight[]) => Promise<StepSession>;
