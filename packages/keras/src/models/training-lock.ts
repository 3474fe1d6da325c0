import { ArgumentError } from '@tsdl/tensor';

/**
 * Who is using a model, so that overlapping calls (two un-awaited promises, a
 * callback calling back into the model) cannot corrupt it.
 *
 * - One training loop at a time: a second fit while one runs would step the
 *   same optimizer from two interleaved loops (each step's gradients from
 *   weights the other loop just moved), so it is refused, as is trainOnBatch
 *   during a fit (from a callback included). Keras and PyTorch users expect a
 *   model to be trained by one loop at a time.
 * - Evaluations may overlap anything: evaluate and predict change no weights
 *   and hold inference mode only across synchronous work (never across an
 *   await), so no other call sees the wrong mode. But an evaluate awaits
 *   device reads between batches (on a GPU), and a training step taken then
 *   would give it a mix of two sets of weights: fit and trainOnBatch wait
 *   for the evaluations in flight before each step (an evaluate from a
 *   callback included, awaited or not).
 */
export class TrainingLock {
  private trainer: string | null = null;
  private evaluations = 0;
  private waiters: (() => void)[] = [];

  /** Takes the model for a training loop; throws an ArgumentError if one holds it. Returns the release. */
  acquire(who: string): () => void {
    this.refuseIfTraining(who);
    this.trainer = who;
    return () => {
      this.trainer = null;
    };
  }

  /** Throws an ArgumentError while a training loop holds the model. */
  refuseIfTraining(who: string): void {
    if (this.trainer !== null) {
      throw new ArgumentError(
        `${who}: the model is already being trained by ${this.trainer}; a model trains in one loop at a time (await the running fit first)`,
      );
    }
  }

  /** Runs an evaluation, counted as in flight until it settles. */
  async evaluating<T>(run: () => Promise<T>): Promise<T> {
    this.evaluations++;
    try {
      return await run();
    } finally {
      if (--this.evaluations === 0) for (const wake of this.waiters.splice(0)) wake();
    }
  }

  /** Whether an evaluation is in flight (a step must wait: `await idle()`). */
  get busy(): boolean {
    return this.evaluations > 0;
  }

  /** Resolves once no evaluation is in flight. */
  async idle(): Promise<void> {
    while (this.evaluations > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}
