import type { RepeatPolicy } from '../plan';
import { median } from '../stats';

export interface Samples {
  /** Timed calls, in seconds (the warm-up is excluded unless it is the only sample). */
  seconds: number[];
  median: number;
  /** The warm-up call was slower than the policy's soloSeconds and is the only sample. */
  warmupOnly: boolean;
}

/** Seconds `call` takes, including whatever it awaits (each call syncs by reading its result). */
export async function timeOnce(call: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await call();
  return (performance.now() - t0) / 1000;
}

/**
 * Calls `call` once to warm up (compile kernels, JIT the JavaScript), then
 * calls it until maxRuns, or until budgetSeconds have passed after minRuns.
 * Each call returns the seconds it measured (so it can leave set-up out).
 * Medians resist the noise of a shared machine better than means.
 */
export async function repeat(call: () => Promise<number>, policy: RepeatPolicy): Promise<Samples> {
  const warm = await call();
  if (policy.soloSeconds !== undefined && warm > policy.soloSeconds)
    return { seconds: [warm], median: warm, warmupOnly: true };
  const seconds: number[] = [];
  let spent = 0;
  while (seconds.length < policy.maxRuns && (seconds.length < policy.minRuns || spent < policy.budgetSeconds)) {
    const s = await call();
    seconds.push(s);
    spent += s;
  }
  return { seconds, median: median(seconds), warmupOnly: false };
}
