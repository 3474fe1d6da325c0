import { DataFormatError, getBackend, memory } from '@tsdl/tensor';
import type { Corpus } from './data';
import type { Trainer } from './trainer';

export interface EvalResult {
  /** Iterations done when it was measured. */
  iter: number;
  train: number;
  val: number;
  /** Seconds of training since the run (or the resumed part) began, evaluations excluded. */
  seconds: number;
}

export interface RunOptions {
  /** Stop after this iteration even if the recipe goes on (default: recipe.iters), e.g. to test resuming. */
  stopAt?: number;
  /** Save a checkpoint here after every evaluation. */
  checkpoint?: string;
  /** Record memory() after every step (costs a pass over the backends). */
  recordMemory?: boolean;
  onStep?: (iter: number, loss: number) => void;
  onEval?: (e: EvalResult) => void;
}

export interface RunResult {
  /** Each step's training-batch loss, in order. */
  stepLosses: number[];
  evals: EvalResult[];
  /** memory() after each step, when recordMemory: live handles and the backend's bytes. */
  memoryAfterStep: { numTensors: number; bytes: number }[];
  /** Seconds spent in steps (evaluations and checkpoints excluded). */
  trainSeconds: number;
}

/**
 * Runs `trainer` from its current iteration to the recipe's last (or
 * `stopAt`): a step per iteration, an evaluation every evalInterval
 * iterations and after the last, and a checkpoint after each evaluation.
 */
export async function runTraining(trainer: Trainer, corpus: Corpus, o: RunOptions = {}): Promise<RunResult> {
  const { recipe } = trainer;
  if (corpus.vocab.chars.join('') !== trainer.vocab.chars.join('')) {
    throw new DataFormatError(
      `char-gpt: the checkpoint's vocabulary (${trainer.vocab.size} characters) is not the text's (${corpus.vocab.size})`,
    );
  }
  const end = Math.min(o.stopAt ?? recipe.iters, recipe.iters);
  const result: RunResult = { stepLosses: [], evals: [], memoryAfterStep: [], trainSeconds: 0 };
  const backendName = getBackend().name;
  while (trainer.iter < end) {
    const t0 = performance.now();
    const loss = await trainer.step(corpus.train);
    result.trainSeconds += (performance.now() - t0) / 1000;
    result.stepLosses.push(loss);
    if (o.recordMemory) {
      const m = memory();
      result.memoryAfterStep.push({ numTensors: m.numTensors, bytes: m.backends[backendName]?.bytes ?? 0 });
    }
    o.onStep?.(trainer.iter, loss);
    if (trainer.iter % recipe.evalInterval === 0 || trainer.iter === recipe.iters) {
      const e = { iter: trainer.iter, ...(await trainer.estimateLoss(corpus)), seconds: result.trainSeconds };
      result.evals.push(e);
      o.onEval?.(e);
      if (o.checkpoint) await trainer.save(o.checkpoint);
    }
  }
  return result;
}
