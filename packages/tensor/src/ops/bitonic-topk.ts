import type { DType } from '../dtype';
import { E, type Expr } from '../expr';
import type { Tensor } from '../tensor';
import { arange } from './creation';
import { runElementwise } from './internal';
import { broadcastTo, pad, reshape, slice } from './shape';

/**
 * The k first elements of each row of a [R, n] tensor in order, by a bitonic
 * network (the "bitonic top-k" of GPU libraries): elementwise kernels over
 * views, so every backend has it without a kernel of its own. The rows are
 * padded to P = 2^m and K = 2^ceil(log2 k):
 *
 * 1. sort every block of K, directions alternating (the first log2 K rounds of
 *    a bitonic sort): log2 K·(log2 K + 1)/2 kernels over R·P elements;
 * 2. repeatedly keep, of each pair of neighbouring blocks (one ascending, one
 *    descending), the earlier element at each place: the K first of the two,
 *    as one bitonic block, which log2 K more kernels sort (directions again
 *    alternating). Each round halves the data; log2(P/K) rounds leave one block.
 *
 * So about R·P·(log²K + 3·log K)/2 elements pass through kernels, where a full
 * sort costs R·P·log²P/2; k = n is that full sort, and k = 1 a tournament of
 * log2 P kernels. A compare-exchange pairs position i with i XOR j (j a power of
 * two): viewing a row as [P/2j, 2, j], the two halves of the middle axis, which
 * the kernel reads as broadcast views (no copy, no gather), writing the whole
 * row, each position taking the earlier or later element of its pair by its
 * direction, which it works out from its index. Elements are (value, original
 * index) pairs ordered by value, ties by the lower index: the order is total,
 * so the result is what a stable sort gives, whatever the network's shape.
 */
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

const LO = E.in(0);
const HI = E.in(1);
const LO_I = E.in(2);
const HI_I = E.in(3);
const POS = E.in(4);

const isNaN = (a: Expr): Expr => E.b('ne', a, a);
const and = (a: Expr, b: Expr): Expr => E.b('and', a, b);
const or = (a: Expr, b: Expr): Expr => E.b('or', a, b);

/**
 * Whether (a, ia) comes before (b, ib). NaN counts as larger than every number
 * (PyTorch's sort and topk), and equal values (NaNs among themselves) go by index.
 */
function before(largest: boolean, a: Expr, ia: Expr, b: Expr, ib: Expr): Expr {
  const strictly = largest
    ? or(E.b('gt', a, b), and(isNaN(a), E.u('not', isNaN(b))))
    : or(E.b('lt', a, b), and(isNaN(b), E.u('not', isNaN(a))));
  const same = or(E.b('eq', a, b), and(isNaN(a), isNaN(b)));
  return or(strictly, and(same, E.b('lt', ia, ib)));
}

/** Bit log2(s) of a position: floor(i / s) mod 2, by exact multiplies with the reciprocal powers of two 1/s and 1/2s (scalars a, b). */
function bit(a: number, b: number): Expr {
  return E.sub(E.u('floor', E.mul(POS, E.s(a))), E.mul(E.c(2), E.u('floor', E.mul(POS, E.s(b)))));
}

/**
 * One compare-exchange stage of block size `size` and distance `j` (scalars:
 * 1/size, 1/2size, 1/j, 1/2j). Blocks of `size` alternate direction and the
 * lower of a pair in an ascending block holds the earlier element, so a
 * position wants the earlier one where its `size` bit equals its `j` bit; it
 * takes the lower half's element when that is the one it wants.
 */
function stageExprs(largest: boolean): Expr[] {
  const wantsEarlier = E.b('eq', bit(0, 1), bit(2, 3));
  const takeLo = E.b('eq', wantsEarlier, before(largest, LO, LO_I, HI, HI_I));
  return [E.where(takeLo, LO, HI), E.where(takeLo, LO_I, HI_I)];
}

const STAGES = { largest: stageExprs(true), smallest: stageExprs(false) };

/** The earlier element of each pair (a half-cleaner's lower half). */
function mergeExprs(largest: boolean): Expr[] {
  const takeLo = before(largest, LO, LO_I, HI, HI_I);
  return [E.where(takeLo, LO, HI), E.where(takeLo, LO_I, HI_I)];
}

const MERGES = { largest: mergeExprs(true), smallest: mergeExprs(false) };

/** The network's state: the values and original indices of each row, [rows, L] (rows is 1 for indices not yet broadcast). */
interface Rows {
  v: Tensor;
  idx: Tensor;
}

