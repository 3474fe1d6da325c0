import type { Tensor } from '@tsdl/tensor';
import { type CaptureStats, CapturedStep } from '@tsdl/tensor/internal';

/** A step's forward and backward: leaves gradients in `.grad`, returns the batch's running values (loss and metric sums). */
export type ForwardBackward = (batch: readonly Tensor[]) => Tensor[];

interface GradMeta {
  /** How many of the results are the step's own (the rest are gradients). */
  sums: number;
  /** Per parameter, whether backward gave it a gradient. */
  has: boolean[];
}

/**
 * The forward and backward half of fit's training step (the loss, the
 * metrics, every parameter's gradient) for any model, captured: after two steps that traced
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
  private forwardBackward: ForwardBackward | null = null;

  constructor() {
    this.captured = new CapturedStep((batch) => {
      const sums = (this.forwardBackward as ForwardBackward)(batch);
      const grads: Tensor[] = [];
      const has = this.params.map((p) => {
        const g = p.grad;
        if (g === null) return false;
        grads.push(g);
        p.grad = null;
        return true;
      });
      const meta: GradMeta = { sums: sums.length, has };
      return { tensors: [...sums, ...grads], meta };
    });
  }

  /**
   * Runs `forwardBackward` on a batch (its tensors in fit's order: inputs, targets, sample
   * weights), traced or replayed from an earlier trace, and leaves the gradients of `params`
   * in their `.grad`; null when a parameter already holds a gradient (backward would add to
   * it): run the step eagerly then. Call inside tidy.
   */
  run(batch: readonly Tensor[], params: readonly Tensor[], forwardBackward: ForwardBackward): Tensor[] | null {
    if (params.some((p) => p.grad !== null)) return null;
    this.params = params;
    this.forwardBackward = forwardBackward;
    let guard = '';
    for (const p of params) guard += p.requiresGrad ? '1' : '0';
    try {
      const r = this.captured.run(batch, guard);
      const { sums, has } = r.meta as GradMeta;
      let k = sums;
      params.forEach((p, i) => {
        if (has[i]) p.grad = r.tensors[k++].keep();
      });
      return r.tensors.slice(0, sums);
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
