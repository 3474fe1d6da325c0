import type { Plan } from '../../plan';
import { errorCell, errorLine, progress } from '../../run/outcome';
import { fmtNumber } from '../../table';
import type { Framework, ItemResult, Row } from '../../types';
import { runMlpChild } from './child';

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
      const { measured, peak } = await runMlpChild({ framework: fw, batchSize, plan: plan.mlp, dataDir: plan.dataDir });
      if (measured.epoch.kind === 'failed' || measured.epoch.kind === 'unsupported')
        throw new Error(measured.epoch.reason);
      const before = `of which ${fmtNumber(peak.beforeBytes / MiB)} MiB before the first step (Node, the bench's code, MNIST as float32)`;
      row.cells[fw] = { kind: 'memory', bytes: peak.peakBytes, note: fw === frameworks[0] ? before : undefined };
      progress(`${label}: peak RSS ${fmtNumber(peak.peakBytes / MiB)} MiB (${before})`);
    } catch (e) {
      row.cells[fw] = errorCell(e);
      progress(errorLine(label, e));
    }
  }
  return { rows: [row], checks: [] };
}
