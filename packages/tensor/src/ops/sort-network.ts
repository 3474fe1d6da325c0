import type { DType } from '../dtype';
import { E, type Expr } from '../expr';
import type { Tensor } from '../tensor';
import { arange, tensor } from './creation';
import { runElementwise } from './internal';
import { broadcastTo, gather, pad, reshape, slice } from './shape';

/**
 * A bitonic sorting network over the rows of a [R, n] tensor, composed from
 * gathers and one elementwise kernel per stage, so every backend sorts without
 * a kernel of its own. The rows are padded to P = 2^m; each of the m(m+1)/2
 * stages compares every element with its partner i XOR j (one gather of the
 * values and one of their indices) and keeps the one its position wants (one
 * two-output kernel): O(R·P·log²P) work in 3·m(m+1)/2 kernels, whatever the
 * data. Elements are (value, original index) pairs ordered by value, ties by
 * the lower index, which makes the order total, so the sort is stable.
 */

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

const V = E.in(0);
const I = E.in(1);
const PV = E.in(2);
const PI = E.in(3);
const WANT = E.in(4);

const isNaN = (a: Expr): Expr => E.b('ne', a, a);
const and = (a: Expr, b: Expr): Expr => E.b('and', a, b);
const or = (a: Expr, b: Expr): Expr => E.b('or', a, b);

/**
 * Whether (a, ia) comes before (b, ib). NaN counts as larger than every number
 * (PyTorch's sort and topk), and equal values (NaNs among themselves) go by index.
 */
function before(largest: boolean, a: Expr, ia: Expr, b: Expr, ib: Expr): Expr {
  const strictly = largest ? or(E.b('gt', a, b), and(isNaN(a), E.u('not', isNaN(b)))) : or(E.b('lt', a, b), and(isNaN(b), E.u('not', isNaN(a))));
  const same = or(E.b('eq', a, b), and(isNaN(a), isNaN(b)));
  return or(strictly, and(same, E.b('lt', ia, ib)));
}

/** One compare-exchange stage: each element keeps itself or takes its partner (WANT: this position holds the earlier of the pair). */
function stageExprs(largest: boolean): Expr[] {
  const keep = E.where(WANT, before(largest, V, I, PV, PI), before(largest, PV, PI, V, I));
  return [E.where(keep, V, PV), E.where(keep, I, PI)];
}

const STAGES = { largest: stageExprs(true), smallest: stageExprs(false) };

/**
 * For every stage of a network over P = 2^m elements: each position's partner
 * and whether it keeps the earlier element of its pair. Built on the host as
 * two [stages, P] tables, so a sort writes two small tensors in all.
 */
function networkTables(P: number): { partner: Int32Array; want: Uint8Array; stages: number } {
  const stages: [number, number][] = [];
  for (let size = 2; size <= P; size *= 2) for (let j = size / 2; j >= 1; j /= 2) stages.push([size, j]);
  const partner = new Int32Array(stages.length * P);
  const want = new Uint8Array(stages.length * P);
  stages.forEach(([size, j], s) => {
    for (let i = 0; i < P; i++) {
      partner[s * P + i] = i ^ j;
      // Blocks of `size` alternate direction (bitonic merge); the lower of a pair wants the earlier element in an ascending block.
      want[s * P + i] = ((i & size) === 0) === ((i & j) === 0) ? 1 : 0;
    }
  });
  return { partner, want, stages: stages.length };
}

/**
 * The original indices (int32 [R, n]) of each row of `rows` [R, n] in sorted
 * order: largest first when `largest`, else smallest first; ties keep the lower
 * index first. The caller runs this under `unrecorded` (it disposes nothing of
 * its own; intermediates of each stage are freed as it goes).
 */
export function argsortRows(rows: Tensor, largest: boolean): Tensor {
  const [R, n] = rows.shape;
  const backend = rows.backend;
  let P = 1;
  while (P < n) P *= 2;
  // Padding sorts after every real element: the far end of the order, and ties lose on index (>= n).
  const fill = rows.dtype === 'int32' ? (largest ? INT32_MIN : INT32_MAX) : largest ? -Infinity : NaN;
  let v = P === n ? rows : pad(rows, [[0, 0], [0, P - n]], fill);
  let idx = broadcastTo(reshape(arange(0, P, 1, 'int32', { backend }), [1, P]), [R, P]);
  const { partner, want, stages } = networkTables(P);
  const partners = tensor(partner, [stages, P], 'int32', { backend });
  const wants = tensor(want, [stages, P], 'bool', { backend });
  const exprs = largest ? STAGES.largest : STAGES.smallest;
  const tag = largest ? 'sortNetwork:largest' : 'sortNetwork:smallest';
  const dtypes: DType[] = [v.dtype, 'int32'];
  for (let s = 0; s < stages; s++) {
    const p = reshape(slice(partners, [s], [s + 1]), [P]);
    const w = reshape(slice(wants, [s], [s + 1]), [P]);
    const pv = gather(v, p, 1);
    const pi = gather(idx, p, 1);
    const [nv, ni] = runElementwise(backend, exprs, [v, idx, pv, pi, w], [], [R, P], dtypes, tag);
    // Free each stage's inputs at once: the network holds two [R, P] tensors at a time, not 4 per stage.
    for (const t of [p, w, pv, pi]) t.dispose();
    if (s > 0) {
      v.dispose();
      idx.dispose();
    }
    v = nv;
    idx = ni;
  }
  return P === n ? idx : slice(idx, [0, 0], [R, n]);
}
