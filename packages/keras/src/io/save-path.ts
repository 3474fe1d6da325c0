import { pathModule } from '#node-only';
import { ArgumentError } from '@tsdl/tensor';
import { ioError } from './io-errors';
import { type ModelFs, errnoCode } from './model-fs';

/**
 * Checks a model path before anything is written. A `.keras` or `.h5` name is
 * what a Keras user writes for Keras' single-file formats; tsdl writes a
 * directory, so such a name is refused with that explanation rather than
 * silently becoming a directory called `model.keras`.
 */
export function checkModelPath(path: unknown, op: string): string {
  if (typeof path !== 'string' || path.length === 0)
    throw new ArgumentError(`${op}: the path must be a non-empty string, got ${JSON.stringify(path)}`);
  if (path.includes('\0')) throw new ArgumentError(`${op}: the path ${JSON.stringify(path)} contains a NUL character`);
  const archive = /\.(keras|h5|hdf5)$/i.exec(path);
  if (archive) {
    throw new ArgumentError(
      `${op}: '${path}' names a Keras .${archive[1]} file, but tsdl saves a model as a directory (config.json and safetensors weights); ` +
        `give a directory path such as '${path.slice(0, -archive[0].length) || 'model'}'` +
        (archive[1].toLowerCase() === 'keras'
          ? ", or write a Keras 3 file with saveKerasFile(model, path) from '@tsdl/keras/keras-file'"
          : ''),
    );
  }
  return path;
}

/**
 * Linux pseudo file systems (statfs magic numbers) that cannot hold a model:
 * under /proc, mkdir answers ENOENT for a directory whose parent exists, and
 * Node's recursive mkdir retries that forever at 100% CPU.
 */
const PSEUDO: Record<number, string> = {
  0x9fa0: 'proc',
  0x62656572: 'sysfs',
  0x1cd1: 'devpts',
  0x27e0eb: 'cgroup',
  0x63677270: 'cgroup2',
  0x64626720: 'debugfs',
  0x74726163: 'tracefs',
  0x73636673: 'securityfs',
  0xcafe4a11: 'bpf',
  0x6165676c: 'pstore',
  0x62656570: 'configfs',
  0xde5e81e4: 'efivarfs',
  0x6e736673: 'nsfs',
};

async function refusePseudo(fs: ModelFs, existing: string, target: string, op: string): Promise<void> {
  if (typeof process === 'undefined' || process.platform !== 'linux' || !fs.statfs) return;
  let type: number;
  try {
    type = Number((await fs.statfs(existing)).type);
  } catch {
    return; // No answer is not a reason to refuse; the writes will report what goes wrong.
  }
  if (type in PSEUDO) {
    throw new ArgumentError(
      `${op}: ${target} is on the ${PSEUDO[type]} pseudo file system (${existing}), which cannot hold model files; choose a directory on a disk`,
    );
  }
}

/**
 * Creates `dir` and its missing parents one level at a time (not Node's
 * recursive mkdir, see PSEUDO), after checking that the nearest existing
 * ancestor is a directory on a real file system.
 */
export async function prepareDir(fs: ModelFs, dir: string, op: string): Promise<void> {
  const { dirname, resolve } = await pathModule(op);
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    try {
      const st = await fs.stat(at);
      if (!st.isDirectory()) throw new ArgumentError(`${op}: ${at} is a file, so ${dir} cannot be a model directory`);
      break;
    } catch (e) {
      if (e instanceof ArgumentError) throw e;
      // ENOTDIR: a file further up; the walk reaches it and names it.
      if (errnoCode(e) !== 'ENOENT' && errnoCode(e) !== 'ENOTDIR') throw ioError(`${op}: could not look at ${at}`, e);
      const parent = dirname(at);
      if (parent === at) throw ioError(`${op}: could not find any existing parent of ${dir}`, e);
      missing.unshift(at);
      at = parent;
    }
  }
  await refusePseudo(fs, at, dir, op);
  for (const m of missing) {
    try {
      await fs.mkdir(m);
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'EEXIST') continue; // made by a concurrent save
      if (code === 'ENOENT') {
        throw ioError(
          `${op}: could not create the directory ${m}: the file system refused it although ${dirname(m)} exists`,
          e,
        );
      }
      throw ioError(`${op}: could not create the directory ${m}`, e);
    }
  }
}
