import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/index';
import { useCpu, useTempDir } from './helpers';

useCpu();
const tempDir = useTempDir();

const HIDDEN = 1400; // 8·1400 + 1400·1400 + 1400·4 weights and biases: 1.98 M parameters, 7.9 MB (and as much momentum)
const KILLS = 50;

/**
 * Bundles save-atomic-child.ts with its workspace imports resolved to their
 * TypeScript sources (the `@tsdl/source` condition, as vitest does), so the
 * child runs this checkout's code under plain node. esbuild comes with tsup,
 * the workspace's build tool.
 */
async function bundleChild(outDir: string): Promise<string> {
  const require = createRequire(import.meta.url);
  const esbuild = createRequire(require.resolve('tsup'))('esbuild') as {
    build(options: Record<string, unknown>): Promise<unknown>;
  };
  const outfile = join(outDir, 'child.cjs');
  await esbuild.build({
    entryPoints: [fileURLToPath(new URL('./save-atomic-child.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    conditions: ['@tsdl/source'],
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

/** A child saving versions from `first` on; `lines` collects what it printed. */
function start(
  bundle: string,
  dir: string,
  first: number,
): { child: ChildProcess; lines: string[]; exited: Promise<void> } {
  const child = spawn(process.execPath, [bundle, dir, String(first), String(HIDDEN)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => {
    const parts = (partial + b.toString()).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  // 'close', not 'exit': every line the child printed has arrived by then.
  const exited = new Promise<void>((resolve, reject) =>
    child.on('close', (code, signal) =>
      signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited with ${code ?? signal}: ${stderr}`)),
    ),
  );
  exited.catch(() => {});
  return { child, lines, exited };
}

async function until(cond: () => boolean, exited: Promise<void>): Promise<void> {
  let failed: unknown = null;
  exited.catch((e) => (failed = e));
  while (!cond()) {
    if (failed) throw failed;
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Park–Miller, so a failing run's kill delays can be replayed from the printed seed. */
function rng(seed: number): () => number {
  let s = seed % 2147483647 || 1;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

/** The version the loaded survivor holds, checking that its config, weights and optimizer state all say the same one. */
async function survivor(dir: string): Promise<number> {
  const m = await loadModel(dir);
  try {
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    const v = config.compileConfig.optimizer.config.learningRate as number;
    for (const [name, w] of m.namedModelWeights()) {
      const values = w.dataSync();
      if (values[0] !== v || values[values.length - 1] !== v || values.some((x) => x !== v)) {
        throw new Error(`'${name}' holds ${values[0]}…${values[values.length - 1]}, the config says version ${v}`);
      }
    }
    if (m.optimizer?.lr !== v)
      throw new Error(`the optimizer state is from version ${m.optimizer?.lr}, the config from ${v}`);
    return v;
  } finally {
    m.dispose();
    m.optimizer?.dispose();
  }
}

describe('a save killed at a random point', () => {
  it(`leaves a complete model, the old or the new one (${KILLS} SIGKILLs during large saves)`, async () => {
    const dir = join(tempDir(), 'model');
    const bundle = await bundleChild(tempDir());
    const seed = Date.now() % 100000;
    const random = rng(seed);

    // A first child saves a few times (the model every later kill must not lose) and tells how long a save takes.
    const warm = start(bundle, dir, 1);
    await until(() => warm.lines.filter((l) => l.startsWith('saved')).length >= 1, warm.exited);
    const t0 = Date.now();
    await until(() => warm.lines.filter((l) => l.startsWith('saved')).length >= 3, warm.exited);
    const perSave = (Date.now() - t0) / 2;
    warm.child.kill('SIGKILL');
    await warm.exited;
    let committed = await survivor(dir);
    expect(committed).toBeGreaterThanOrEqual(3);

    const losses: string[] = [];
    let midSave = 0;
    for (let k = 0; k < KILLS; k++) {
      const first = 1000 * (k + 1);
      const run = start(bundle, dir, first);
      const begun = (): number => run.lines.filter((l) => l.startsWith('begin')).length;
      await until(() => begun() > 0, run.exited);
      // Kill anywhere in the first two saves: mostly during a weights write.
      const beganAt = Date.now();
      const delay = random() * 2 * perSave;
      await until(() => Date.now() - beganAt >= delay || run.lines.length >= 4, run.exited);
      if (run.lines[run.lines.length - 1].startsWith('begin')) midSave++;
      run.child.kill('SIGKILL');
      await run.exited;
      try {
        const v = await survivor(dir);
        if (v < committed || (v !== committed && (v < first || v >= first + begun()))) {
          losses.push(
            `kill ${k}: the survivor is version ${v}; the last complete save was ${committed}, this child began ${first}..${first + begun() - 1}`,
          );
        }
        committed = v;
      } catch (e) {
        losses.push(`kill ${k}: ${(e as Error).message}`);
      }
    }
    expect(losses, `kill delays from seed ${seed}`).toEqual([]);
    // Most kills land inside a save; otherwise the test would prove little.
    expect(midSave).toBeGreaterThanOrEqual(KILLS / 2);

    // The next save clears what the killed ones left, and the directory holds one model.
    const m = await loadModel(dir);
    await m.save(dir, { includeOptimizer: true });
    m.dispose();
    m.optimizer?.dispose();
    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(3);
    expect(files[0]).toBe('config.json');
    expect(files[1]).toMatch(/^model\.p\d+-[0-9a-f]{8}\.safetensors$/);
    expect(files[2]).toMatch(/^optimizer\.p\d+-[0-9a-f]{8}\.safetensors$/);
    expect(await survivor(dir)).toBe(committed);
  }, 400_000);
});
