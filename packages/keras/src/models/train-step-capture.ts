import type { Tensor } from '@tsdl/tensor';
import { type CaptureStats, CapturedStep } from '@tsdl/tensor/internal';

/** A batch's loss sum and metric sums (the caller disposes them). */
export type BatchSums = {
  lossSum: Tensor;
  metricSums: Tensor[];
};

interface GradMeta {
  metrics: number;
  /** Per parameter, whether backward gave it a gradient. */
  has: boolean[];
}

/**
 * The forward and backward half of fit's training step (the loss, the
 * metrics, every parameter's gradient), captured: after two steps that traced
 * alike it is replayed as its kernels alone (`CapturedStep`), the way Keras
 * runs a traced train function unless `runEagerly` is set. The optimizer's
 * update stays eager: its step count and learning rate change every step, and
 * its JavaScript is a few calls.
 *
 * The gradients leave the captured step as results and go back into each
 * parameter's `.grad`, so the optimizer sees what backward would have left.
 */
export class TrainStepCapture {
  private readonly captured: CapturedStep;
  private params: readonly Tensor[] = [];
  private forwardBackward: ((x: Tensor, y: Tensor) => BatchSums) | null = null;

  constructor() {
    this.captured = new CapturedStep(([x, y]) => {
      const { lossSum, metricSums } = (this.forwardBackward as (x: Tensor, y: Tensor) => BatchSums)(x, y);
      const grads: Tensor[] = [];
      const has = this.params.map((p) => {
        const g = p.grad;
        if (g === null) return false;
        grads.push(g);
        p.grad = null;
        return true;
      });
      const meta: GradMeta = { metrics: metricSums.length, has };
      return { tensors: [lossSum, ...metricSums, ...grads], meta };
    });
  }

  /**
   * Runs `forwardBackward` on a batch (traced, or replayed from an earlier
   * trace) and leaves the gradients of `params` in their `.grad`; null when a
   * parameter already holds a gradient (backward would add to it): run the
   * step eagerly then. Call inside tidy.
   */
  run(
    x: Tensor,
    y: Tensor,
    params: readonly Tensor[],
    forwardBackward: (x: Tensor, y: Tensor) => BatchSums,
  ): BatchSums | null {
    if (params.some((p) => p.grad !== null)) return null;
    this.params = params;
    this.forwardBackward = forwardBackward;
    let guard = '';
    for (const p of params) guard += p.requiresGrad ? '1' : '0';
    try {
      const r = this.captured.run([x, y], guard);
      const { metrics, has } = r.meta as GradMeta;
      const [lossSum, ...rest] = r.tensors;
      let k = metrics;
      params.forEach((p, i) => {
        if (has[i]) p.grad = rest[k++].keep();
      });
      return { lossSum, metricSums: rest.slice(0, metrics) };
    } finally {
      this.forwardBackward = null;
      this.params = [];
    }
  }

  /** Traces and replays so far (for tests and benchmarks). */
  get stats(): CaptureStats {
    return this.captured.stats;
  }
}
