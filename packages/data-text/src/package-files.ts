import { fsPromises, moduleModule, pathModule } from '#node-only';
import { DataFormatError } from '@tsdl/tensor';

/**
 * Reading the files an @stdlib dataset package ships. The packages' own
 * loaders read thousands of files synchronously on every call; we read the
 * same files asynchronously and check each one, so a broken install is a
 * DataFormatError naming the file rather than a TypeError later.
 */

async function nodeModules() {
  const what = '@tsdl/data-text';
  const [fs, path, { createRequire }] = await Promise.all([fsPromises(what), pathModule(what), moduleModule(what)]);
  return { fs, path, createRequire };
}

/** The `data/` directory of an installed dataset package. */
export async function packageDataDir(pkg: string): Promise<string> {
  const { path, createRequire } = await nodeModules();
  const require = createRequire(import.meta.url);
  try {
    return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'data');
  } catch {
    throw new DataFormatError(
      `${pkg}: the package is not installed (it is a dependency of @tsdl/data-text; reinstall, or pass { dir } pointing at a copy of its data/ folder)`,
    );
  }
}

/** Reads and parses a JSON file; a missing or malformed file is a DataFormatError naming it. */
export async function readJson(dir: string, name: string): Promise<unknown> {
  const { fs, path } = await nodeModules();
  const file = path.join(dir, name);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataFormatError(`${file}: cannot be read (${code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DataFormatError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/** The value of a string field of a parsed record, or a DataFormatError naming the file and field. */
export function stringField(record: unknown, field: string, where: string): string {
  const value =
    record !== null && typeof record === 'object' && Object.hasOwn(record, field)
      ? (record as Record<string, unknown>)[field]
      : undefined;
  if (typeof value !== 'string') throw new DataFormatError(`${where}: field '${field}' is missing or not a string`);
  return value;
}

/** A list of file names (`file_list.json`), checked. */
export async function readFileList(dir: string): Promise<string[]> {
  const list = await readJson(dir, 'file_list.json');
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) {
    throw new DataFormatError(`${dir}/file_list.json: expected an array of file names`);
  }
  return list as string[];
}

/** Runs `fn` over `items` with at most `limit` calls in flight, keeping order. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
