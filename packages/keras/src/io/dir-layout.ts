import { DataFormatError } from '@tsdl/tensor';

/**
 * The on-disk layout of a saved model directory.
 *
 *   config.json                      the model and, under "files", the names and sizes of its data files
 *   model.<token>.safetensors        the weights of the save that wrote this config.json
 *   optimizer.<token>.safetensors    its optimizer state (only with includeOptimizer)
 *
 * Each save writes its data files under fresh names (<token> = p<pid>-<8 hex>),
 * syncs them, then replaces config.json by renaming a synced temporary
 * (config.<token>.tmp) over it: that one rename is the commit, so a reader
 * finds either the old config and the old files or the new config and the new
 * files, never a mix. Files no config.json names (a killed save's, the
 * previous save's) are removed by the next save.
 *
 * Directories written before this layout (config.json without "files",
 * model.safetensors and optimizer.safetensors beside it) still load.
 */
export const CONFIG = 'config.json';
export const LEGACY_WEIGHTS = 'model.safetensors';
export const LEGACY_OPTIMIZER = 'optimizer.safetensors';

export interface StoredFile {
  /** A file name inside the model directory. */
  path: string;
  /** Its size, so a truncated or swapped file is caught before it is parsed. */
  bytes: number;
}

/** config.json's "files" entry. */
export interface Manifest {
  weights: StoredFile;
  optimizer?: StoredFile;
}

/** The names one save writes. */
export interface SaveNames {
  token: string;
  weights: string;
  optimizer: string;
  config: string;
}

/** Fresh names for one save: the writer's pid (so a later save can tell a dead writer's leftovers from a live one's) and 32 random bits. */
export function saveNames(pid: number): SaveNames {
  const bits = globalThis.crypto.getRandomValues(new Uint32Array(1))[0];
  const token = `p${pid}-${bits.toString(16).padStart(8, '0')}`;
  return {
    token,
    weights: `model.${token}.safetensors`,
    optimizer: `optimizer.${token}.safetensors`,
    config: `config.${token}.tmp`,
  };
}

const WRITTEN = /^(?:model|optimizer|config)\.p(\d+)-[0-9a-f]{8}\.(?:safetensors|tmp)$/;

/** The pid of the save that wrote `name`, or null when this layout did not write it. */
export function writerPid(name: string): number | null {
  const m = WRITTEN.exec(name);
  return m ? Number(m[1]) : null;
}

/** A plain file name: no directory part, so a config cannot point outside its directory. */
function plainName(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v !== '.' && v !== '..' && !/[/\\\0]/.test(v);
}

function storedFile(v: unknown, field: string, source: string): StoredFile {
  const f = v as Partial<StoredFile> | null;
  if (
    f === null ||
    typeof f !== 'object' ||
    !plainName(f.path) ||
    !Number.isSafeInteger(f.bytes) ||
    (f.bytes as number) < 0
  ) {
    throw new DataFormatError(
      `${source}: files.${field} must be { path: a file name in the model directory, bytes: a size }, got ${JSON.stringify(v)}`,
    );
  }
  return { path: f.path, bytes: f.bytes as number };
}

/** The data files a config.json names, or null for the layout before "files" (model.safetensors beside it). */
export function manifestOf(config: Record<string, unknown>, source: string): Manifest | null {
  const files = config.files as Record<string, unknown> | undefined;
  if (files === undefined) return null;
  if (files === null || typeof files !== 'object' || Array.isArray(files)) {
    throw new DataFormatError(
      `${source}: "files" must be an object naming the weights (and optimizer) files, got ${JSON.stringify(files)}`,
    );
  }
  for (const k of Object.keys(files)) {
    if (k !== 'weights' && k !== 'optimizer')
      throw new DataFormatError(`${source}: files.${k} is not a known entry (weights, optimizer)`);
  }
  const m: Manifest = { weights: storedFile(files.weights, 'weights', source) };
  if (files.optimizer !== undefined) m.optimizer = storedFile(files.optimizer, 'optimizer', source);
  return m;
}
