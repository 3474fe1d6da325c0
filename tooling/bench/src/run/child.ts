import { spawn } from 'node:child_process';

/**
 * A measurement in a fresh process: this same script, run again with the flag below and a JSON
 * job. A fresh process starts from a cold JIT, an empty heap and no other framework's threads,
 * as a user's does, and no framework's run is shaped by what ran before it in the same process.
 * The child prints one result line on stdout, which the parent parses; progress stays on stderr,
 * shared with the parent's.
 */
export const CHILD_FLAG = '--bench-child';

/** The prefix of the child's result line: the rest of the line is its result as JSON. */
export const RESULT_PREFIX = 'BENCH_CHILD_RESULT ';

/** The line a child prints: the prefix, then the result as JSON. */
export function formatResultLine(result: unknown): string {
  return `${RESULT_PREFIX}${JSON.stringify(result)}`;
}

/** The child's result from its whole stdout: the last result line's JSON; an Error saying what was missing. */
export function parseResultLine(stdout: string): unknown {
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(RESULT_PREFIX));
  if (line === undefined) throw new Error(`the child process printed no '${RESULT_PREFIX.trim()}' line`);
  try {
    return JSON.parse(line.slice(RESULT_PREFIX.length)) as unknown;
  } catch {
    throw new Error(`the child's result line is not JSON: ${line}`);
  }
}

/** Children still running: a bench that is sent SIGTERM stops them with itself. */
const running = new Set<{ kill(signal: NodeJS.Signals): boolean }>();

/** Stops every child still running (SIGKILL). */
export function killChildren(): void {
  for (const c of running) c.kill('SIGKILL');
  running.clear();
}

/** Runs this script again as a child with `job` (JSON) and returns its parsed result line; rejects on a failed exit. */
export function runChild(job: unknown): Promise<unknown> {
  const script = process.argv[1];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, script, CHILD_FLAG, JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    running.add(child);
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => (out += s));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      running.delete(child);
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
