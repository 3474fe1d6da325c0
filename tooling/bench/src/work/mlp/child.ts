import { firstSamples, mnistTrain } from '../../data';
import type { MlpPlan } from '../../plan';
import { formatResultLine, runChild } from '../../run/child';
import { type PeakRss, checkPeakRss, ownPeakRss } from '../../run/peak-rss';
import { type Cell, DEVICE_OF, type Framework } from '../../types';
import { FACTORIES, type Measured, measure } from './measure';

/** What a child process runs: one framework's MLP warm-up and timed epoch at one batch size, as the mlp item times it. */
export interface MlpJob {
  framework: Framework;
  batchSize: number;
  plan: MlpPlan;
  dataDir?: string;
}

/** What the child reports: its measurement and its peak resident memory. */
export interface MlpChildResult {
  measured: Measured;
  peak: PeakRss;
}

/** The child's side: loads the data, trains as the mlp item does, then prints its result line. */
export async function mlpChild(job: MlpJob): Promise<void> {
  const all = await mnistTrain(job.dataDir);
  const data = job.plan.samples === undefined ? all : firstSamples(all, job.plan.samples);
  const beforeBytes = process.memoryUsage().rss;
  const label = `mlp batch ${job.batchSize} ${job.framework} (child)`;
  const measured = await measure(
    FACTORIES[job.framework],
    data,
    job.batchSize,
    job.plan,
    label,
    DEVICE_OF[job.framework] === 'gpu',
  );
  const result: MlpChildResult = { measured, peak: ownPeakRss(beforeBytes) };
  console.log(formatResultLine(result));
}

/** The parent's side: runs `job` in a fresh process and returns its checked result. */
export async function runMlpChild(job: MlpJob): Promise<MlpChildResult> {
  return checkMlpChildResult(await runChild(job));
}

/** `v` (a child's JSON) checked as an MlpChildResult; an Error saying what is wrong. */
export function checkMlpChildResult(v: unknown): MlpChildResult {
  const r = v as Partial<MlpChildResult> | null;
  const m = r?.measured as Partial<Measured> | undefined;
  if (typeof m !== 'object' || m === null)
    throw new Error(`the child's result has no measurement: ${JSON.stringify(v)}`);
  const measured: Measured = { epoch: checkCell(m.epoch, 'epoch'), step: checkCell(m.step, 'step') };
  if (m.warmupLoss !== undefined) {
    if (typeof m.warmupLoss !== 'number')
      throw new Error(`the child's warmupLoss is not a number: ${JSON.stringify(v)}`);
    measured.warmupLoss = m.warmupLoss;
  }
  return { measured, peak: checkPeakRss(r?.peak) };
}

function checkCell(v: unknown, what: string): Cell {
  const c = v as { kind?: unknown; seconds?: unknown; reason?: unknown; note?: unknown } | null | undefined;
  if (c?.kind === 'time' && typeof c.seconds === 'number' && c.seconds > 0) {
    if (c.note !== undefined && typeof c.note !== 'string') throw new Error(`the child's ${what} note is not a string`);
    return { kind: 'time', seconds: c.seconds, note: c.note };
  }
  if ((c?.kind === 'failed' || c?.kind === 'unsupported') && typeof c.reason === 'string')
    return { kind: c.kind, reason: c.reason };
  throw new Error(`the child's ${what} is neither a positive time nor a failure: ${JSON.stringify(v)}`);
}
