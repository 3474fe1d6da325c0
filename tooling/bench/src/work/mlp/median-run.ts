import { fmtNumber } from '../../table';
import type { Measured } from './measure';

/**
 * The run with the median epoch among runs of the same work in separate processes (for an even
 * count, the faster of the middle two: every number in the row is then one run's), its epoch
 * footnoted with all the runs' epochs. A failed run fails the whole: no run is dropped unseen.
 */
export function medianRun(runs: readonly Measured[]): Measured {
  if (runs.length === 0) throw new Error('medianRun: no runs');
  const failed = runs.find((r) => r.epoch.kind !== 'time');
  if (failed !== undefined) return failed;
  if (runs.length === 1) return runs[0];
  const seconds = (r: Measured) => (r.epoch.kind === 'time' ? r.epoch.seconds : NaN);
  const sorted = [...runs].sort((a, b) => seconds(a) - seconds(b));
  const mid = sorted[(sorted.length - 1) >> 1];
  const all = sorted.map((r) => fmtNumber(seconds(r))).join(', ');
  const own = mid.epoch.kind === 'time' ? mid.epoch.note : undefined;
  const note = `median of ${runs.length} fresh processes (epochs ${all} s)${own ? `; ${own}` : ''}`;
  return { ...mid, epoch: { kind: 'time', seconds: seconds(mid), note } };
}
