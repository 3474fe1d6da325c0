import type { DataType, TensorInfo } from '@tensorflow/tfjs';
import type { Tf } from '../../frameworks/tfjs';

/**
 * TF.js 4.22's wasm backend has no UnsortedSegmentSum kernel, which tf.gather's
 * gradient (the Embedding layer's backward) calls, so it cannot train an embedding.
 * This registers one in plain JavaScript for the wasm backend only: out[ids[i]] +=
 * x[i] over rows, ids outside [0, numSegments) dropped, as TF defines it. At the
 * LSTM item's sizes that is 3,200 rows of 128 adds a step, well under a millisecond
 * beside a step of tens: the row measures TF.js wasm's own kernels for the rest.
 * It only adds a kernel that was missing, so nothing else a run measures changes.
 */
export function registerWasmSegmentSum(tf: Tf): boolean {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm') !== undefined) return false;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      // The wasm backend's class is not exported as a type: the two calls used, as its .d.ts declares them.
      const wasm = backend as unknown as {
        readSync(dataId: object): ArrayLike<number>;
        makeOutput(shape: number[], dtype: DataType): TensorInfo;
        typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array;
      };
      const { x, segmentIds } = inputs as Record<string, TensorInfo>;
      const numSegments = (attrs as { numSegments: number }).numSegments;
      const row = x.shape.slice(1).reduce((a, b) => a * b, 1);
      const out = wasm.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype);
      const o = wasm.typedArrayFromHeap(out);
      o.fill(0);
      const xs = wasm.readSync(x.dataId);
      const ids = wasm.readSync(segmentIds.dataId);
      for (let i = 0; i < ids.length; i++) {
        const s = ids[i];
        if (s < 0 || s >= numSegments) continue;
        const from = i * row;
        const to = s * row;
        for (let j = 0; j < row; j++) o[to + j] += xs[from + j];
      }
      return out;
    },
  });
  return true;
}
