import { ShapeError, type Tensor, tensor, tidy } from '@tsdl/tensor';
import { describe, expect, it } from 'vitest';
import { BatchNorm1d, BatchNorm2d, LayerNorm } from '../src/index';
import { det, detTensor, expectClose, gradCheck, useCpu } from './helpers';

useCpu();

/** Per-channel statistics of x (shape dims, channel axis ch) in float64. */
function channelStats(
  x: number[],
  shape: number[],
  ch: number,
): { mean: number[]; varB: number[]; varU: number[]; n: number } {
  const C = shape[ch];
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const groups: number[][] = Array.from({ length: C }, () => []);
  x.forEach((v, i) => groups[Math.floor(i / strides[ch]) % C].push(v));
  const mean = groups.map((g) => g.reduce((a, b) => a + b, 0) / g.length);
  const ss = groups.map((g, c) => g.reduce((a, b) => a + (b - mean[c]) ** 2, 0));
  const n = groups[0].length;
  return { mean, varB: ss.map((s) => s / n), varU: ss.map((s) => s / (n - 1)), n };
}

function normalizeRef(
  x: number[],
  shape: number[],
  ch: number,
  mean: number[],
  vr: number[],
  w: number[],
  b: number[],
  eps: number,
): number[] {
  const C = shape[ch];
  const stride = shape.slice(ch + 1).reduce((a, c) => a * c, 1);
  return x.map((v, i) => {
    const c = Math.floor(i / stride) % C;
    return ((v - mean[c]) / Math.sqrt(vr[c] + eps)) * w[c] + b[c];
  });
}

const fixed = (values: number[]) => (shape: readonly number[]) => tensor(values, shape);

describe('BatchNorm', () => {
  it('BatchNorm1d [N, C] in training normalizes with the batch mean and biased variance', () => {
    const w = [1.5, -0.5, 2];
    const b = [0.1, 0.2, -0.3];
    const bn = new BatchNorm1d(3, { weightInit: fixed(w), biasInit: fixed(b) });
    const shape = [4, 3];
    const xv = det(12, 2).map((v, i) => v * (i % 3 === 0 ? 5 : 1) + i * 0.1);
    const x = tensor(xv, shape);
    const y = bn.call(x);
    const s = channelStats(xv, shape, 1);
    expectClose(y, normalizeRef(xv, shape, 1, s.mean, s.varB, w, b, 1e-5), 1e-5, 1e-4);
    x.dispose();
    y.dispose();
    bn.dispose();
  });

  it('running statistics follow the formula after several steps (unbiased variance), and eval uses them', () => {
    const bn = new BatchNorm1d(2, { weightInit: fixed([2, 1]), biasInit: fixed([0, 1]) });
    let rm = [0, 0];
    let rv = [1, 1];
    for (let step = 0; step < 3; step++) {
      const shape = [5, 2, 3];
      const xv = det(30, 10 + step).map((v) => v * (step + 1) + step);
      const x = tensor(xv, shape);
      tidy(() => {
        bn.call(x);
      });
      const s = channelStats(xv, shape, 1);
      expect(s.n).toBe(15);
      rm = rm.map((r, c) => 0.9 * r + 0.1 * s.mean[c]);
      rv = rv.map((r, c) => 0.9 * r + 0.1 * s.varU[c]);
      x.dispose();
    }
    expectClose(bn.runningMean as Tensor, rm, 1e-6, 1e-5);
    expectClose(bn.runningVar as Tensor, rv, 1e-6, 1e-5);
    expect((bn.numBatchesTracked as Tensor).item()).toBe(3);
    bn.eval();
    const shape = [4, 2, 3];
    const xv = det(24, 99);
    const x = tensor(xv, shape);
    const y = bn.call(x);
    expectClose(y, normalizeRef(xv, shape, 1, rm, rv, [2, 1], [0, 1], 1e-5), 1e-5, 1e-4);
    // Eval does not change the statistics.
    expectClose(bn.runningMean as Tensor, rm, 1e-6, 1e-5);
    expect((bn.numBatchesTracked as Tensor).item()).toBe(3);
    x.dispose();
    y.dispose();
    bn.dispose();
  });

  it('momentum null gives a cumulative average; unbiasedRunningVar false stores the biased variance', () => {
    const bn = new BatchNorm1d(3, { momentum: null, unbiasedRunningVar: false });
    const means: number[][] = [];
    const vars: number[][] = [];
    for (let step = 0; step < 4; step++) {
      const xv = det(18, step + 1).map((v) => v * 3 + step);
      const x = tensor(xv, [6, 3]);
      tidy(() => {
        bn.call(x);
      });
      const s = channelStats(xv, [6, 3], 1);
      means.push(s.mean);
      vars.push(s.varB);
      x.dispose();
    }
    const avg = (rows: number[][]): number[] => rows[0].map((_, c) => rows.reduce((a, r) => a + r[c], 0) / rows.length);
    expectClose(bn.runningMean as Tensor, avg(means), 1e-5, 1e-5);
    expectClose(bn.runningVar as Tensor, avg(vars), 1e-5, 1e-5);
    bn.dispose();
  });

  it('BatchNorm2d over [N, C, H, W], and channels-last with channelAxis −1', () => {
    const shape = [2, 3, 2, 2];
    const xv = det(24, 5).map((v, i) => v + (i % 3));
    const x = tensor(xv, shape);
    const bn = new BatchNorm2d(3);
    const y = bn.call(x);
    const s = channelStats(xv, shape, 1);
    expectClose(y, normalizeRef(xv, shape, 1, s.mean, s.varB, [1, 1, 1], [0, 0, 0], 1e-5), 1e-5, 1e-4);
    expectClose(
      bn.runningMean as Tensor,
      s.mean.map((m) => 0.1 * m),
      1e-6,
      1e-5,
    );

    const last = new BatchNorm2d(3, { channelAxis: -1, eps: 1e-3 });
    const xh = x.transpose([0, 2, 3, 1]).contiguous();
    const yh = last.call(xh);
    const hv = Array.from(xh.dataSync());
    const sh = channelStats(hv, [2, 2, 2, 3], 3);
    expectClose(sh.mean, s.mean, 1e-9);
    expectClose(yh, normalizeRef(hv, [2, 2, 2, 3], 3, sh.mean, sh.varB, [1, 1, 1], [0, 0, 0], 1e-3), 1e-5, 1e-4);
    for (const t of [x, y, xh, yh]) t.dispose();
    bn.dispose();
    last.dispose();
  });

  it('gradients match finite differences in training and in eval mode', () => {
    const bn = new BatchNorm1d(3, { weightInit: fixed([1.2, 0.7, -1]), biasInit: fixed([0.3, 0, 0.1]) });
    const x = detTensor([4, 3, 2], 8, 2);
    x.requiresGrad = true;
    gradCheck(() => bn.call(x), [x, bn.weight as Tensor, bn.bias as Tensor]);
    bn.eval();
    gradCheck(() => bn.call(x), [x, bn.weight as Tensor, bn.bias as Tensor]);
    x.dispose();
    bn.dispose();
  });

  it('without running stats (batch statistics always) and without affine parameters', () => {
    const bn = new BatchNorm1d(2, { trackRunningStats: false, affine: false });
    expect(Object.keys(bn.stateDict())).toEqual([]);
    expect(bn.parameters()).toEqual([]);
    bn.eval();
    const xv = [1, 2, 3, 5, 6, 11];
    const x = tensor(xv, [3, 2]);
    const s = channelStats(xv, [3, 2], 1);
    expectClose(bn.call(x), normalizeRef(xv, [3, 2], 1, s.mean, s.varB, [1, 1], [0, 0], 1e-5), 1e-5);
    x.dispose();
  });

  it('errors: wrong rank, wrong channel count, one value per channel in training', () => {
    const bn = new BatchNorm1d(3);
    const bad = detTensor([2, 4]);
    expect(() => bn.call(bad)).toThrow(/BatchNorm1d.*\[2,4\].*expected 3/);
    const one = detTensor([1, 3]);
    expect(() => bn.call(one)).toThrow(/more than 1 value per channel/);
    bn.eval();
    tidy(() => {
      bn.call(one);
    });
    const img = detTensor([2, 3, 2, 2]);
    expect(() => bn.call(img)).toThrow(ShapeError);
    for (const t of [bad, one, img]) t.dispose();
    bn.dispose();
  });
});

