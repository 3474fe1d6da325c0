import { mulberry32 } from '@tsdl/data-mnist';
import type { GptData, GptShape } from './session';

/**
 * Random token ids in [0, vocab) from a seed, each batch's targets its inputs
 * shifted by one (a window of a random "text"): the same batches for every framework.
 */
export function gptData(s: GptShape, seed = 11): GptData {
  const rand = mulberry32(seed);
  const x: Int32Array[] = [];
  const y: Int32Array[] = [];
  for (let b = 0; b < s.batches; b++) {
    const n = s.batchSize * s.blockSize;
    const xs = new Int32Array(n);
    const ys = new Int32Array(n);
    for (let r = 0; r < s.batchSize; r++) {
      let prev = Math.floor(rand() * s.vocab);
      for (let t = 0; t < s.blockSize; t++) {
        const next = Math.floor(rand() * s.vocab);
        xs[r * s.blockSize + t] = prev;
        ys[r * s.blockSize + t] = next;
        prev = next;
      }
    }
    x.push(xs);
    y.push(ys);
  }
  return { x, y };
}
