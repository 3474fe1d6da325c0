import type { LstmPlan } from '../../plan';
import type { Weight } from '../../run/session';

/** The model's sizes and how many distinct batches of data there are. */
export type LstmShape = Pick<LstmPlan, 'batchSize' | 'seqLen' | 'vocab' | 'embed' | 'units' | 'batches'>;

/** Token ids [batchSize, seqLen] and 0/1 targets [batchSize, 1] per batch, the same for every framework. */
export interface LstmData {
  tokens: Int32Array[];
  labels: Float32Array[];
}

export interface StepRun {
  /** One training step (forward, backward, Adam) through reading its loss back. */
  seconds: number;
  /** The batch's loss, computed before the step's update. */
  loss: number;
}

/** A model on one framework that trains one batch per call, cycling through the data's batches. */
export interface StepSession {
  /** What the framework's row should say about how it ran (a footnote). */
  readonly note?: string;
  step(): Promise<StepRun>;
  dispose(): void;
}

export type StepFactory = (shape: LstmShape, data: LstmData, weights: readonly Weight[]) => Promise<StepSession>;
