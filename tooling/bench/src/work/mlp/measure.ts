import type { TrainData } from '../../data';
import { type GpuCounts, gpuCounts } from '../../frameworks/gpu';
import type { MlpPlan } from '../../plan';
import { errorCell, errorLine, progress } from '../../run/outcome';
import type { SessionFactory, TrainSession } from '../../run/session';
import { extrapolate, stepsPerEpoch } from '../../stats';
import { fmtNumber } from '../../table';
import type { Cell, Framework } from '../../types';
import { jaxMlp } from './jax';
import { tfjsMlp } from './tfjs';
import { tsdlMlp } from './tsdl';
import { mlpWeights } from './weights';

/** Each framework's MLP session (the same model, data and weights), by bench column. */
export const FACTORIES: Record<Framework, SessionFactory> = {
  tsdl: tsdlMlp('cpu'),
  'tfjs-cpu': tfjsMlp('cpu'),
  'tfjs-wasm': tfjsMlp('wasm'),
  'jax-js': jaxMlp('wasm'),
  'tsdl-webgpu': tsdlMlp('webgpu'),
  'tfjs-webgpu': tfjsMlp('webgpu'),
  'jax-js-webgpu': jaxMlp('webgpu'),
};

/**
 * How many batches to time, given that `warmupBatches` batches (after the
 * warm-up) took `probeSeconds`: --batches if given, else the whole epoch, unless
 * that predicts an epoch over maxEpochSeconds; then about slowBudgetSeconds' worth.
 */
export function batchesToTime(plan: MlpPlan, total: number, probeSeconds: number): number {
  if (plan.batches !== undefined) return Math.min(plan.batches, total);
  const perBatch = probeSeconds / plan.warmupBatches;
  if (perBatch * total <= plan.maxEpochSeconds) return total;
  const n = Math.round(plan.slowBudgetSeconds / perBatch);
  return Math.min(total, Math.max(plan.warmupBatches, n));
}

export interface Measured {
  /** The epoch's time (measured, or extrapolated from the batches timed). */
  epoch: Cell;
  /** One training step: the timed run's time over its batches. */
  step: Cell;
  /** The mean loss of the warm-up batches. */
  warmupLoss?: number;
}

/** GPU calls per step over a span, as a footnote: where a step's time goes when the arithmetic is small. */
function perStep(before: GpuCounts, after: GpuCounts, steps: number): string {
  const each = (k: keyof GpuCounts) => fmtNumber((after[k] - before[k]) / steps);
  return `per step: ${each('dispatches')} GPU dispatches, ${each('submits')} submits, ${each('reads')} read-backs`;
}

/** One framework's epoch at one batch size, and its mean step. */
export async function measure(
  factory: SessionFactory,
  data: TrainData,
  batchSize: number,
  plan: MlpPlan,
  label: string,
  gpu: boolean,
): Promise<Measured> {
  let session: TrainSession | undefined;
  try {
    session = await factory(data, batchSize, mlpWeights());
    const total = stepsPerEpoch(data.samples, batchSize);
    const warm = await session.train(plan.warmupBatches);
    // The warm-up pays for compiling (jax-js takes seconds): a second, warm run predicts the epoch.
    const probe = plan.batches === undefined ? await session.train(plan.warmupBatches) : warm;
    const batches = batchesToTime(plan, total, probe.seconds);
    progress(
      `${label}: warm-up ${plan.warmupBatches} batches ${fmtNumber(warm.seconds)} s then ${fmtNumber(probe.seconds)} s (loss ${fmtNumber(warm.loss)}); timing ${batches} of ${total} batches`,
    );
    const before = gpuCounts();
    const run = await session.train(batches);
    const calls = gpu ? perStep(before, gpuCounts(), batches) : undefined;
    const seconds = batches === total ? run.seconds : extrapolate(run.seconds, batches, total);
    const note = batches === total ? undefined : `extrapolated to a full epoch from ${batches} of ${total} batches`;
    const step = run.seconds / batches;
    progress(
      `${label}: ${fmtNumber(run.seconds)} s for ${batches} batches (${fmtNumber(step * 1000)} ms a step${calls ? `; ${calls}` : ''}) → epoch ${fmtNumber(seconds)} s`,
    );
    return {
      epoch: { kind: 'time', seconds, note },
      step: { kind: 'time', seconds: step, note: calls },
      warmupLoss: warm.loss,
    };
  } catch (e) {
    progress(errorLine(label, e));
    return { epoch: errorCell(e), step: errorCell(e) };
  } finally {
    session?.dispose();
  }
}
