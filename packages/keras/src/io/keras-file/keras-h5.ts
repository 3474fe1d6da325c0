import { DataFormatError } from '@tsdl/tensor';
import { fmtShape } from '@tsdl/tensor/internal';

/**
 * model.weights.h5 through h5wasm (HDF5's C library compiled to WebAssembly),
 * entirely in memory: the bytes go into h5wasm's in-memory file system under a
 * fresh name, are read or written synchronously, and the name is removed. Only
 * what Keras' H5IOStore writes is read: groups, `vars` groups of float
 * datasets named "0", "1", …; links (soft or external, which Keras' loader also
 * refuses), virtual datasets and non-float data are errors naming the path.
 * h5wasm is imported on first use, so nothing loads it until a .keras file is
 * read or written.
 */

type H5 = typeof import('h5wasm');
type H5Group = InstanceType<H5['Group']>;

let loaded: Promise<H5> | null = null;

/** h5wasm, ready, with HDF5 errors thrown as exceptions (not printed to stderr, the library's default). */
function h5wasm(): Promise<H5> {
  loaded ??= import('h5wasm').then(async (m) => {
    const mod = ((m as { default?: unknown }).default ?? m) as H5;
    const lib = await mod.ready;
    lib.activate_throwing_error_handler();
    return mod;
  });
  return loaded;
}

let nextName = 0;

/** A fresh path in h5wasm's in-memory file system (one per open file, so calls never share one). */
const memPath = (): string => `/tsdl-keras-${nextName++}.h5`;

/** One dataset of a vars group. */
export interface H5Var {
  path: string;
  shape: number[];
  dtype: 'float32' | 'float64';
}

export interface H5Weights {
  /** `vars` groups by the path of the group holding them ('layers/dense'), each dataset by its index. */
  groups: Map<string, H5Var[]>;
  /** The group the model's layers sit under: 'layers' (Keras 3) or '_layer_checkpoint_dependencies' (files of Keras 2.13). */
  root: string;
  /** All float values the groups hold (a bound on what a config may make). */
  totalValues: number;
  /** A dataset's values as float32. */
  read(v: H5Var): Float32Array;
}

/** Beyond these a file is refused before its structure is walked further. */
const MAX_DEPTH = 32;
const MAX_OBJECTS = 100_000;
/** Compressed datasets may expand this much (as Keras' own guard); uncompressed ones must fit in the file. */
const MAX_EXPANSION = 1000;
/** HDF5's H5T_FLOAT class. */
const H5T_FLOAT = 1;

function walk(
  file: InstanceType<H5['File']>,
  h5: H5,
  root: string,
  source: string,
  fileBytes: number,
): { groups: Map<string, H5Var[]>; totalValues: number } {
  const fail = (path: string, what: string): never => {
    throw new DataFormatError(`${source}: '${path.slice(1)}' ${what}`);
  };
  const groups = new Map<string, H5Var[]>();
  let objects = 0;
  let totalValues = 0;
  let budget = fileBytes;
  const visit = (path: string, depth: number): void => {
    if (depth > MAX_DEPTH) fail(path, `is nested more than ${MAX_DEPTH} groups deep`);
    const group = file.get(path) as H5Group;
    for (const key of group.keys()) {
      if (++objects > MAX_OBJECTS) fail(path, `holds more than ${MAX_OBJECTS} objects in all`);
      const child = `${path}/${key}`;
      if (file.get_link(child) !== null)
        fail(child, 'is a soft link; a Keras weights file holds none (links are refused)');
      const entity = file.get(child);
      if (entity instanceof h5.Group) {
        if (key === 'vars') groups.set(path, readVars(child));
        else visit(child, depth + 1);
      } else if (entity !== null && !(entity instanceof h5.Dataset) && !(entity instanceof h5.Datatype)) {
        fail(child, 'is an external or broken link; a Keras weights file holds none (links are refused)');
      }
    }
  };
  const readVars = (path: string): H5Var[] => {
    const keys = (file.get(path) as H5Group).keys();
    const vars: H5Var[] = [];
    for (let i = 0; i < keys.length; i++) {
      if (!keys.includes(String(i)))
        fail(
          path,
          `holds datasets ${JSON.stringify(keys.slice(0, 8))}; Keras names a layer's variables 0, 1, … ${keys.length - 1}`,
        );
      const p = `${path}/${i}`;
      if (file.get_link(p) !== null) fail(p, 'is a soft link; a Keras weights file holds none (links are refused)');
      const d = file.get(p);
      if (!(d instanceof h5.Dataset)) return fail(p, 'is not a dataset');
      const m = d.metadata;
      if (m.virtual_sources) fail(p, 'is a virtual dataset (refused)');
      if (m.type !== H5T_FLOAT || (m.size !== 4 && m.size !== 8)) {
        fail(
          p,
          `has dtype '${String(d.dtype)}'; tsdl reads float32 and float64 variables (float16 and bfloat16 ones are not supported)`,
        );
      }
      const shape = m.shape ?? [];
      if (!shape.every((s) => Number.isSafeInteger(s) && s >= 0))
        fail(p, `has an invalid shape ${JSON.stringify(shape)}`);
      const size = shape.reduce((a, b) => a * b, 1);
      // A dataset may declare a size it never stores (fill values, or a compressed run of zeros): refuse what the file cannot hold.
      budget -= (size * m.size) / (d.filters.length > 0 ? MAX_EXPANSION : 1);
      if (budget < 0)
        fail(p, `declares ${fmtShape(shape)} (${size * m.size} bytes), more than the ${fileBytes}-byte file can store`);
      totalValues += size;
      vars.push({ path: p, shape, dtype: m.size === 4 ? 'float32' : 'float64' });
    }
    return vars;
  };
  visit(`/${root}`, 0);
  // Paths relative to the file's root, as Keras names them.
  const rel = new Map<string, H5Var[]>();
  for (const [k, vs] of groups)
    rel.set(
      k.slice(1),
      vs.map((v) => ({ ...v, path: v.path.slice(1) })),
    );
  return { groups: rel, totalValues };
}

