import { execFileSync } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArgumentError, DataFormatError, TsdlError, tensor } from '@tsdl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Dense,
  type Model,
  ModelCheckpoint,
  Sequential,
  loadModel,
  modelFromArtifacts,
  modelToArtifacts,
  optimizers,
} from '../src/index';
import { readModelDir } from '../src/io/dir-read';
import { writeModelDir } from '../src/io/dir-write';
import type { ModelArtifacts } from '../src/io/save';
import { faultyFs } from './save-atomic-fs';
import { thrown, useCpu, useTempDir } from './helpers';

useCpu();
const tempDir = useTempDir();

/** A small trained model whose first kernel value tells which of two saves a directory holds. */
async function net(seed: number): Promise<Sequential> {
  const m = new Sequential([
    new Dense({ units: 4, inputShape: [3], seed, activation: 'relu' }),
    new Dense({ units: 2, seed: seed + 1 }),
  ]);
  m.compile({ optimizer: optimizers.Adam({ learningRate: 0.01 }), loss: 'mse' });
  await m.trainOnBatch(tensor([[1, 2, 3]]), tensor([[1, 0]]));
  return m;
}

let OLD: Sequential;
let NEW: Sequential;
let NEW_ARTIFACTS: ModelArtifacts;
beforeAll(async () => {
  OLD = await net(1);
  NEW = await net(7);
  NEW_ARTIFACTS = await modelToArtifacts(NEW, { includeOptimizer: true });
});
const first = (m: Model): number => m.namedModelWeights()[0][1].dataSync()[0];

/** Which of the two models the directory holds; loading must succeed and bring the optimizer state too. */
async function holds(dir: string): Promise<'old' | 'new'> {
  const m = await loadModel(dir);
  try {
    expect(m.optimizer, `${dir}: the optimizer state was saved too`).toBeTruthy();
    const v = first(m);
    if (v === first(OLD)) return 'old';
    if (v === first(NEW)) return 'new';
    throw new Error(`${dir} holds neither model (first weight ${v})`);
  } finally {
    m.optimizer?.dispose();
    m.dispose();
  }
}

const list = async (dir: string): Promise<string[]> => (await readdir(dir)).sort();

/** The file names config.json points at, with config.json itself. */
async function named(dir: string): Promise<string[]> {
  const { files } = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  return ['config.json', files.weights.path, ...(files.optimizer ? [files.optimizer.path] : [])].sort();
}

let fresh = 0;
async function oldModelDir(): Promise<string> {
  const dir = join(tempDir(), `m${fresh++}`);
  await OLD.save(dir, { includeOptimizer: true });
  return dir;
}

/** The file-system calls a save over an existing model makes. */
async function callsOfOneSave(): Promise<string[]> {
  const { fs, calls } = faultyFs();
  await writeModelDir(fs, await oldModelDir(), NEW_ARTIFACTS);
  return calls.map((c) => c.op);
}

/** Calls whose failure a save rides over: statfs only decides whether to refuse /proc, and a directory's close after its sync. */
const harmless = (op: string, path: string, dir: string): boolean =>
  op === 'statfs' || (op === 'close' && path === dir);

