import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors';
import { E } from '../expr';
import type { Tensor } from '../tensor';
import { arange, rand } from './creation';
import { concat, reshape, slice, unsqueeze } from './shape';
import { eq, mul, where } from './elementwise';
import { argmax } from './reduce';
import { cumsum } from './cumulative';
import { runElementwise } from './internal';
import { softmax } from './nn';
import { boolOption, checkOptions } from './options';
import { unrecorded } from './unrecorded';
import { noteValueRange } from './index-range';

/**
 * Drawing category indices from probabilities (multinomial, PyTorch's
 * torch.multinomial) or logits (categorical, TensorFlow.js' tf.multinomial).
 *
 * Inverse-CDF sampling from the counter-based uniform stream (random.ts): draw
 * u, scale it by the row's total, t = u·total (a float32 product of its own, as
 * every backend rounds it), and pick the first category with non-zero
 * probability whose cumulative sum exceeds t. Only adds, multiplies and
 * comparisons, which every backend rounds alike, stand between the seed and the
 * sample, so a seed gives the same samples on every backend. A category of
 * probability 0 is never drawn, even where float rounding of the cumulative sum
 * would otherwise let it through. Cost: O(rows·numSamples·C) compared elements
 * (one kernel, one argmax); without replacement numSamples rounds of that with
 * one sample each.
 */

export interface MultinomialOptions {
  /** Draw with replacement (default false, as PyTorch): without it a row never repeats a category. */
  replacement?: boolean;
  /** A seed for this call alone; without it the global generator (see `seed`) advances. */
  seed?: number;
}

export interface CategoricalOptions {
  seed?: number;
}

function checkArgs(op: string, x: Tensor, numSamples: number, what: string): void {
  x.assertAlive(op);
  if (x.dtype !== 'float32') throw new DTypeError(`${op}: ${what} must be float32, got ${x.dtype}`);
  if (x.rank !== 1 && x.rank !== 2)
    throw new ShapeError(`${op}: ${what} must be 1-D [C] or 2-D [N, C], got shape ${fmtShape(x.shape)}`);
  if (x.shape[x.rank - 1] === 0)
    throw new ShapeError(`${op}: ${what} of shape ${fmtShape(x.shape)} have no categories`);
  if (!Number.isInteger(numSamples) || numSamples < 1)
    throw new ArgumentError(`${op}: numSamples must be a positive integer, got ${numSamples}`);
}

/**
 * Where the backend reads synchronously, checks that every row is a distribution
 * PyTorch would sample from: no negative, NaN or infinite entry, a positive sum,
 * and (without replacement) at least numSamples non-zero categories. Elsewhere
 * the values are on the device and are not checked: a row that fails gives
 * category indices in range but of no meaning.
 */
function checkRows(op: string, probs: Tensor, numSamples: number, replacement: boolean, what: string): void {
  if (!probs.backend.readSync) return;
  const v = probs.dataSync();
  const C = probs.shape[probs.rank - 1];
  for (let r = 0; r < v.length / C; r++) {
    let total = 0;
    let positive = 0;
    for (let c = 0; c < C; c++) {
      const p = v[r * C + c];
      if (!(p >= 0 && p < Infinity))
        throw new ArgumentError(
          `${op}: row ${r} of the ${what} has ${p} at category ${c}; expected finite values >= 0`,
        );
      total += p;
      if (p > 0) positive++;
    }
    if (!(total > 0))
      throw new ArgumentError(
        `${op}: row ${r} of the ${what} sums to 0; a row needs a category with non-zero probability`,
      );
    if (!replacement && positive < numSamples) {
      throw new ArgumentError(
        `${op}: cannot draw ${numSamples} samples without replacement from row ${r}, which has ${positive} categories of non-zero probability`,
      );
    }
  }
}

/**
 * The score each category gets for a draw t: first non-zero category with
 * cdf > t scores highest, 2C − c (so the lowest c wins the argmax); a non-zero
 * one below t scores c (so if rounding put t past every cdf, the last non-zero
 * category wins); a zero one scores −1.
 */
