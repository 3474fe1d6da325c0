import { type CharVocabulary, loadMobyDick, splitByPosition } from '@tsdl/data-text';
import { ArgumentError } from '@tsdl/tensor';

/** The corpus as ids: the first 90% of the characters train, the rest validate (nanoGPT's split). */
export interface Corpus {
  vocab: CharVocabulary;
  train: Int32Array;
  val: Int32Array;
}

/** Moby-Dick's chapters in order (loadMobyDick), encoded and split by position. */
export async function loadCorpus(): Promise<Corpus> {
  const { text, vocab } = await loadMobyDick();
  return { vocab, ...splitByPosition(vocab.encode(text), 0.9) };
}

/**
 * A small seeded generator whose whole state is one uint32, so a checkpoint
 * can store it and a resumed run draws the same batches as an uninterrupted
 * one (mulberry32).
 */
export class Rng {
  constructor(public state: number) {
    if (!Number.isInteger(state) || state < 0 || state > 0xffffffff)
      throw new ArgumentError(`Rng: state must be a uint32, got ${state}`);
  }

  /** The next uint32. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, n), n ≤ 2³²; the modulo bias is below n/2³², negligible for a text's length. */
  below(n: number): number {
    return this.next() % n;
  }
}

/** One batch of next-character prediction: x and y are [batch, steps] row-major, y is x shifted by one. */
export interface Batch {
  x: Int32Array;
  y: Int32Array;
  batch: number;
  steps: number;
}

/**
 * nanoGPT's get_batch: `batch` start offsets uniform in [0, len − steps),
 * x the `steps` characters from each, y the characters one further on.
 */
export function sampleBatch(ids: Int32Array, batch: number, steps: number, rng: Rng): Batch {
  if (ids.length <= steps)
    throw new ArgumentError(
      `sampleBatch: the text has ${ids.length} characters, too few for ${steps}-step windows and their targets`,
    );
  const x = new Int32Array(batch * steps);
  const y = new Int32Array(batch * steps);
  for (let b = 0; b < batch; b++) {
    const start = rng.below(ids.length - steps);
    x.set(ids.subarray(start, start + steps), b * steps);
    y.set(ids.subarray(start + 1, start + 1 + steps), b * steps);
  }
  return { x, y, batch, steps };
}
