import { ArgumentError, type Tensor } from '@tsdl/tensor';
import type { LossSpec } from '../losses';
import type { OutputSpec } from './compile-spec';
import type { GraphRun } from './graph';

/** A batch's sums (not means) of the loss and the metrics, as RunningSums adds them. */
export interface BatchSums {
  /** The total loss: the sum over outputs of each output's weighted loss sum (differentiable). */
  total: Tensor;
  /** Each output's weighted loss sum, for outputs with a loss (logged as '<output>_loss'). */
  perOutput: Tensor[];
  /** Every output's metric sums, in logNames' order. */
  metrics: Tensor[];
}

/**
 * The loss and metric sums of one batch of `m` samples from a model run. An output whose
 * logits the run returned uses its loss's fromLogits form (the run chose that loss's
 * activation), and its metrics read the logits. With sample weights, an output's loss
 * sum is sum(weight · per-sample loss), Keras' sum_over_batch_size times the batch size.
 * Call inside tidy.
 */
export function batchSums(
  specs: readonly OutputSpec[],
  run: GraphRun,
  ys: readonly (Tensor | null)[],
  sws: readonly (Tensor | null)[],
  m: number,
): BatchSums {
  let total: Tensor | null = null;
  const perOutput: Tensor[] = [];
  const metrics: Tensor[] = [];
  specs.forEach((o, i) => {
    const logits = run.logits[i];
    const pred = (logits ?? run.outputs[i]) as Tensor;
    const y = ys[i];
    if (o.loss !== null && y) {
      const spec = (logits ? o.loss.fromLogits : o.loss) as LossSpec;
      const sw = sws[i];
      let s: Tensor;
      if (sw) {
        if (!spec.perSample)
          throw new ArgumentError(
            `loss '${o.loss.name}' of output '${o.name}' has no per-sample values, so it cannot weigh samples (sampleWeight, classWeight)`,
          );
        s = spec.perSample(y, pred).mul(sw).sum();
      } else {
        s = spec.batchSum?.(y, pred) ?? spec.fn(y, pred).mul(m);
      }
      const weighted = o.weight === 1 ? s : s.mul(o.weight);
      perOutput.push(weighted);
      total = total === null ? weighted : total.add(weighted);
    }
  });
  specs.forEach((o, i) => {
    const y = ys[i];
    if (!y) return;
    const logits = run.logits[i];
    const pred = (logits ?? run.outputs[i]) as Tensor;
    for (const metric of o.metrics) metrics.push(metric.sum(y, pred, logits !== null));
  });
  return { total: total as unknown as Tensor, perOutput, metrics };
}
