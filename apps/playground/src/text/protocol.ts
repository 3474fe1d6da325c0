/**
 * The messages between the text page (./main.ts) and its worker
 * (./worker.ts). As on the MNIST page, every tensor lives in the worker.
 */
import type { BackendChoice } from '../protocol';

export interface TextTrainSettings {
  iterations: number;
  batchSize: number;
  learningRate: number;
  seed: number;
}

export interface WriteSettings {
  prompt: string;
  /** Characters to write after the prompt. */
  chars: number;
  temperature: number;
  topK: number;
  seed: number;
}

export type ToTextWorker =
  | { type: 'backend'; choice: BackendChoice }
  /** `url`: the text file, absolute (a worker resolves relative URLs against its own script). */
  | { type: 'load-text'; url: string }
  | { type: 'train'; settings: TextTrainSettings }
  | { type: 'stop' }
  | { type: 'write'; settings: WriteSettings };

export type FromTextWorker =
  | { type: 'backend'; name: 'webgpu' | 'cpu'; detail: string; fallback?: string }
  /** The text is in: its length, and the characters the model knows (the vocabulary, in id order). */
  | { type: 'text-ready'; characters: number; vocabulary: string[] }
  | { type: 'train-begin'; iterations: number; parameters: number }
  /** Each iteration's training-batch loss since the last message (nats per character). */
  | { type: 'losses'; points: { iter: number; loss: number }[] }
  /** The mean loss on held-out text (the last 10%) after training. */
  | { type: 'train-end'; stopped: boolean; iterations: number; valLoss: number; seconds: number }
  | { type: 'chars'; text: string }
  | { type: 'write-end'; chars: number }
  | { type: 'error'; during: string; message: string };