const SCORE = [
  E.where(E.b('gt', E.in(2), E.c(0)), E.where(E.b('gt', E.in(0), E.in(1)), E.sub(E.s(0), E.in(3)), E.in(3)), E.c(-1)),
];

/** One sample per draw: p [N, C], u [N, S] → int32 [N, S]. */
function draw(p: Tensor, u: Tensor): Tensor {
  const [N, C] = p.shape;
  const S = u.shape[1];
  const cdf = cumsum(p, 1);
  const total = slice(cdf, [0, C - 1], [N, C]);
  const t = mul(u, total); // [N, S], stored in float32 before comparing, as every backend rounds it
  const score = runElementwise(
    p.backend,
    SCORE,
    [unsqueeze(cdf, 1), unsqueeze(t, 2), unsqueeze(p, 1), arange(0, C, 1, 'int32', { backend: p.backend })],
    [2 * C],
    [N, S, C],
    ['int32'],
    'multinomialScore',
  )[0];
  return argmax(score, -1);
}

function sample(p2: Tensor, numSamples: number, replacement: boolean, seed: number | undefined): Tensor {
  const [N, C] = p2.shape;
  const u = rand([N, numSamples], { seed, backend: p2.backend });
  if (replacement) return draw(p2, u);
  // Without replacement: draw one, zero its probability, draw again from what is left.
  const classes = arange(0, C, 1, 'int32', { backend: p2.backend });
  const picks: Tensor[] = [];
  let p = p2;
  for (let s = 0; s < numSamples; s++) {
    const pick = draw(p, slice(u, [0, s], [N, s + 1]));
    picks.push(pick);
    if (s + 1 < numSamples) p = where(eq(classes, pick), 0, p);
  }
  return concat(picks, 1);
}

function run(probs: Tensor, numSamples: number, replacement: boolean, seed: number | undefined): Tensor {
  const C = probs.shape[probs.rank - 1];
  const out = unrecorded(() => {
    const p2 = probs.rank === 1 ? reshape(probs, [1, C]) : probs;
    const s = sample(p2, numSamples, replacement, seed);
    return probs.rank === 1 ? reshape(s, [numSamples]) : s;
  });
  noteValueRange(out, 0, C - 1);
  return out;
}

/**
 * Draws `numSamples` category indices per row of `probs` (float32 [C] or
 * [N, C], non-negative, any positive total: rows are normalised), as
 * torch.multinomial: int32 [numSamples] or [N, numSamples]. Without replacement
 * (the default) a row's samples are distinct categories.
 */
export function multinomial(probs: Tensor, numSamples: number, options: MultinomialOptions = {}): Tensor {
  checkOptions('multinomial', options, ['replacement', 'seed']);
  const replacement = boolOption('multinomial', 'replacement', options.replacement, false);
  checkArgs('multinomial', probs, numSamples, 'probabilities');
  const C = probs.shape[probs.rank - 1];
  if (!replacement && numSamples > C) {
    throw new ArgumentError(`multinomial: cannot draw ${numSamples} samples without replacement from ${C} categories`);
  }
  checkRows('multinomial', probs, numSamples, replacement, 'probabilities');
  return run(probs, numSamples, replacement, options.seed);
}

/**
 * Draws `numSamples` category indices per row of unnormalised log-probabilities
 * `logits` (float32 [C] or [N, C]), with replacement, as TensorFlow.js'
 * tf.multinomial(logits, numSamples, seed): int32 [numSamples] or
 * [N, numSamples]. A logit of −Infinity is a category of probability 0. The
 * probabilities are softmax(logits), whose exp may differ in the last bit
 * between devices, so a draw within float rounding of a category boundary may
 * differ between backends.
 */
export function categorical(logits: Tensor, numSamples: number, options: CategoricalOptions = {}): Tensor {
  checkOptions('categorical', options, ['seed']);
  checkArgs('categorical', logits, numSamples, 'logits');
  const probs = unrecorded(() => softmax(logits, -1));
  try {
    checkRows('categorical', probs, numSamples, true, 'probabilities softmax(logits)');
    return run(probs, numSamples, true, options.seed);
  } finally {
    probs.dispose();
  }
}
