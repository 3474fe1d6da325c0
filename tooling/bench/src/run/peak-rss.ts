import { spawn } from 'node:child_process';

/**
 * Peak resident memory of one framework's run, measured in a child process of its own: one
 * process running every framework would report the largest of them all (the OS keeps one peak
 * per process), and each framework's allocator keeps what it took. The child is this same script
 * with the flag below and a JSON job; it prints one result line on stdout, which the parent
 * parses. Progress stays on stderr, shared with the parent's.
 */
export const CHILD_FLAG = '--peak-rss-child';

/** The prefix of the child's result line: the rest of the line is a PeakRss as JSON. */
export const RESULT_PREFIX = 'PEAK_RSS ';

export interface PeakRss {
  /** The process's peak resident set (getrusage's ru_maxrss), in bytes. */
  peakBytes: number;
  /** Its resident set just before the framework's first step (Node, the bench, the data), in bytes. */
  beforeBytes: number;
}

/** The line a child prints: the prefix, then the numbers as JSON. */
export function formatResultLine(r: PeakRss): string {
  return `${RESULT_PREFIX}${JSON.stringify(r)}`;
}

/** The child's result from its whole stdout: the last result line, checked; an Error saying what was missing. */
export function parseResultLine(stdout: string): PeakRss {
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(RESULT_PREFIX));
  if (line === undefined) throw new Error(`the child process printed no '${RESULT_PREFIX.trim()}' line`);
  let v: unknown;
  try {
    v = JSON.parse(line.slice(RESULT_PREFIX.length));
  } catch {
    throw new Error(`the child's result line is not JSON: ${line}`);
  }
  const r = v as Partial<PeakRss>;
  for (const k of ['peakBytes', 'beforeBytes'] as const) {
    if (typeof r?.[k] !== 'number' || !Number.isFinite(r[k]) || (r[k] as number) <= 0)
      throw new Error(`the child's result line has no positive ${k}: ${line}`);
  }
  return { peakBytes: r.peakBytes as number, beforeBytes: r.beforeBytes as number };
}

/** This process's numbers, for a child to print: ru_maxrss is in KiB on Linux and macOS (Node's resourceUsage). */
export function ownPeakRss(beforeBytes: number): PeakRss {
  return { peakBytes: process.resourceUsage().maxRSS * 1024, beforeBytes };
}

/** Runs this script again as a child with `job` (JSON) and returns its result; rejects with its stderr tail on failure. */
export function runChild(job: unknown): Promise<PeakRss> {
  const script = process.argv[1];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, script, CHILD_FLAG, JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => (out += s));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`the child process exited with ${signal ?? `code ${code}`}`));
        return;
      }
      try {
        resolve(parseResultLine(out));
      } catch (e) {
        reject(e);
      }
    });
  });
}