describe('a save that fails', () => {
  it('at any one file-system call leaves the old model (or, after the commit, the new one) and no stray files', async () => {
    const ops = await callsOfOneSave();
    const commit = ops.indexOf('rename');
    expect(commit).toBeGreaterThan(10);
    for (let k = 0; k < ops.length; k++) {
      const dir = await oldModelDir();
      const before = await list(dir);
      const { fs, calls } = faultyFs({ failAt: k });
      const error = await writeModelDir(fs, dir, NEW_ARTIFACTS).then(
        () => null,
        (e: Error) => e,
      );
      const what = `failing call ${k} (${ops[k]})`;
      // Every call up to the rename that commits fails the save; nothing after it can undo the save.
      expect(error !== null, what).toBe(k <= commit && !harmless(calls[k].op, calls[k].path, dir));
      if (error) {
        expect(error, what).toBeInstanceOf(DataFormatError);
        expect(error.message, what).toMatch(/\((EIO|ENOSPC)\)$/);
        expect(await holds(dir), what).toBe('old');
        expect(await list(dir), what).toEqual(before);
      } else {
        expect(await holds(dir), what).toBe('new');
        // Only a failed clean-up may leave the previous save's files behind, for the next save to remove.
        for (const f of await list(dir)) expect([...before, ...(await named(dir))], what).toContain(f);
      }
    }
  });

  it('killed at any file-system call leaves a loadable model, and the next save removes what it left', async () => {
    const ops = await callsOfOneSave();
    for (let k = 0; k < ops.length; k++) {
      const dir = await oldModelDir();
      // From call k on every call fails, as in a killed process: nothing is cleaned up.
      const { fs } = faultyFs({ failAt: k, crash: true });
      await writeModelDir(fs, dir, NEW_ARTIFACTS).catch(() => {});
      const what = `killed at call ${k} (${ops[k]})`;
      expect(await holds(dir), what).toBe(k <= ops.indexOf('rename') ? 'old' : 'new');
      await NEW.save(dir, { includeOptimizer: true });
      expect(await holds(dir), what).toBe('new');
      expect(await list(dir), what).toEqual(await named(dir));
    }
  });

  it('on a full disk (ENOSPC after any number of bytes) keeps the old model and removes its partial files', async () => {
    const total = NEW_ARTIFACTS.weights.length + NEW_ARTIFACTS.optimizer!.length;
    for (const free of [
      0,
      1,
      100,
      NEW_ARTIFACTS.weights.length - 1,
      NEW_ARTIFACTS.weights.length + 50,
      total,
      total + 100,
    ]) {
      const dir = await oldModelDir();
      const before = await list(dir);
      const oldConfig = await readFile(join(dir, 'config.json'), 'utf8');
      const e = await thrown(() => writeModelDir(faultyFs({ freeBytes: free }).fs, dir, NEW_ARTIFACTS));
      expect(e).toBeInstanceOf(DataFormatError);
      expect(e.message).toBe(
        `save: could not write the model to ${dir} (a model saved there before is unchanged): no space left on the device (ENOSPC)`,
      );
      expect(await readFile(join(dir, 'config.json'), 'utf8')).toBe(oldConfig);
      expect(await holds(dir)).toBe('old');
      expect(await list(dir)).toEqual(before);
    }
  });

  it('syncs every new file and the directory before the rename that commits, and removes old files only after it', async () => {
    const { fs, calls } = faultyFs();
    const dir = await oldModelDir();
    const old = await named(dir);
    await writeModelDir(fs, dir, NEW_ARTIFACTS);
    const at = (op: string, path: string): number => calls.findIndex((c) => c.op === op && c.path === path);
    const rename = calls.findIndex((c) => c.op === 'rename');
    expect(calls[rename].path).toMatch(/config\.p\d+-[0-9a-f]{8}\.tmp -> .*config\.json$/);
    for (const f of await named(dir)) {
      if (f === 'config.json') continue;
      const path = join(dir, f);
      expect(at('open wx', path)).toBeGreaterThanOrEqual(0);
      expect(at('sync', path)).toBeGreaterThan(at('open wx', path));
      expect(at('close', path)).toBeGreaterThan(at('sync', path));
      expect(at('close', path)).toBeLessThan(rename);
    }
    const tmp = calls[rename].path.split(' -> ')[0];
    expect(at('sync', tmp)).toBeLessThan(rename);
    expect(at('sync', dir)).toBeLessThan(rename);
    expect(at('open r', dir)).toBeGreaterThan(at('close', tmp));
    for (const f of old.filter((n) => n !== 'config.json')) expect(at('unlink', join(dir, f))).toBeGreaterThan(rename);
    expect(await holds(dir)).toBe('new');
  });
});

