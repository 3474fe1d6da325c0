import { readMnistArrays } from '@tsdl/data-mnist';

/** Training images and labels as plain arrays: every framework is fed these same arrays. */
export interface TrainData {
  /** [samples, 28, 28] row-major, pixels scaled to [0, 1]. */
  images: Float32Array;
  labels: Int32Array;
  samples: number;
  rows: number;
  cols: number;
}

let cached: Promise<TrainData> | null = null;

async function load(): Promise<TrainData> {
  const { train } = await readMnistArrays();
  const images = new Float32Array(train.images.length);
  for (let i = 0; i < images.length; i++) images[i] = train.images[i] / 255;
  return { images, labels: Int32Array.from(train.labels), samples: train.count, rows: train.rows, cols: train.cols };
}

/** The real MNIST training set (60,000 digits), read once per process. */
export function mnistTrain(): Promise<TrainData> {
  cached ??= load();
  return cached;
}

/** The first `samples` samples (views, no copy). */
export function firstSamples(d: TrainData, samples: number): TrainData {
  const n = Math.min(samples, d.samples);
  return { ...d, samples: n, images: d.images.subarray(0, n * d.rows * d.cols), labels: d.labels.subarray(0, n) };
}