describe('LayerNorm', () => {
  function layerNormRef(xv: number[], k: number, w: number[] | null, b: number[] | null, eps: number): number[] {
    const out: number[] = [];
    for (let s = 0; s < xv.length; s += k) {
      const row = xv.slice(s, s + k);
      const m = row.reduce((a, c) => a + c, 0) / k;
      const v = row.reduce((a, c) => a + (c - m) ** 2, 0) / k;
      row.forEach((x, i) => out.push(((x - m) / Math.sqrt(v + eps)) * (w ? w[i] : 1) + (b ? b[i] : 0)));
    }
    return out;
  }

  it('normalizes over the trailing normalizedShape per sample', () => {
    const x = detTensor([2, 3, 4], 3, 2);
    const xv = Array.from(x.dataSync());
    const ln = new LayerNorm(4);
    expectClose(ln.call(x), layerNormRef(xv, 4, null, null, 1e-5), 1e-5, 1e-4);
    const w = det(12, 4);
    const b = det(12, 5);
    const ln2 = new LayerNorm([3, 4], { weightInit: fixed(w), biasInit: fixed(b), eps: 1e-3 });
    expect(ln2.weight?.shape).toEqual([3, 4]);
    expectClose(ln2.call(x), layerNormRef(xv, 12, w, b, 1e-3), 1e-5, 1e-4);
    const plain = new LayerNorm(4, { elementwiseAffine: false });
    expect(plain.parameters()).toEqual([]);
    const noBias = new LayerNorm(4, { bias: false });
    expect(noBias.namedParameters().map(([k]) => k)).toEqual(['weight']);
    x.dispose();
  });

  it('gradients match finite differences', () => {
    const ln = new LayerNorm(4, { weightInit: fixed([1, -2, 0.5, 1.5]), biasInit: fixed([0, 0.1, 0.2, 0.3]) });
    const x = detTensor([3, 4], 6, 2);
    x.requiresGrad = true;
    gradCheck(() => ln.call(x), [x, ln.weight as Tensor, ln.bias as Tensor]);
    x.dispose();
    ln.dispose();
  });

  it('rejects inputs that do not end in normalizedShape', () => {
    const ln = new LayerNorm([3, 4]);
    const x = detTensor([2, 4, 3]);
    expect(() => ln.call(x)).toThrow(/LayerNorm.*\[2,4,3\].*\[3,4\]/);
    x.dispose();
    ln.dispose();
  });
});