describe('where a save cannot write', () => {
  it('a read-only file system is named as such (EROFS), for an existing model and for a new directory', async () => {
    const dir = await oldModelDir();
    const ro = faultyFs({ failOps: { 'open wx': 'EROFS', mkdir: 'EROFS' } }).fs;
    const e = await thrown(() => writeModelDir(ro, dir, NEW_ARTIFACTS));
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toBe(
      `save: could not write the model to ${dir} (a model saved there before is unchanged): the file system is read-only (EROFS)`,
    );
    expect(await holds(dir)).toBe('old');
    const sub = join(dir, 'new', 'deeper');
    const e2 = await thrown(() => writeModelDir(ro, sub, NEW_ARTIFACTS));
    expect(e2.message).toBe(
      `save: could not create the directory ${join(dir, 'new')}: the file system is read-only (EROFS)`,
    );
    const denied = faultyFs({ failOps: { 'open wx': 'EACCES' } }).fs;
    expect((await thrown(() => writeModelDir(denied, dir, NEW_ARTIFACTS))).message).toMatch(
      /: permission denied \(EACCES\)$/,
    );
  });

  it('a real read-only mount gives the same error (where this process may mount a tmpfs)', async (ctx) => {
    const mnt = join(tempDir(), 'ro');
    await mkdir(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      ctx.skip();
    }
    try {
      const e = await thrown(() => OLD.save(join(mnt, 'model')));
      expect(e).toBeInstanceOf(DataFormatError);
      expect(e.message).toBe(
        `save: could not create the directory ${join(mnt, 'model')}: the file system is read-only (EROFS)`,
      );
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  it.runIf(process.platform === 'linux')('refuses /proc and /sys at once instead of spinning in mkdir', async () => {
    for (const [path, fsName] of [
      ['/proc/self/x', 'proc'],
      ['/proc/self/a/b/c', 'proc'],
      ['/sys/tsdl-model', 'sysfs'],
    ]) {
      const e = await thrown(() => OLD.save(path));
      expect(e, path).toBeInstanceOf(ArgumentError);
      expect(e.message, path).toMatch(
        new RegExp(
          `^save: ${path} is on the ${fsName} pseudo file system \\(.+\\), which cannot hold model files; choose a directory on a disk$`,
        ),
      );
    }
    // Without statfs to recognise /proc, the refused mkdir is still a clear error, not a loop.
    const { fs } = faultyFs();
    delete fs.statfs;
    const e = await thrown(() => writeModelDir(fs, '/proc/self/x', NEW_ARTIFACTS));
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toBe(
      'save: could not create the directory /proc/self/x: the file system refused it although /proc/self exists: no such file or directory (ENOENT)',
    );
  });

  it("save('x.keras') says that tsdl writes a directory; so does a ModelCheckpoint path, when it is made", async () => {
    const e = await thrown(() => OLD.save(join(tempDir(), 'model.keras')));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toBe(
      `save: '${join(tempDir(), 'model.keras')}' names a Keras .keras file, but tsdl saves a model as a directory (config.json and safetensors weights); give a directory path such as '${join(tempDir(), 'model')}', or write a Keras 3 file with saveKerasFile(model, path) from '@tsdl/keras/keras-file'`,
    );
    expect((await thrown(() => OLD.save('weights.h5'))).message).toMatch(
      /^save: 'weights\.h5' names a Keras \.h5 file/,
    );
    expect(() => new ModelCheckpoint('ckpt-{epoch:02d}.keras')).toThrow(
      "ModelCheckpoint: 'ckpt-{epoch:02d}.keras' names a Keras .keras file, but tsdl saves a model as a directory (config.json and safetensors weights); give a directory path such as 'ckpt-{epoch:02d}', or write a Keras 3 file with saveKerasFile(model, path) from '@tsdl/keras/keras-file'",
    );
    expect(await readdir(tempDir())).not.toContain('model.keras');
  });

  it('bad paths and unknown options are ArgumentErrors', async () => {
    expect((await thrown(() => OLD.save(''))).message).toBe('save: the path must be a non-empty string, got ""');
    const e = await thrown(() => OLD.save(join(tempDir(), 'opt'), { includeOptimiser: true } as never));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toBe(
      "save: unknown option 'includeOptimiser'; did you mean 'includeOptimizer'? (known: includeOptimizer)",
    );
    const file = join(tempDir(), 'a-file');
    await writeFile(file, 'x');
    const f = await thrown(() => OLD.save(join(file, 'model')));
    expect(f).toBeInstanceOf(ArgumentError);
    expect(f.message).toBe(`save: ${file} is a file, so ${join(file, 'model')} cannot be a model directory`);
  });
});

describe('the directory over time', () => {
  it('loads the layout before config.json named its files, and a save over it replaces it', async () => {
    const dir = join(tempDir(), 'legacy');
    await mkdir(dir);
    const a = await modelToArtifacts(OLD, { includeOptimizer: true });
    await writeFile(join(dir, 'config.json'), JSON.stringify(a.config, null, 2));
    await writeFile(join(dir, 'model.safetensors'), a.weights);
    await writeFile(join(dir, 'optimizer.safetensors'), a.optimizer!);
    expect(await holds(dir)).toBe('old');
    await NEW.save(dir, { includeOptimizer: true });
    expect(await holds(dir)).toBe('new');
    expect(await list(dir)).toEqual(await named(dir));
    expect(await list(dir)).not.toContain('model.safetensors');
  });

  it("ignores a killed save's leftovers when loading and removes them at the next save, keeping a live writer's and other files", async () => {
    const dir = await oldModelDir();
    const dead = [
      'model.p99999999-deadbeef.safetensors',
      'optimizer.p99999999-deadbeef.safetensors',
      'config.p99999999-deadbeef.tmp',
    ];
    for (const f of dead) await writeFile(join(dir, f), '{"trunc');
    // pid 1 is alive in every container: its file may be about to be committed.
    const live = 'model.p1-0000abcd.safetensors';
    await writeFile(join(dir, live), 'partial');
    await writeFile(join(dir, 'notes.txt'), 'mine');
    expect(await holds(dir)).toBe('old');
    await NEW.save(dir, { includeOptimizer: true });
    expect(await holds(dir)).toBe('new');
    expect(await list(dir)).toEqual([...(await named(dir)), live, 'notes.txt'].sort());
  });

  it('saves to one directory from one process run one after another, the last one winning', async () => {
    const dir = join(tempDir(), 'queued');
    await Promise.all([
      OLD.save(dir, { includeOptimizer: true }),
      NEW.save(dir, { includeOptimizer: true }),
      OLD.save(dir, { includeOptimizer: true }),
      NEW.save(dir, { includeOptimizer: true }),
    ]);
    expect(await holds(dir)).toBe('new');
    expect(await list(dir)).toEqual(await named(dir));
  });

  it('a reader that loses the race with a save (its files removed under it) reads the new model', async () => {
    const dir = await oldModelDir();
    let raced = false;
    const { fs, calls } = faultyFs({
      before: async (call) => {
        if (!raced && call.op === 'readFile' && /model\.p\d+/.test(call.path)) {
          raced = true;
          await NEW.save(dir, { includeOptimizer: true });
        }
      },
    });
    const { artifacts } = await readModelDir(fs, dir);
    expect(raced).toBe(true);
    expect(calls.filter((c) => c.op === 'readFile' && c.path.endsWith('config.json'))).toHaveLength(2);
    const m = modelFromArtifacts(artifacts as ModelArtifacts);
    expect(first(m)).toBe(first(NEW));
    m.optimizer?.dispose();
    m.dispose();
  });

  it('a save that fails this way is a TsdlError whose cause is the file-system error', async () => {
    const dir = await oldModelDir();
    const e = await thrown(() => writeModelDir(faultyFs({ freeBytes: 10 }).fs, dir, NEW_ARTIFACTS));
    expect(e).toBeInstanceOf(TsdlError);
    expect((e as { cause?: { code?: string } }).cause?.code).toBe('ENOSPC');
  });
});
