import { firstSamples, mnistTrain } from '../../data';
import type { MlpPlan, Plan } from '../../plan';
import { errorCell, errorLine, progress } from '../../run/outcome';
import { formatResultLine, ownPeakRss, runChild } from '../../run/peak-rss';
import { fmtNumber } from '../../table';
import { DEVICE_OF, type Framework, type ItemResult, type Row } from '../../types';
import { FACTORIES, measure } from './item';

/** What a child process runs: one framework's MLP item at one batch size, as the mlp item runs it. */
export interface MlpMemoryJob {
  framework: Framework;
  batchSize: number;
  plan: MlpPlan;
  dataDir?: string;
}

const MiB = 2 ** 20;

/**
 * Peak resident memory of the MNIST MLP run (the mlp item's warm-up and timed epoch at the first
 * batch size), each framework in a child process of its own, so the peaks are not one process's
 * mix. Every child loads the same data the same way first; that share is given in a footnote.
 */
export async function mlpMemoryItem(plan: Plan, frameworks: readonly Framework[]): Promise<ItemResult> {
  const batchSize = plan.mlp.batchSizes[0];
  const row: Row = { work: `MNIST MLP run, batch ${batchSize}: peak RSS`, unit: 'MiB', cells: {} };
  for (const fw of frameworks) {
    const label = `mlp-memory batch ${batchSize} ${fw}`;
    try {
      const job: MlpMemoryJob = { framework: fw, batchSize, plan: plan.mlp, dataDir: plan.dataDir };
      const r = await runChild(job);
      const before = `of which ${fmtNumber(r.beforeBytes / MiB)} MiB before the first step (Node, the bench's code, MNIST as float32)`;
      row.cells[fw] = { kind: 'memory', bytes: r.peakBytes, note: fw === frameworks[0] ? before : undefined };
      progress(`${label}: peak RSS ${fmtNumber(r.peakBytes / MiB)} MiB (${before})`);
    } catch (e) {
      row.cells[fw] = errorCell(e);
      progress(errorLine(label, e));
    }
  }
  return { rows: [row], checks: [] };
}

/** The child's side: trains as the mlp item does, then prints its peak RSS as the result line. */
export async function mlpMemoryChild(job: MlpMemoryJob): Promise<void> {
  const all = await mnistTrain(job.dataDir);
  const data = job.plan.samples === undefined ? all : firstSamples(all, job.plan.samples);
  const beforeBytes = process.memoryUsage().rss;
  const label = `mlp-memory batch ${job.batchSize} ${job.framework} (child)`;
  const m = await measure(
    FACTORIES[job.framework],
    data,
    job.batchSize,
    job.plan,
    label,
    DEVICE_OF[job.framework] === 'gpu',
  );
  if (m.epoch.kind === 'failed' || m.epoch.kind === 'unsupported') throw new Error(m.epoch.reason);
  console.log(formatResultLine(ownPeakRss(beforeBytes)));
}