/**
 * Opens an .h5 file's bytes and runs `use` on its weights, synchronously, then
 * closes and removes it whatever happens. `source` names the file in errors.
 */
export async function withH5Weights<T>(bytes: Uint8Array, source: string, use: (w: H5Weights) => T): Promise<T> {
  const h5 = await h5wasm();
  const fs = (await h5.ready).FS;
  const name = memPath();
  fs.writeFile(name, bytes);
  let file: InstanceType<H5['File']> | null = null;
  try {
    try {
      file = new h5.File(name, 'r');
    } catch (e) {
      throw new DataFormatError(`${source}: not a readable HDF5 file (${firstLine(e)})`);
    }
    const f = file;
    const root = ['layers', '_layer_checkpoint_dependencies'].find((k) => f.keys().includes(k));
    if (!root)
      throw new DataFormatError(
        `${source}: has no 'layers' group; this is not a Keras 3 model.weights.h5 (top-level entries: ${JSON.stringify(f.keys().slice(0, 8))})`,
      );
    const { groups, totalValues } = guard(source, () => walk(f, h5, root, source, bytes.length));
    const read = (v: H5Var): Float32Array =>
      guard(source, () => {
        const data = (f.get(`/${v.path}`) as InstanceType<H5['Dataset']>).value;
        if (typeof data === 'number') return Float32Array.of(data); // a scalar variable
        if (!(data instanceof Float32Array || data instanceof Float64Array))
          throw new DataFormatError(`${source}: '${v.path}' did not read as float values`);
        return data instanceof Float32Array ? data : Float32Array.from(data);
      });
    return use({ groups, root, totalValues, read });
  } finally {
    try {
      file?.close();
    } finally {
      fs.unlink(name);
    }
  }
}

/** HDF5's error stack starts with a line naming what failed; the rest is the C library's call stack. */
function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const lines = text.split('\n').map((l) => l.trim());
  const minor = lines.filter((l) => l.startsWith('minor:')).pop();
  return (minor ? minor.replace(/^minor:\s*/, '') : lines[0]).slice(0, 200);
}

/** Runs `f`, turning an exception HDF5 throws (a damaged file) into a DataFormatError naming the file. */
function guard<T>(source: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DataFormatError) throw e;
    throw new DataFormatError(`${source}: the HDF5 data is damaged (${firstLine(e)})`);
  }
}

/** One vars group to write: its path ('layers/dense') and float32 datasets in order. */
export interface H5VarsOut {
  path: string;
  /** The object's name, kept as the group's "name" attribute as Keras 3 does. */
  name: string;
  vars: { shape: number[]; data: Float32Array }[];
}

/** The bytes of an .h5 file holding `groups` as Keras' H5IOStore writes them (a root `vars` group named `modelName`). */
export async function writeH5Weights(modelName: string, groups: readonly H5VarsOut[]): Promise<Uint8Array> {
  const h5 = await h5wasm();
  const fs = (await h5.ready).FS;
  const name = memPath();
  const file = new h5.File(name, 'w');
  try {
    const ensure = (path: string): H5Group => {
      let at = '';
      for (const part of path.split('/')) {
        const next = at ? `${at}/${part}` : part;
        if (!(file.get(next) instanceof h5.Group)) (at ? (file.get(at) as H5Group) : file).create_group(part);
        at = next;
      }
      return file.get(path) as H5Group;
    };
    const writeVars = (path: string, objectName: string, vars: H5VarsOut['vars']): void => {
      const g = ensure(path ? `${path}/vars` : 'vars');
      g.create_attribute('name', objectName);
      vars.forEach((v, i) => g.create_dataset({ name: String(i), data: v.data, shape: v.shape, dtype: '<f' }));
    };
    writeVars('', modelName, []);
    for (const g of groups) writeVars(g.path, g.name, g.vars);
    file.flush();
    file.close();
    return fs.readFile(name);
  } catch (e) {
    try {
      file.close();
    } catch {
      // Already closed, or the failure was in closing: the first error is the one to report.
    }
    throw e;
  } finally {
    fs.unlink(name);
  }
}
