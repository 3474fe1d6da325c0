import { FILES, MNIST_SHA256, type MnistArrays, gunzip, isGzip, parseIdx, sha256 } from '@tsdl/data-mnist';
import { DataFormatError, type Tensor, tensor } from '@tsdl/tensor';

/**
 * MNIST in the browser: the four IDX files are served gzipped next to the
 * page (build/mnist-assets.ts puts them there), fetched with a byte count for
 * the progress bar, gunzipped (DecompressionStream), checked against the
 * SHA-256 sums @tsdl/data-mnist knows, and parsed by its IDX reader.
 */

/**
 * The files' sizes before compression. A server may send a .gz file with
 * `Content-Encoding: gzip` (Vite's preview server does); the browser then
 * unpacks it on the fly, the bytes counted are the unpacked ones, and the
 * Content-Length (packed) no longer measures progress.
 */
const RAW_BYTES: Record<string, number> = {
  'train-images-idx3-ubyte': 47_040_016,
  'train-labels-idx1-ubyte': 60_008,
  't10k-images-idx3-ubyte': 7_840_016,
  't10k-labels-idx1-ubyte': 10_008,
};

export type Progress = (file: string, loaded: number, total: number) => void;

/**
 * Fetches one file, reporting bytes as they arrive; `total` is 0 when the
 * server sends no length. `unpackedSize` is the total to report when the
 * server has the browser unpack the file (Content-Encoding).
 */
export async function fetchWithProgress(
  url: string,
  onProgress: (loaded: number, total: number) => void,
  unpackedSize = 0,
): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new DataFormatError(`${url}: the download failed (${(e as Error).message})`);
  }
  if (!res.ok) throw new DataFormatError(`${url}: the server answered HTTP ${res.status}`);
  const total = res.headers.get('content-encoding') ? unpackedSize : Number(res.headers.get('content-length') ?? 0);
  if (!res.body) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    onProgress(bytes.length, total || bytes.length);
    return bytes;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress(loaded, total);
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  onProgress(loaded, total || loaded);
  return out;
}

function split(
  images: { dims: number[]; data: Uint8Array },
  labels: { dims: number[]; data: Uint8Array },
  what: string,
): MnistArrays {
  const [count, rows, cols] = images.dims;
  if (images.dims.length !== 3 || labels.dims.length !== 1 || labels.dims[0] !== count) {
    throw new DataFormatError(
      `${what}: images [${images.dims.join(', ')}] and labels [${labels.dims.join(', ')}] do not pair up`,
    );
  }
  return { images: images.data, labels: labels.data, count, rows, cols };
}

/** Downloads and parses the four gzipped IDX files under `baseUrl`. */
export async function loadMnistFromUrl(
  baseUrl: string,
  onProgress: Progress,
): Promise<{ train: MnistArrays; test: MnistArrays }> {
  const base = baseUrl.replace(/\/?$/, '/');
  const read = async (name: string) => {
    const file = `${name}.gz`;
    const got = await fetchWithProgress(
      base + file,
      (loaded, total) => onProgress(file, loaded, total),
      RAW_BYTES[name],
    );
    const raw = isGzip(got) ? await gunzip(got, file) : got;
    const sum = await sha256(raw);
    if (sum !== MNIST_SHA256[name])
      throw new DataFormatError(
        `${file}: SHA-256 ${sum} is not MNIST's ${MNIST_SHA256[name]}; the file is damaged or not MNIST`,
      );
    return parseIdx(raw, file);
  };
  // One after another: the progress bar then shows one file at a time, and the
  // total time is the same on a single connection.
  const trainImages = await read(FILES.trainImages);
  const trainLabels = await read(FILES.trainLabels);
  const testImages = await read(FILES.testImages);
  const testLabels = await read(FILES.testLabels);
  return { train: split(trainImages, trainLabels, 'train'), test: split(testImages, testLabels, 'test') };
}

/** The first `n` images as float32 [n, ...sample] (default [n, 28, 28, 1]) in [0, 1] and their labels as int32 [n]. */
export function toTensors(
  a: MnistArrays,
  n: number,
  sample: readonly number[] = [a.rows, a.cols, 1],
): { x: Tensor; y: Tensor } {
  const count = Math.min(n, a.count);
  const size = a.rows * a.cols;
  const x = new Float32Array(count * size);
  for (let i = 0; i < x.length; i++) x[i] = a.images[i] / 255;
  return {
    x: tensor(x, [count, ...sample], 'float32'),
    y: tensor(Int32Array.from(a.labels.subarray(0, count)), [count], 'int32'),
  };
}