/**
 * The original indices (int32 [R, k]) of the k first elements of each row of
 * `rows` [R, n]: largest first when `largest`, else smallest first; ties keep
 * the lower index first. 1 <= k <= n. Run it under `unrecorded` (it records
 * nothing and leaves small constants to the enclosing tidy). The result may be
 * a slice of the last [R, K] block, whose storage also holds padding indices.
 */
export function topRows(rows: Tensor, k: number, largest: boolean): Tensor {
  const [R, n] = rows.shape;
  const backend = rows.backend;
  const pow2 = (x: number): number => {
    let p = 1;
    while (p < x) p *= 2;
    return p;
  };
  const P = pow2(n);
  const K = pow2(k);
  // Padding sorts after every real element: the far end of the order, and ties lose on index (>= n).
  const fill = rows.dtype === 'int32' ? (largest ? INT32_MIN : INT32_MAX) : largest ? -Infinity : NaN;
  const pos = arange(0, P, 1, 'float32', { backend });
  const ctx = { rows, R, pos, largest, dtypes: [rows.dtype, 'int32'] as DType[], backend };
  // One row of indices to start with, broadcast over the rows by the first kernel.
  let state: Rows = {
    v:
      P === n
        ? rows
        : pad(
            rows,
            [
              [0, 0],
              [0, P - n],
            ],
            fill,
          ),
    idx: reshape(arange(0, P, 1, 'int32', { backend }), [1, P]),
  };
  for (let size = 2; size <= K; size *= 2)
    for (let j = size / 2; j >= 1; j /= 2) state = step(ctx, state, P, size, j, false);
  for (let L = P; L > K; L /= 2) {
    state = step(ctx, state, L, K, K, true);
    for (let j = K / 2; j >= 1; j /= 2) state = step(ctx, state, L / 2, K, j, false);
  }
  // A row of one element runs no kernel: its one index still needs a row per input row.
  const idx = state.idx.shape[0] === R ? state.idx : broadcastTo(state.idx, [R, K]);
  return K === k ? idx : slice(idx, [0, 0], [R, k]);
}

interface StepContext {
  /** The caller's rows: the one state tensor a step must not free. */
  rows: Tensor;
  R: number;
  pos: Tensor;
  largest: boolean;
  dtypes: DType[];
  backend: Tensor['backend'];
}

/**
 * One kernel over rows of length L viewed as [L/2j, 2, j]: a compare-exchange
 * stage of block size `size` (output [R, L]), or with `merge` the earlier of
 * each pair of halves (output [R, L/2]). Frees the state it replaces.
 */
function step(c: StepContext, s: Rows, L: number, size: number, j: number, merge: boolean): Rows {
  const shape = [c.R, L / (2 * j), 2, j];
  const [lo, hi] = halves(s.v, shape);
  const [loI, hiI] = halves(s.idx, shape);
  const extra: Tensor[] = [];
  let outs: Tensor[];
  if (merge) {
    outs = runElementwise(
      c.backend,
      c.largest ? MERGES.largest : MERGES.smallest,
      [lo, hi, loI, hiI],
      [],
      [c.R, L / (2 * j), 1, j],
      c.dtypes,
      c.largest ? 'bitonicMerge:largest' : 'bitonicMerge:smallest',
    );
  } else {
    const p = reshape(slice(c.pos, [0], [L]), shape.slice(1));
    extra.push(p);
    const scalars = [1 / size, 1 / (2 * size), 1 / j, 1 / (2 * j)];
    outs = runElementwise(
      c.backend,
      c.largest ? STAGES.largest : STAGES.smallest,
      [lo, hi, loI, hiI, p],
      scalars,
      shape,
      c.dtypes,
      c.largest ? 'bitonicStage:largest' : 'bitonicStage:smallest',
    );
  }
  // Free each step's inputs at once: the network holds about two [R, L] tensors at a time.
  for (const t of [lo, hi, loI, hiI, ...extra]) t.dispose();
  if (s.v !== c.rows) s.v.dispose();
  s.idx.dispose();
  const out = merge ? L / 2 : L;
  const next = { v: reshape(outs[0], [c.R, out]), idx: reshape(outs[1], [c.R, out]) };
  outs[0].dispose();
  outs[1].dispose();
  return next;
}

/** The two halves of the middle axis of `t` viewed as [rows, P/2j, 2, j] (views; `t` is dense). */
function halves(t: Tensor, shape: readonly number[]): [Tensor, Tensor] {
  const s = [t.shape[0], ...shape.slice(1)];
  const t4 = reshape(t, s);
  const lo = slice(t4, [0, 0, 0, 0], [s[0], s[1], 1, s[3]]);
  const hi = slice(t4, [0, 0, 1, 0], [s[0], s[1], 2, s[3]]);
  t4.dispose();
  return [lo, hi];
}
