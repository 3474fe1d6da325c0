import { agreement } from '../../checks';
import { type TrainData, firstSamples, mnistTrain } from '../../data';
import type { Plan } from '../../plan';
import { errorCell, errorLine, progress } from '../../run/outcome';
import { type Check, DEVICE_OF, type Framework, type ItemResult, type Row } from '../../types';
import { runMlpChild } from './child';
import { FACTORIES, type Measured, measure } from './measure';
import { medianRun } from './median-run';

/**
 * One framework's epoch at one batch size: in this process, or (plan.mlp.processes > 1) in that
 * many fresh processes, whose median epoch is the result. A framework whose first process failed,
 * or had to extrapolate its epoch from a time budget (a slow peer), is not run again.
 */
async function measureFramework(
  plan: Plan,
  fw: Framework,
  batchSize: number,
  data: () => Promise<TrainData>,
): Promise<Measured> {
  const label = `mlp batch ${batchSize} ${fw}`;
  if (plan.mlp.processes <= 1)
    return measure(FACTORIES[fw], await data(), batchSize, plan.mlp, label, DEVICE_OF[fw] === 'gpu');
  const runs: Measured[] = [];
  try {
    for (let p = 0; p < plan.mlp.processes; p++) {
      const { measured } = await runMlpChild({ framework: fw, batchSize, plan: plan.mlp, dataDir: plan.dataDir });
      runs.push(measured);
      // A slow peer's epoch is extrapolated from a time budget: once is enough (not so with --batches).
      const slow =
        plan.mlp.batches === undefined && measured.epoch.kind === 'time' && measured.epoch.note !== undefined;
      if (measured.epoch.kind !== 'time' || slow) break;
    }
  } catch (e) {
    progress(errorLine(label, e));
    return { epoch: errorCell(e), step: errorCell(e) };
  }
  const m = medianRun(runs);
  if (runs.length > 1 && m.epoch.kind === 'time') progress(`${label}: ${m.epoch.note}`);
  return m;
}

/**
 * One epoch of the Keras MNIST MLP (Flatten → Dense 128 relu → Dropout 0.2 →
 * Dense 10 softmax, Adam 1e-3, sparse categorical cross-entropy) on the real
 * training set, unshuffled, from the same initial weights on every framework.
 */
export async function mlpItem(plan: Plan, frameworks: readonly Framework[]): Promise<ItemResult> {
  // Children load the data themselves: this process loads it only to time in place.
  let loaded: TrainData | undefined;
  const data = async () => {
    if (loaded === undefined) {
      const all = await mnistTrain(plan.dataDir);
      loaded = plan.mlp.samples === undefined ? all : firstSamples(all, plan.mlp.samples);
    }
    return loaded;
  };
  const samples = plan.mlp.samples;
  const rows: Row[] = [];
  const checks: Check[] = [];
  for (const batchSize of plan.mlp.batchSizes) {
    const row: Row = {
      work: `MNIST MLP epoch, batch ${batchSize}${samples !== undefined ? ` (${samples} samples)` : ''}`,
      unit: 's',
      cells: {},
    };
    const stepRow: Row = { work: `MNIST MLP train step, batch ${batchSize} (mean)`, unit: 'ms', cells: {} };
    const losses: Partial<Record<Framework, number>> = {};
    for (const fw of frameworks) {
      const { epoch, step, warmupLoss } = await measureFramework(plan, fw, batchSize, data);
      row.cells[fw] = epoch;
      stepRow.cells[fw] = step;
      if (warmupLoss !== undefined) losses[fw] = warmupLoss;
    }
    rows.push(row, stepRow);
    checks.push(
      agreement(
        `MLP batch ${batchSize}: mean loss over the first ${plan.mlp.warmupBatches} batches`,
        losses,
        { abs: 0.02, rel: 0.05 },
        'same initial weights and batches; dropout masks differ',
      ),
    );
  }
  return { rows, checks };
}
