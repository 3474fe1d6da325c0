import type { DataType, KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import type { Tf } from '../../frameworks/tfjs';

/** The backends whose UnsortedSegmentSum is swapped: wasm has none, cpu's cannot run at a 10,000-word vocabulary. */
export type SegmentSumBackend = 'cpu' | 'wasm';

/**
 * Why the LSTM rows of TF.js cpu and wasm carry a kernel of the bench's. tf.gather's
 * gradient (the Embedding's backward) is UnsortedSegmentSum. TF.js 4.22's wasm backend
 * has no such kernel, so it cannot train an embedding; its cpu backend loops over every
 * segment id (10,000), keeping a masked copy of the whole gradient ([3,200, 128]) for each
 * until the end: about 16 GB and minutes a step (seen here: over 6 GB and growing after
 * 10 minutes, before it was stopped).
 */
export const SEGMENT_SUM_NOTE =
  "TF.js's UnsortedSegmentSum (the embedding's gradient) is replaced by a linear-time JS kernel of the bench's: wasm has none; cpu's keeps a [batch·sequence, 128] copy per vocabulary id (about 16 GB at 10,000 ids)";

/** out[ids[i]] += x[i] over rows, ids outside [0, numSegments) dropped, as TF defines it: O(rows · row length). */
function segmentSum(x: ArrayLike<number>, ids: ArrayLike<number>, row: number, numSegments: number): Float32Array {
  const o = new Float32Array(numSegments * row);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const from = i * row;
    const to = s * row;
    for (let j = 0; j < row; j++) o[to + j] += x[from + j];
  }
  return o;
}

/** The backend methods the kernel uses (neither backend's class is exported as a type), as their .d.ts files declare them. */
interface KernelBackend {
  readSync(dataId: object): ArrayLike<number>;
  /** cpu */
  makeTensorInfo?(shape: number[], dtype: DataType, values: Float32Array): TensorInfo;
  /** wasm: with no memory offset, writes `values` into a new heap buffer. */
  makeOutput?(shape: number[], dtype: DataType, memoryOffset: undefined, values: Float32Array): TensorInfo;
}

/**
 * Registers the linear-time UnsortedSegmentSum for `backend` (float32 inputs, which is
 * all a gather's gradient gives it), replacing the backend's own; returns a function
 * that puts back what was there before (the cpu kernel, or nothing on wasm), so no
 * other item runs with it.
 */
export function swapSegmentSum(tf: Tf, backend: SegmentSumBackend): () => void {
  const before: KernelConfig | undefined = tf.getKernel('UnsortedSegmentSum', backend);
  if (before) tf.unregisterKernel('UnsortedSegmentSum', backend);
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: backend,
    kernelFunc: ({ inputs, backend: b, attrs }) => {
      const k = b as unknown as KernelBackend;
      const { x, segmentIds } = inputs as Record<string, TensorInfo>;
      const numSegments = (attrs as { numSegments: number }).numSegments;
      const row = x.shape.slice(1).reduce((p, q) => p * q, 1);
      const values = segmentSum(k.readSync(x.dataId), k.readSync(segmentIds.dataId), row, numSegments);
      const shape = [numSegments, ...x.shape.slice(1)];
      if (k.makeTensorInfo) return k.makeTensorInfo(shape, 'float32', values);
      if (k.makeOutput) return k.makeOutput(shape, 'float32', undefined, values);
      throw new Error(`UnsortedSegmentSum (bench): the ${backend} backend has neither makeTensorInfo nor makeOutput`);
    },
  });
  return () => {
    tf.unregisterKernel('UnsortedSegmentSum', backend);
    if (before) tf.registerKernel(before);
  };
}

/**
 * The wasm kernel alone, left registered for the rest of the process (wasm has none to
 * put back, so nothing else changes): for items that only need wasm to train an
 * embedding. Returns false when one is already registered.
 */
export function registerWasmSegmentSum(tf: Tf): boolean {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm') !== undefined) return false;
  swapSegmentSum(tf, 'wasm');
  return true;
}
