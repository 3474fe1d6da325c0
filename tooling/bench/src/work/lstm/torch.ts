import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RepeatPolicy } from '../../plan';
import type { Weight } from '../../run/session';
import type { Phase } from './phases';
import type { LstmData, LstmShape } from './session';

/** Debian's python3-torch lives in the system Python (a pyenv or venv python3 on PATH may lack it); BENCH_PYTHON overrides. */
export const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const SCRIPT = 'lstm_torch.py';

/** What scripts/lstm_torch.py prints. */
export interface TorchRun {
  torch: string;
  threads: number;
  /** Timed steps (the warm-up alone when it took over soloSeconds). */
  seconds: number[];
  warmupOnly: boolean;
  /** Every step's loss in order, the first from the initial weights. */
  losses: number[];
  phases?: Record<Phase, number[]>;
}

/** PyTorch is missing here (no interpreter, no torch module): a cell that says so, not a failure. */
export class TorchMissing extends Error {}

/** scripts/lstm_torch.py, looked for upward from this file: dist/main.js and src/work/lstm/torch.ts sit at different depths. */
export function torchScript(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    for (const candidate of [path.join(dir, 'scripts', SCRIPT), path.join(dir, SCRIPT)])
      if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new TorchMissing(`${SCRIPT} not found above ${from}`);
  }
}

function bytes(a: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function run(file: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as NodeJS.ErrnoException & { signal?: string | null; killed?: boolean };
      if (e.code === 'ENOENT')
        return reject(new TorchMissing(`${file} not found (Debian: apt install python3-torch, or set BENCH_PYTHON)`));
      if (/No module named 'torch'/.test(stderr))
        return reject(
          new TorchMissing(`${file} has no torch module (Debian: apt install python3-torch, or set BENCH_PYTHON)`),
        );
      const tail = stderr.trim().split('\n').slice(-3).join(' | ');
      reject(
        new Error(
          `${path.basename(args[0])} exited with ${e.code ?? e.signal ?? 'an error'}${e.killed ? ' (timed out)' : ''}: ${tail}`,
        ),
      );
    });
  });
}

/**
 * The same model, weights and batches in PyTorch on the CPU, in a child process: the
 * bench writes the arrays to a temporary folder, the script trains and times the steps
 * itself (so Node's own work is not in its time) and prints its results as JSON.
 */
export async function torchLstm(
  shape: LstmShape,
  data: LstmData,
  weights: readonly Weight[],
  policy: RepeatPolicy,
  threads: number,
  profileSteps: number,
): Promise<TorchRun> {
  const script = torchScript();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tsdl-bench-lstm-'));
  try {
    const entry = async (name: string, shp: number[], a: Float32Array | Int32Array) => {
      const file = `${name.replace(/\W/g, '_')}.bin`;
      await writeFile(path.join(dir, file), bytes(a));
      return { name, shape: shp, file };
    };
    const manifest = {
      shape,
      threads,
      policy,
      profileSteps,
      weights: await Promise.all(weights.map((w) => entry(w.name, w.shape, w.values))),
      tokens: await Promise.all(data.tokens.map((t, i) => entry(`tokens${i}`, [shape.batchSize, shape.seqLen], t))),
      labels: await Promise.all(data.labels.map((y, i) => entry(`labels${i}`, [shape.batchSize], y))),
    };
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    // Generous: a slow machine's warm-up plus the budget, many times over; a hung child still ends.
    const limitMs = 1000 * (120 + 10 * (policy.budgetSeconds + (policy.soloSeconds ?? 0)));
    const out = await run(PYTHON, [script, dir], limitMs);
    const line = out.trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(line) as TorchRun;
    } catch {
      throw new Error(`${SCRIPT}: expected one JSON line on stdout, got '${line.slice(0, 200)}'`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
