import { pathModule } from '#node-only';
import { DataFormatError } from '@tsdl/tensor';
import { CONFIG, LEGACY_OPTIMIZER, LEGACY_WEIGHTS, type StoredFile, manifestOf } from './dir-layout';
import { ioError } from './io-errors';
import { type ModelFs, errnoCode } from './model-fs';
import { FORMAT, type ModelArtifacts } from './save';

/** Where each part of a loaded model came from, for error messages. */
export interface ModelSources {
  dir: string;
  config: string;
  weights: string;
  optimizer: string;
}

/** A concurrent save removes the files it replaced; a reader that loses that race reads the new config.json (a few times at most). */
const ATTEMPTS = 4;

class Missing extends Error {}

async function read(fs: ModelFs, path: string, dir: string): Promise<Uint8Array | undefined> {
  try {
    // A view, not `new Uint8Array(buffer)`: that copy took 2 s for a 98 MB file here.
    const b = await fs.readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR')
      throw new DataFormatError(
        `loadModel: ${dir} is a file, not a model directory (tsdl reads the directories model.save() writes; read a Keras 3 .keras file with loadKerasFile from '@tsdl/keras/keras-file')`,
      );
    throw ioError(`loadModel: could not read ${path}`, e);
  }
}

async function readStored(
  fs: ModelFs,
  dir: string,
  f: StoredFile,
  join: (...p: string[]) => string,
): Promise<Uint8Array> {
  const path = join(dir, f.path);
  const bytes = await read(fs, path, dir);
  if (!bytes) throw new Missing(path);
  if (bytes.length !== f.bytes) {
    throw new DataFormatError(
      `${path}: the file is ${bytes.length} bytes but ${join(dir, CONFIG)} says ${f.bytes} (truncated or replaced)`,
    );
  }
  return bytes;
}

function parseConfig(bytes: Uint8Array, path: string): Record<string, unknown> {
  let config: unknown;
  try {
    config = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new DataFormatError(`loadModel: ${path} is not valid JSON (${(e as Error).message})`);
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new DataFormatError(`${path}: expected a JSON object, got ${JSON.stringify(config)?.slice(0, 40)}`);
  }
  return config as Record<string, unknown>;
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** Reads a model directory in either layout (dir-layout.ts): the config and the data files it names. */
export async function readModelDir(
  fs: ModelFs,
  dir: string,
): Promise<{ artifacts: ModelArtifacts; sources: ModelSources }> {
  const { join } = await pathModule('loadModel');
  const configPath = join(dir, CONFIG);
  let configBytes = await read(fs, configPath, dir);
  for (let attempt = 1; ; attempt++) {
    if (!configBytes) throw new DataFormatError(`loadModel: ${dir} has no ${CONFIG}`);
    const config = parseConfig(configBytes, configPath);
    // Before looking for data files, so a foreign JSON file is named as such rather than as a model missing its weights.
    if (config.format !== FORMAT)
      throw new DataFormatError(`${dir}: ${CONFIG} is not a ${FORMAT} model (format ${JSON.stringify(config.format)})`);
    const manifest = manifestOf(config, configPath);
    if (!manifest) {
      const weights = await read(fs, join(dir, LEGACY_WEIGHTS), dir);
      if (!weights) throw new DataFormatError(`loadModel: ${dir} has no ${LEGACY_WEIGHTS}`);
      const optimizer = await read(fs, join(dir, LEGACY_OPTIMIZER), dir);
      const sources = {
        dir,
        config: configPath,
        weights: join(dir, LEGACY_WEIGHTS),
        optimizer: join(dir, LEGACY_OPTIMIZER),
      };
      return { artifacts: { config, weights, optimizer }, sources };
    }
    try {
      const weights = await readStored(fs, dir, manifest.weights, join);
      const optimizer = manifest.optimizer && (await readStored(fs, dir, manifest.optimizer, join));
      const sources = {
        dir,
        config: configPath,
        weights: join(dir, manifest.weights.path),
        optimizer: join(dir, manifest.optimizer?.path ?? LEGACY_OPTIMIZER),
      };
      const { files: _files, ...model } = config;
      return { artifacts: { config: model, weights, optimizer }, sources };
    } catch (e) {
      if (!(e instanceof Missing)) throw e;
      const again = await read(fs, configPath, dir);
      if (attempt >= ATTEMPTS || !again || sameBytes(again, configBytes)) {
        throw new DataFormatError(`loadModel: ${configPath} names ${e.message}, which is missing`);
      }
      configBytes = again;
    }
  }
}
