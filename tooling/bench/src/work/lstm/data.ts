import { mulberry32 } from '@tsdl/data-mnist';
import type { LstmData, LstmShape } from './session';

/** Random token ids in [0, vocab) and fair-coin 0/1 targets, from a seed: the same batches for every framework. */
export function lstmData(s: LstmShape, seed = 7): LstmData {
  const rand = mulberry32(seed);
  const tokens: Int32Array[] = [];
  const labels: Float32Array[] = [];
  for (let b = 0; b < s.batches; b++) {
    const t = new Int32Array(s.batchSize * s.seqLen);
    for (let i = 0; i < t.length; i++) t[i] = Math.floor(rand() * s.vocab);
    const y = new Float32Array(s.batchSize);
    for (let i = 0; i < y.length; i++) y[i] = rand() < 0.5 ? 0 : 1;
    tokens.push(t);
    labels.push(y);
  }
  return { tokens, labels };
}
