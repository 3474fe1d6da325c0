import type { Optimizer } from '@tsdl/optim';
import type { Tensor } from '@tsdl/tensor';
import { type CaptureStats, CapturedStep } from '@tsdl/tensor/internal';

/** A step's forward and backward: leaves gradients in `.grad`, returns the batch's running values (loss and metric sums). */
export type ForwardBackward = (batch: readonly Tensor[]) => Tensor[];

interface Current {
  forwardBackward: ForwardBackward;
  optimizer: Optimizer<any>;
}

/**
 * fit's whole training step for any model (the loss, the metrics, backward
 * and the optimizer's update), captured: after two steps that traced alike it
 * is replayed as its kernels alone (`CapturedStep`), the way Keras runs a
 * traced train function unless `runEagerly` is set. The update's new weights
 * and moments are assigns the replay repeats; the optimizer's step counts and
 * the scalars of step t (a schedule's rate too) are computed by the host
 * steps it registered while traced.
 */
export class TrainStepCapture {
  private readonly captured: CapturedStep;
  private current: Current | null = null;

  constructor() {
    this.captured = new CapturedStep((batch) => {
      const { forwardBackward, optimizer } = this.current as Current;
      const sums = forwardBackward(batch);
      optimizer.step();
      optimizer.zeroGrad();
      return { tensors: sums };
    });
  }

  /**
   * Runs `forwardBackward` on a batch (its tensors in fit's order: inputs, targets, sample
   * weights) and `optimizer`'s step, traced or replayed from an earlier trace; returns
   * forwardBackward's values. Null when a parameter already holds a gradient (backward would
   * add to it): run the step eagerly then. Call inside tidy.
   */
  run(batch: readonly Tensor[], optimizer: Optimizer<any>, forwardBackward: ForwardBackward): Tensor[] | null {
    const params = optimizer.params;
    if (params.some((p) => p.grad !== null)) return null;
    let guard = '';
    for (const p of params) guard += p.requiresGrad ? '1' : '0';
    this.current = { forwardBackward, optimizer };
    try {
      return this.captured.run(batch, guard).tensors;
    } finally {
      this.current = null;
    }
  }

  /** Traces and replays so far (for tests and benchmarks). */
  get stats(): CaptureStats {
    return this.captured.stats;
  }
}
