import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RepeatPolicy } from '../../plan';
import type { Weight } from '../../run/session';
import { PYTHON, TorchMissing } from '../lstm/torch';
import { ADAMW, type GptData, type GptShape } from './session';

const SCRIPT = 'transformer_torch.py';

/** What scripts/transformer_torch.py prints. */
export interface TorchRun {
  torch: string;
  threads: number;
  /** Timed steps (the warm-up alone when it took over soloSeconds). */
  seconds: number[];
  warmupOnly: boolean;
  /** Every step's loss in order, the first from the initial weights. */
  losses: number[];
}

/** scripts/transformer_torch.py, looked for upward from this file: dist/main.js and src/work/transformer/torch.ts sit at different depths. */
function torchScript(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    for (const candidate of [path.join(dir, 'scripts', SCRIPT), path.join(dir, SCRIPT)])
      if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new TorchMissing(`${SCRIPT} not found above ${from}`);
  }
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
          `${SCRIPT} exited with ${e.code ?? e.signal ?? 'an error'}${e.killed ? ' (timed out)' : ''}: ${tail}`,
        ),
      );
    });
  });
}

/**
 * The same GPT, weights and batches in PyTorch on the CPU with `threads` threads, in a
 * child process: the bench writes the arrays to a temporary folder, the script trains
 * and times its steps itself (Node's work is not in its time) and prints JSON.
 */
export async function torchGpt(
  shape: GptShape,
  data: GptData,
  weights: readonly Weight[],
  policy: RepeatPolicy,
  threads: number,
): Promise<TorchRun> {
  const script = torchScript();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tsdl-bench-transformer-'));
  try {
    let files = 0;
    const entry = async (name: string, shp: number[], a: Float32Array | Int32Array) => {
      const file = `${files++}.bin`;
      await writeFile(path.join(dir, file), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      return { name, shape: shp, file };
    };
    const bt = [shape.batchSize, shape.blockSize];
    const manifest = {
      shape,
      adamw: ADAMW,
      threads,
      policy,
      weights: await Promise.all(weights.map((w) => entry(w.name, w.shape, w.values))),
      x: await Promise.all(data.x.map((x, i) => entry(`x${i}`, bt, x))),
      y: await Promise.all(data.y.map((y, i) => entry(`y${i}`, bt, y))),
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
