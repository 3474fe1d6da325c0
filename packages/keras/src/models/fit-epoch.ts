import { type Tensor, dispose, randomPermutation } from '@tsdl/tensor';
import { Callback } from '../callbacks';
import type { Logs, ProgressSink } from '../progress';
import { EpochBatches } from './batches';
import { RunningSums } from './running-sums';

/** What one epoch of fit needs from the model and fit's options. */
export interface EpochPlan {
  /** The inputs, targets and sample weights, every one with the same number of samples (the step knows which is which). */
  data: readonly Tensor[];
  batchSize: number;
  /** null: batches in order; else epoch e is shuffled with seed + e. */
  seed: number | null;
  /** Batches between reads of the running sums (readInterval). */
  interval: number;
  callbacks: readonly Callback[];
  progress: ProgressSink | null;
  /** 'loss' and the metric names, in the order step returns their sums. */
  names: readonly string[];
  /** One training step on a batch (rows of `data`, in its order): the loss and metric sums (the callee disposes them). */
  step(batch: Tensor[]): Tensor[];
  /** Resolves when a step may run (no evaluation of the model in flight). */
  beforeStep(): Promise<void> | null;
  /** Whether a callback set model.stopTraining. */
  stopped(): boolean;
}

/**
 * The batches of fit's epochs. Everything an epoch allocates (its shuffle,
 * its batches, the running sums) is freed when it ends, by an error too (a
 * callback's, a step's or a device read's).
 */
export class EpochRunner {
  readonly steps: number;
  private readonly n: number;
  private readonly wantBatchLogs: boolean;
  private lastRead = 0;

  constructor(private readonly plan: EpochPlan) {
    this.n = plan.data[0].shape[0];
    this.steps = Math.ceil(this.n / plan.batchSize);
    this.wantBatchLogs = plan.callbacks.some((cb) => cb.onBatchEnd !== Callback.prototype.onBatchEnd);
  }

  /** Trains one epoch; returns its logs (running means over the epoch). */
  async run(epoch: number): Promise<Logs> {
    const p = this.plan;
    const batches = new EpochBatches(
      p.data[0].backend,
      p.seed === null ? null : randomPermutation(this.n, p.seed + epoch),
    );
    let sums: RunningSums | null = null;
    try {
      sums = new RunningSums(p.names);
      let logs: Logs | null = null;
      for (let s = 0; s < this.steps && !p.stopped(); s++) {
        for (const cb of p.callbacks) await cb.onBatchBegin(s);
        // No await when nothing is in flight: an await per step would cost a microtask turn.
        const wait = p.beforeStep();
        if (wait) await wait;
        const start = s * p.batchSize;
        const end = Math.min(start + p.batchSize, this.n);
        const batch = batches.take(p.data, start, end);
        let values: Tensor[];
        try {
          values = p.step(batch);
        } finally {
          dispose(batch);
        }
        try {
          sums.add(values, end - start);
        } finally {
          dispose(values);
        }
        logs = await this.afterStep(s, sums, logs);
      }
      return await sums.read();
    } finally {
      sums?.dispose();
      batches.dispose();
    }
  }

  /**
   * Reading the running sums makes the host wait for the device. With
   * synchronous reads (CPU) that is a copy: batch logs are read every batch
   * for callbacks that want them, and for a live bar at most every 100 ms.
   * Otherwise (GPU) they are read every `interval` batches and at the end of
   * the epoch, wanted or not: the read also keeps the host from queuing an
   * epoch of work ahead of the device. onBatchEnd runs at those reads.
   */
  private async afterStep(s: number, sums: RunningSums, logs: Logs | null): Promise<Logs | null> {
    const { interval, progress, callbacks } = this.plan;
    const last = s === this.steps - 1;
    let readNow: boolean;
    if (interval === 1) {
      const now = performance.now();
      readNow = this.wantBatchLogs || (progress?.wantsBatchLogs === true && (now - this.lastRead > 100 || last));
      if (readNow) this.lastRead = now;
    } else {
      readNow = (s + 1) % interval === 0 || last;
    }
    if (readNow) {
      const read = await sums.read();
      progress?.batchEnd(s, read);
      if (interval === 1 || this.wantBatchLogs) for (const cb of callbacks) await cb.onBatchEnd(s, read);
      return read;
    }
    // Between reads the bar still advances, showing the last values read.
    if (interval > 1) progress?.batchEnd(s, logs ?? {});
    return logs;
  }
}

/** Tells each callback that fit failed; their own errors are dropped (the first error is the one to report). */
export async function abortCallbacks(callbacks: readonly Callback[], error: unknown): Promise<void> {
  for (const cb of callbacks) {
    try {
      await cb.onTrainAbort(error);
    } catch {
      // Ignored: see above.
    }
  }
}
