/**
 * Peak resident memory of a run, read in the child process that ran it (run/child.ts): one process
 * running every framework would report the largest of them all (the OS keeps one peak per
 * process), and each framework's allocator keeps what it took.
 */
export interface PeakRss {
  /** The process's peak resident set (getrusage's ru_maxrss), in bytes. */
  peakBytes: number;
  /** Its resident set just before the framework's first step (Node, the bench, the data), in bytes. */
  beforeBytes: number;
}

/** This process's numbers, for a child to report: ru_maxrss is in KiB on Linux and macOS (Node's resourceUsage). */
export function ownPeakRss(beforeBytes: number): PeakRss {
  return { peakBytes: process.resourceUsage().maxRSS * 1024, beforeBytes };
}

/** `v` checked as a PeakRss (from a child's JSON); an Error naming the missing or bad number. */
export function checkPeakRss(v: unknown): PeakRss {
  const r = v as Partial<PeakRss> | null;
  for (const k of ['peakBytes', 'beforeBytes'] as const) {
    if (typeof r?.[k] !== 'number' || !Number.isFinite(r[k]) || (r[k] as number) <= 0)
      throw new Error(`the child's peak RSS has no positive ${k}: ${JSON.stringify(v)}`);
  }
  return { peakBytes: r!.peakBytes as number, beforeBytes: r!.beforeBytes as number };
}
