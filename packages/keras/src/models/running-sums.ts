import { noGrad } from '@tsdl/autograd';
import { type Backend, ArgumentError, type Tensor, concat, dispose, tidy, zeros } from '@tsdl/tensor';
import type { Logs } from '../progress';

/**
 * Batches between reads of the running sums on a backend without synchronous
 * reads (a GPU). Each read makes the host wait until the device has finished
 * every queued step, so reading every batch would serialise host and device;
 * every 20 batches keeps the device busy and still bounds how far the host
 * runs ahead (the read is what makes it wait).
 */
export const DEVICE_READ_INTERVAL = 20;

/**
 * How many batches fit runs between reads of the loss and metrics: 1 where
 * the backend reads synchronously (the CPU: a read is a copy of host memory),
 * else DEVICE_READ_INTERVAL, unless the caller asked for `requested`.
 */
export function readInterval(backend: Backend, requested: number | undefined, who: string): number {
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested <= 0)
      throw new ArgumentError(`${who}: readEvery must be a positive integer, got ${requested}`);
    return requested;
  }
  return backend.readSync ? 1 : DEVICE_READ_INTERVAL;
}

/**
 * Running sums of the loss and the metrics over the samples seen so far,
 * kept on the device as float32 scalars; read() brings them to the host as
 * means (Keras' running averages). Adding never reads.
 */
export class RunningSums {
  private readonly sums: Tensor[];
  private samples = 0;
  /** The last values read, while no batch was added since (fit reads again at an epoch's end). */
  private lastRead: Logs | null = null;

  constructor(private readonly names: readonly string[]) {
    this.sums = names.map(() => zeros([]).keep());
  }

  /** Adds one batch: `values[i]` is the batch's sum (not mean) of `names[i]` over its `samples` samples. */
  add(values: readonly Tensor[], samples: number): void {
    // assign takes the new sum's storage; the tidy frees the temporary handles (the sums are kept).
    noGrad(() => tidy(() => this.sums.forEach((s, i) => s.assign(s.add(values[i])))));
    this.samples += samples;
    this.lastRead = null;
  }

  /**
   * The means so far, read from the device in one transfer (one wait for the queued work),
   * or without a transfer when nothing was added since the last read. Each call returns a
   * new object, which the caller may extend (fit adds the validation values).
   */
  async read(): Promise<Logs> {
    if (this.lastRead !== null) return { ...this.lastRead };
    const all = tidy(() =>
      concat(
        this.sums.map((s) => s.reshape([1])),
        0,
      ),
    );
    let values: ArrayLike<number>;
    try {
      values = await all.data();
    } finally {
      // Also when the read rejects (a GPU's index status reporting a bad label).
      all.dispose();
    }
    const logs: Logs = {};
    this.names.forEach((name, i) => (logs[name] = values[i] / this.samples));
    this.lastRead = logs;
    return { ...logs };
  }

  dispose(): void {
    dispose(this.sums);
  }
}
