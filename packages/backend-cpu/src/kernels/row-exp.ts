/**
 * exp(x − max) of one row, each computed once and kept in float64 scratch
 * with their sum: softmax and its cross-entropy need both the sum and the
 * terms, and Math.exp is most of their cost. The scratch is shared (kernels
 * run to completion on one thread) and grows to the widest row seen.
 */
export interface RowExp {
  /** values[j] = exp(x[base + j] − max) after fill. */
  readonly values: Float64Array;
  /** Σ values after fill. */
  sum: number;
  /** Fills values and sum for the row at `base`; returns the max used (0 for a row of −Infinity). */
  fill(x: ArrayLike<number>, base: number): number;
}

let scratch = new Float64Array(64);

export function rowExp(c: number): RowExp {
  if (scratch.length < c) scratch = new Float64Array(Math.max(c, 2 * scratch.length));
  const values = scratch;
  const row: RowExp = {
    values,
    sum: 0,
    fill(x, base) {
      let m = -Infinity;
      for (let j = 0; j < c; j++) if (x[base + j] > m) m = x[base + j];
      if (m === -Infinity) m = 0;
      let s = 0;
      for (let j = 0; j < c; j++) {
        const e = Math.exp(x[base + j] - m);
        values[j] = e;
        s += e;
      }
      row.sum = s;
      return m;
    },
  };
  return row;
}
