import { CharVocabulary, loadFirstNames } from '@tsdl/data-text';
import { ArgumentError } from '@tsdl/tensor';

/**
 * The names, their vocabulary and the train/validation split. Every rule
 * here is simple enough to restate exactly in the PyTorch reference
 * (tooling/bench/scripts/name_generator_torch.py), so both frameworks train
 * on the same batches in the same order.
 */

/** The start and end of every name: id 0 of the vocabulary. */
export const BOUNDARY = '.';

/** The target of a padded step: crossEntropy's default ignoreIndex, so padding adds no loss. */
export const IGNORE = -100;

export interface NameData {
  /** '.' (id 0) then the names' characters in code-point order: 28 for the lower-cased names. */
  vocab: CharVocabulary;
  train: string[];
  val: string[];
}

/**
 * The 8,422 distinct lower-cased first names, sorted. Every 10th of the
 * sorted list (indices 9, 19, …) is validation (842 names), the rest train
 * (7,580): a deterministic rule, so no generator has to agree across
 * languages, that spreads validation over the alphabet.
 */
export async function loadNameData(): Promise<NameData> {
  const names = await loadFirstNames({ lowercase: true });
  const chars = CharVocabulary.fromText(names.join(''));
  if (chars.has(BOUNDARY))
    throw new ArgumentError(`name-generator: a name contains the boundary token ${JSON.stringify(BOUNDARY)}`);
  const vocab = new CharVocabulary([BOUNDARY, ...chars.chars]);
  return { vocab, train: names.filter((_, i) => i % 10 !== 9), val: names.filter((_, i) => i % 10 === 9) };
}

/** n names at even intervals (all of them when n is larger): the first n of the sorted list would all begin with 'a'. */
export function spreadNames(names: readonly string[], n: number): string[] {
  if (!Number.isInteger(n) || n < 1) throw new ArgumentError(`spreadNames: n must be a positive integer, got ${n}`);
  if (n >= names.length) return [...names];
  return Array.from({ length: n }, (_, i) => names[Math.floor((i * names.length) / n)]);
}

/**
 * mulberry32: a 32-bit generator (one add, two multiplies, a few shifts)
 * whose every operation is uint32 arithmetic, restated bit for bit in Python.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Fisher–Yates over [0, n) with j = next() mod (i + 1); the generator carries on between epochs. */
export function shuffledOrder(n: number, next: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** One padded batch of names, teacher forced: input '.'+name, target name+'.'. */
export interface NameBatch {
  /** int32 ids [batch·steps], row-major [batch, steps], padded with 0. */
  inputs: Int32Array;
  /** int32 ids [batch·steps], padded with IGNORE. */
  targets: Int32Array;
  /** name length + 1 per row: the real steps the recurrent layer runs. */
  lengths: number[];
  batch: number;
  steps: number;
  /** Real (non-padded) targets: the number the mean loss divides by. */
  tokens: number;
}

export function encodeBatch(names: readonly string[], vocab: CharVocabulary): NameBatch {
  if (names.length === 0) throw new ArgumentError('encodeBatch: no names');
  const lengths = names.map((n) => [...n].length + 1);
  const steps = Math.max(...lengths);
  const inputs = new Int32Array(names.length * steps);
  const targets = new Int32Array(names.length * steps).fill(IGNORE);
  names.forEach((name, b) => {
    const ids = vocab.encode(name);
    const row = b * steps;
    inputs[row] = 0;
    inputs.set(ids, row + 1);
    targets.set(ids, row);
    targets[row + ids.length] = 0;
  });
  return { inputs, targets, lengths, batch: names.length, steps, tokens: lengths.reduce((a, b) => a + b, 0) };
}

/** Consecutive slices of `batchSize` names in `order`; the last may be smaller. */
export function* batchesOf(names: readonly string[], order: readonly number[], batchSize: number): Generator<string[]> {
  for (let i = 0; i < order.length; i += batchSize) yield order.slice(i, i + batchSize).map((k) => names[k]);
}

/**
 * The cross-entropy (nats per character) on `val` of the unigram model: each
 * character, '.' included, predicted with its training frequency. The loss a
 * model must beat to have learned anything about order.
 */
export function unigramLoss(data: NameData): number {
  const counts = new Array<number>(data.vocab.size).fill(0);
  const count = (names: readonly string[], into: number[]) => {
    for (const n of names) {
      for (const id of data.vocab.encode(n)) into[id]++;
      into[0]++;
    }
  };
  count(data.train, counts);
  const total = counts.reduce((a, b) => a + b, 0);
  const valCounts = new Array<number>(data.vocab.size).fill(0);
  count(data.val, valCounts);
  let nll = 0;
  let n = 0;
  valCounts.forEach((c, id) => {
    if (c === 0) return;
    nll -= c * Math.log(counts[id] / total);
    n += c;
  });
  return nll / n;
}
