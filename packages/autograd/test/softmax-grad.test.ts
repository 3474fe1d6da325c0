import { backward } from '@tsdl/autograd';
import { type Tensor, logSoftmax, mul, softmax, sum, tensor, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { expectValues, leaf, seededNumbers, useCpu } from './helpers';

useCpu();

const ROWS = 3;
const COLS = 5;
const X = seededNumbers(ROWS * COLS, 11, -3, 3);
const W = seededNumbers(ROWS * COLS, 12, -1, 1);
const C = seededNumbers(ROWS * COLS, 13, -1, 1);

type Op = typeof softmax;
const OPS: [string, Op][] = [
  ['softmax', softmax],
  ['logSoftmax', logSoftmax],
];

/** Float64 rows of softmax(x). */
function softmax64(x: readonly number[]): number[] {
  const out: number[] = [];
  for (let r = 0; r < ROWS; r++) {
    const row = x.slice(r * COLS, (r + 1) * COLS);
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    out.push(...e.map((v) => v / s));
  }
  return out;
}

/** d/dx Σ w ⊙ op(x) in float64: y ⊙ (w − Σ w ⊙ y) for softmax, w − y·Σ w for logSoftmax, per row. */
function expected(name: string, x: readonly number[], w: readonly number[]): number[] {
  const y = softmax64(x);
  return y.map((yi, i) => {
    const r = Math.floor(i / COLS) * COLS;
    const row = (f: (j: number) => number): number => {
      let s = 0;
      for (let j = r; j < r + COLS; j++) s += f(j);
      return s;
    };
    return name === 'softmax' ? yi * (w[i] - row((j) => w[j] * y[j])) : w[i] - yi * row((j) => w[j]);
  });
}

/** x's gradient of Σ w ⊙ op(x), read as an array. */
function firstOrder(op: Op, x: readonly number[], createGraph: boolean): number[] {
  return tidy(() => {
    const xt = leaf(tensor(x, [ROWS, COLS]));
    backward(sum(mul(op(xt, -1), tensor(W, [ROWS, COLS]))), undefined, { createGraph });
    const g = [...xt.grad!.dataSync()];
    xt.grad!.dispose();
    return g;
  });
}

describe.each(OPS)('%s gradient rule', (name, op) => {
  it('one kernel after the row sum: matches the float64 formula', () => {
    tidy(() => expectValues(tensor(firstOrder(op, X, false)), expected(name, X, W), 1e-6, 1e-6));
  });

  it('under createGraph (recorded ops) gives the same dx', () => {
    const fused = firstOrder(op, X, false);
    const composed = firstOrder(op, X, true);
    expect(composed.map((v, j) => Math.abs(v - fused[j])).every((d) => d < 1e-6)).toBe(true);
  });

  it('is differentiable again: the second derivative matches central differences of the first', () => {
    const h = tidy(() => {
      const xt = leaf(tensor(X, [ROWS, COLS]));
      backward(sum(mul(op(xt, -1), tensor(W, [ROWS, COLS]))), undefined, { createGraph: true });
      const dx = xt.grad as Tensor;
      xt.grad = null;
      sum(mul(dx, tensor(C, [ROWS, COLS]))).backward();
      dx.dispose();
      return [...xt.grad!.dataSync()];
    });
    const f = (x: number[]): number => expected(name, x, W).reduce((a, v, i) => a + v * C[i], 0);
    const eps = 1e-4;
    const numeric = X.map((_, i) => {
      const up = X.slice();
      const down = X.slice();
      up[i] += eps;
      down[i] -= eps;
      return (f(up) - f(down)) / (2 * eps);
    });
    tidy(() => expectValues(tensor(h), numeric, 1e-5, 1e-5));
  });
});
