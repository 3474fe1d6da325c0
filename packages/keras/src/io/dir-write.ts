import { pathModule } from '#node-only';
import { TsdlError } from '@tsdl/tensor';
import {
  CONFIG,
  LEGACY_OPTIMIZER,
  LEGACY_WEIGHTS,
  type Manifest,
  manifestOf,
  saveNames,
  writerPid,
} from './dir-layout';
import { ioError } from './io-errors';
import { type ModelFs, errnoCode } from './model-fs';
import type { ModelArtifacts } from './save';
import { prepareDir } from './save-path';

/** Bytes per write call: large enough to be fast, small enough to never hit a platform's limit for one write. */
const CHUNK = 1 << 24;

/** Writes `bytes` to a new file and syncs it; `made` gets its path as soon as it exists. */
export async function writeSynced(fs: ModelFs, path: string, bytes: Uint8Array, made: string[]): Promise<void> {
  const file = await fs.open(path, 'wx');
  made.push(path);
  let ok = false;
  try {
    for (let at = 0; at < bytes.length; ) {
      const { bytesWritten } = await file.write(bytes, at, Math.min(CHUNK, bytes.length - at));
      at += bytesWritten;
    }
    await file.sync();
    ok = true;
  } finally {
    // A network file system may report a full disk only at close, so that error counts unless another came first.
    try {
      await file.close();
    } catch (e) {
      if (ok) throw e;
    }
  }
}

/** Codes that say a directory cannot be opened or synced on this platform (Windows), not that something failed. */
const NO_DIR_SYNC = new Set(['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'EBADF', 'ENOTSUP']);

/** Syncs a directory, so the names created in it survive a power cut before a later rename that refers to them. */
export async function syncDir(fs: ModelFs, dir: string): Promise<void> {
  let handle;
  try {
    handle = await fs.open(dir, 'r');
  } catch (e) {
    if (NO_DIR_SYNC.has(errnoCode(e) ?? '')) return;
    throw e;
  }
  try {
    await handle.sync();
  } catch (e) {
    if (!NO_DIR_SYNC.has(errnoCode(e) ?? '')) throw e;
  } finally {
    await handle.close().catch(() => {});
  }
}

/** rename, retried briefly on Windows, where a reader holding config.json open blocks replacing it. */
export async function renameOver(fs: ModelFs, from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fs.rename(from, to);
    } catch (e) {
      const busy = ['EPERM', 'EACCES', 'EBUSY'].includes(errnoCode(e) ?? '');
      if (process.platform !== 'win32' || !busy || attempt >= 20) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM'; // it exists but belongs to another user
  }
}

/**
 * Removes the files no config.json names: the previous save's, and those a
 * killed save left. A file is kept while its writer (the pid in its name) is
 * another live process, which may be about to commit it; this process's own
 * saves to one directory run one at a time (see `queues`), so its unnamed
 * files are finished with. Nothing is removed when config.json cannot be read.
 */
async function removeUnnamed(fs: ModelFs, dir: string, join: (...p: string[]) => string): Promise<void> {
  // List first, then read the config: a file committed in between belongs to a live writer and is kept.
  const names = await fs.readdir(dir);
  const config = JSON.parse(new TextDecoder().decode(await fs.readFile(join(dir, CONFIG))));
  const manifest = manifestOf(config, CONFIG);
  const named = new Set(
    manifest ? [manifest.weights.path, manifest.optimizer?.path] : [LEGACY_WEIGHTS, LEGACY_OPTIMIZER],
  );
  for (const name of names) {
    if (named.has(name)) continue;
    const pid = writerPid(name);
    const legacy = name === LEGACY_WEIGHTS || name === LEGACY_OPTIMIZER;
    if (pid === null ? !legacy : pid !== process.pid && alive(pid)) continue;
    await fs.unlink(join(dir, name)).catch(() => {});
  }
}

/** Whether config.json names `weights`, i.e. this save is committed after all. */
async function namesOurs(fs: ModelFs, configPath: string, weights: string): Promise<boolean> {
  try {
    const config = JSON.parse(new TextDecoder().decode(await fs.readFile(configPath)));
    return manifestOf(config, CONFIG)?.weights.path === weights;
  } catch {
    return false;
  }
}

export async function removeQuietly(fs: ModelFs, paths: string[]): Promise<void> {
  for (const p of paths) await fs.unlink(p).catch(() => {});
}

/**
 * Saves artifacts as a model directory so that the directory always holds one
 * complete model (see dir-layout.ts): new data files under fresh names,
 * synced; config.json written to a temporary, synced, and renamed over the old
 * one. A failure before that rename removes what this save wrote and leaves
 * the previous model as it was.
 */
async function writeNow(fs: ModelFs, dir: string, a: ModelArtifacts, op: string): Promise<void> {
  const { join } = await pathModule(op);
  await prepareDir(fs, dir, op);
  const names = saveNames(process.pid);
  const made: string[] = [];
  try {
    const files: Manifest = { weights: { path: names.weights, bytes: a.weights.length } };
    await writeSynced(fs, join(dir, names.weights), a.weights, made);
    if (a.optimizer) {
      files.optimizer = { path: names.optimizer, bytes: a.optimizer.length };
      await writeSynced(fs, join(dir, names.optimizer), a.optimizer, made);
    }
    const config = new TextEncoder().encode(JSON.stringify({ ...a.config, files }, null, 2) + '\n');
    await writeSynced(fs, join(dir, names.config), config, made);
    await syncDir(fs, dir);
    await renameOver(fs, join(dir, names.config), join(dir, CONFIG));
  } catch (e) {
    // A rename that reports failure after happening (seen on network file systems) has committed this save.
    if (!(await namesOurs(fs, join(dir, CONFIG), names.weights))) {
      await removeQuietly(fs, made);
      if (e instanceof TsdlError) throw e;
      throw ioError(`${op}: could not write the model to ${dir} (a model saved there before is unchanged)`, e);
    }
  }
  // Committed: what follows makes the save durable and tidy, and its failure changes nothing a reader sees.
  await syncDir(fs, dir).catch(() => {});
  await removeUnnamed(fs, dir, join).catch(() => {});
}

/**
 * Saves to one directory as the caller named it, in the order they were
 * called: the slot is taken synchronously, before a save's first await, so
 * `save(a); save(b)` leaves b even when a's weights take longer to read.
 */
const callOrder = new Map<string, Promise<void>>();

export function inCallOrder(dir: string, work: () => Promise<void>): Promise<void> {
  const run = (callOrder.get(dir) ?? Promise.resolve()).then(work);
  const settled = run.catch(() => {});
  callOrder.set(dir, settled);
  return run.finally(() => {
    if (callOrder.get(dir) === settled) callOrder.delete(dir);
  });
}

/** The last save queued for each directory in this process: saves to one directory run one after another. */
const queues = new Map<string, Promise<void>>();

export async function writeModelDir(fs: ModelFs, dir: string, a: ModelArtifacts, op = 'save'): Promise<void> {
  const { resolve } = await pathModule(op);
  const key = resolve(dir);
  const run = (queues.get(key) ?? Promise.resolve()).then(() => writeNow(fs, dir, a, op));
  const settled = run.catch(() => {});
  queues.set(key, settled);
  try {
    await run;
  } finally {
    if (queues.get(key) === settled) queues.delete(key);
  }
}
